/**
 * Authenticating a signed REST request like Binance: API key (-2014/-2015),
 * timestamp within recvWindow (-1021), HMAC signature (-1022).
 *
 * @module
 */

import type { Account } from "./accounts.ts";
import { BinanceError, BinanceMessages, missingParameter } from "./binance_error.ts";
import type { Params } from "./params.ts";
import { hmacSha256Hex, signaturesEqual, signedPayload } from "./signing.ts";

/** Checks the timestamp against the server time; throws -1021 when outside the window. */
export function checkTimestamp(params: Params, serverTime: number): void {
  const timestamp = params.integer("timestamp");
  if (timestamp === undefined) throw missingParameter("timestamp");
  const recvWindow = params.integer("recvWindow") ?? 5000;
  if (recvWindow > 60_000 || recvWindow <= 0) {
    throw new BinanceError(-1131, "recvWindow must be less than 60000");
  }
  if (timestamp > serverTime + 1000) throw new BinanceError(-1021, BinanceMessages.aheadOfServer);
  if (serverTime - timestamp > recvWindow) {
    throw new BinanceError(-1021, BinanceMessages.outsideRecvWindow);
  }
}

/** Finds the account of the `X-MBX-APIKEY` header; -2014 when absent, -2015 when unknown. */
export function accountOfKey(apiKey: string | null, accounts: Map<string, Account>): Account {
  if (!apiKey) throw new BinanceError(-2014, BinanceMessages.apiKeyFormat, 401);
  const account = accounts.get(apiKey);
  if (!account) throw new BinanceError(-2015, BinanceMessages.invalidApiKey, 401);
  return account;
}

/** Authenticates a signed request and returns its account. */
export async function authenticate(
  apiKey: string | null,
  accounts: Map<string, Account>,
  params: Params,
  rawQuery: string,
  rawBody: string,
  serverTime: number,
): Promise<Account> {
  const account = accountOfKey(apiKey, accounts);
  checkTimestamp(params, serverTime);
  const { payload, signature } = signedPayload(rawQuery, rawBody);
  if (!signature) throw missingParameter("signature");
  const expected = await hmacSha256Hex(account.secret, payload);
  if (!signaturesEqual(expected, signature)) {
    throw new BinanceError(-1022, BinanceMessages.badSignature);
  }
  return account;
}
