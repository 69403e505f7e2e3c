/**
 * Trading fees on decimal strings: what a fill cost and what is left to sell.
 *
 * Binance charges the taker fee in the asset received (the base asset on a
 * buy) unless BNB pays it, so the quantity an OCO may sell is the executed
 * quantity minus any commission taken in the base asset.
 *
 * @module
 */

import { addDecimals, multiplyDecimals, subtractDecimals } from "./decimal.ts";

/** Binance spot's default fee per side (0.1 %), as in engine/fills.ts. */
export const DEFAULT_FEE_RATE = "0.001";

/** A fill's commission, as the exchange reports it. */
export interface Commission {
  /** Commission amount (decimal string). */
  commission: string;
  /** Asset the commission was taken in. */
  commissionAsset: string;
}

/** Fee of a fill of `notional` at `feeRate` per side (decimal strings). */
export function feeFor(notional: string, feeRate: string = DEFAULT_FEE_RATE): string {
  return multiplyDecimals(notional, feeRate);
}

/** Sum of the commissions taken in `asset` (other assets, e.g. BNB, are ignored). */
export function commissionIn(fills: readonly Commission[], asset: string): string {
  return fills
    .filter((fill) => fill.commissionAsset === asset)
    .reduce((total, fill) => addDecimals(total, fill.commission), "0");
}

/**
 * The base quantity a buy actually delivered: `executedQty` minus the
 * commissions taken in `baseAsset`.
 *
 * @example
 * ```ts
 * netBaseQuantity("0.01", [{ commission: "0.00001", commissionAsset: "BTC" }], "BTC"); // "0.00999"
 * ```
 */
export function netBaseQuantity(
  executedQty: string,
  fills: readonly Commission[],
  baseAsset: string,
): string {
  return subtractDecimals(executedQty, commissionIn(fills, baseAsset));
}
