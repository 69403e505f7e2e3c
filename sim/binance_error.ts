/**
 * Binance's wire errors: `{"code":-2010,"msg":"..."}` with an HTTP status.
 *
 * These are protocol values the simulator answers with, not AURA errors: a
 * client (ccxt) must see exactly what Binance would send, so they carry
 * Binance's numeric codes and messages verbatim instead of AURA's codes.
 *
 * @module
 */

/** A Binance API error as it travels on the wire. */
export class BinanceError extends Error {
  /** Binance's numeric error code, e.g. `-2010`. */
  readonly code: number;
  /** HTTP status of the REST answer (400, 401, 429, 418, 500, 503). */
  readonly status: number;
  /** Extra response headers (e.g. `Retry-After`). */
  readonly headers: Record<string, string>;

  /** Creates an error answered with `status` and body `{"code":code,"msg":msg}`. */
  constructor(code: number, msg: string, status = 400, headers: Record<string, string> = {}) {
    super(msg);
    this.name = "BinanceError";
    this.code = code;
    this.status = status;
    this.headers = headers;
  }

  /** The JSON body Binance sends. */
  toJSON(): { code: number; msg: string } {
    return { code: this.code, msg: this.message };
  }
}

/** Binance's messages for the errors the simulator raises in several places. */
export const BinanceMessages = {
  insufficientBalance: "Account has insufficient balance for requested action.",
  duplicateOrder: "Duplicate order sent.",
  orderDoesNotExist: "Order does not exist.",
  unknownOrder: "Unknown order sent.",
  orderListDoesNotExist: "Order list does not exist.",
  badSignature: "Signature for this request is not valid.",
  outsideRecvWindow: "Timestamp for this request is outside of the recvWindow.",
  aheadOfServer: "Timestamp for this request was 1000ms ahead of the server's time.",
  invalidApiKey: "Invalid API-key, IP, or permissions for action.",
  apiKeyFormat: "API-key format invalid.",
  invalidSymbol: "Invalid symbol.",
  wouldMatch: "Order would immediately match and take.",
  priceRelation: "The relationship of the prices for the orders is not correct.",
} as const;

/** `-1102`: a mandatory parameter is missing. */
export function missingParameter(name: string): BinanceError {
  return new BinanceError(
    -1102,
    `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`,
  );
}

/** `-1013`: an exchange filter rejected the order, e.g. `Filter failure: LOT_SIZE`. */
export function filterFailure(filter: string): BinanceError {
  return new BinanceError(-1013, `Filter failure: ${filter}`);
}
