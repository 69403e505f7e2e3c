/**
 * Trade arithmetic in exact decimals: fees converted to the quote asset, the
 * quantity an entry leaves to sell, and a closed trade's P&L net of fees.
 *
 * P&L of a long spot trade is `exitQuote − exitFee − entryPrice × soldQty −
 * entryFee`, every fee in quote. When the entry fee was taken in the base
 * asset, `entryPrice × soldQty + entryFee` is what the sold coins cost; the
 * dust left by flooring to the step size stays in the account and is not
 * counted (it is below one step).
 *
 * @module
 */

import {
  addDecimals,
  floorToStep,
  multiplyDecimals,
  roundToIncrement,
  subtractDecimals,
} from "../orders/decimal.ts";
import type { SymbolRules } from "../orders/filters.ts";

/** The assets of a symbol, as the fee conversion needs them. */
export type AssetPair = Pick<SymbolRules, "baseAsset" | "quoteAsset">;

/** Money is stored with 10 decimals (DECIMAL(20,10)); results are rounded to that. */
export const MONEY_INCREMENT = "0.0000000001";

/**
 * A commission in the quote asset: as is when charged in quote, times `price`
 * when charged in base, times `assetPrice` (the commission asset's price in
 * the quote, e.g. BNBUSDT) when charged in a third asset such as BNB — and 0
 * when that price is unknown.
 *
 * @example
 * ```ts
 * const pair = { baseAsset: "BTC", quoteAsset: "USDT" };
 * feeInQuote("0.00075", "BNB", "60000", pair, "600"); // "0.45"
 * ```
 */
export function feeInQuote(
  commission: string,
  commissionAsset: string,
  price: string,
  pair: AssetPair,
  assetPrice: string | null = null,
): string {
  if (commissionAsset === pair.quoteAsset) return commission;
  const rate = commissionAsset === pair.baseAsset ? price : assetPrice;
  if (rate === null) return "0";
  return roundToIncrement(multiplyDecimals(commission, rate), MONEY_INCREMENT, "nearest");
}

/** True when a commission is in neither asset of the pair (BNB), so its price must be looked up. */
export function feeNeedsPrice(
  commission: string,
  commissionAsset: string,
  pair: AssetPair,
): boolean {
  return commissionAsset !== pair.quoteAsset && commissionAsset !== pair.baseAsset &&
    commissionAsset !== "" && !/^0(\.0*)?$/.test(commission);
}

/** The base quantity an entry left to sell: executed minus base commission, floored to step. */
export function sellableQuantity(
  entry: { executedQty: string; commission: string; commissionAsset: string },
  rules: Pick<SymbolRules, "baseAsset" | "stepSize">,
): string {
  const baseFee = entry.commissionAsset === rules.baseAsset ? entry.commission : "0";
  return floorToStep(subtractDecimals(entry.executedQty, baseFee), rules.stepSize);
}

/** What a closed trade's P&L is computed from (decimal strings, fees in quote). */
export interface PnlInput {
  /** Average entry price. */
  entryPrice: string;
  /** Entry fee in quote. */
  entryFee: string;
  /** Base quantity sold. */
  exitQuantity: string;
  /** Quote received for it. */
  exitQuote: string;
  /** Exit fee in quote. */
  exitFee: string;
}

/**
 * Realized P&L net of both fees, rounded to 10 decimals.
 *
 * @example
 * ```ts
 * tradePnl({ entryPrice: "100", entryFee: "0.1", exitQuantity: "1", exitQuote: "102", exitFee: "0.102" });
 * // "1.798"
 * ```
 */
export function tradePnl(input: PnlInput): string {
  const cost = addDecimals(multiplyDecimals(input.entryPrice, input.exitQuantity), input.entryFee);
  const proceeds = subtractDecimals(input.exitQuote, input.exitFee);
  return roundToIncrement(subtractDecimals(proceeds, cost), MONEY_INCREMENT, "nearest");
}

/**
 * Unrealized P&L of an open position marked at `lastPrice`, as the backtester
 * marks equity (cash after the entry fee + quantity × price; no exit fee).
 */
export function unrealizedPnl(
  position: { entryPrice: string; quantity: string; entryFee: string },
  lastPrice: string,
): string {
  const move = multiplyDecimals(
    subtractDecimals(lastPrice, position.entryPrice),
    position.quantity,
  );
  return roundToIncrement(subtractDecimals(move, position.entryFee), MONEY_INCREMENT, "nearest");
}
