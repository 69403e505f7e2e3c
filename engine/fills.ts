/**
 * The one fill model of AURA, shared by the backtester, the paper exchange and
 * the Binance simulator (so all three agree to the cent).
 *
 * 1. While a position is open, take-profit/stop-loss are checked first on each
 *    candle: open ≤ SL → exit at the open (gap); open ≥ TP → exit at the open;
 *    low ≤ SL → exit at SL (also when high ≥ TP in the same candle: pessimistic);
 *    high ≥ TP → exit at TP.
 * 2. Market orders fill at the candle close, moved by slippage against the taker.
 * 3. Fees are a rate per side on each fill's notional, in the quote asset.
 *
 * @module
 */

/** How an exchange-side protective exit (OCO leg) closed a position. */
export type ProtectiveExitStatus = "CLOSED_TP" | "CLOSED_SL";

/** The protective exit a candle triggers, if any. */
export interface ProtectiveExit {
  /** Which leg triggered. */
  status: ProtectiveExitStatus;
  /** The fill price (the leg's price, or the open on a gap). */
  price: number;
}

/** The part of a candle the protective check reads. */
export interface CandleRange {
  /** Open price. */
  open: number;
  /** High price. */
  high: number;
  /** Low price. */
  low: number;
}

/**
 * Decides whether a candle triggers the take-profit or the stop-loss of an open
 * position; `null` when neither. Stop-loss wins ties (pessimistic).
 *
 * @example
 * ```ts
 * checkProtectiveExit({ open: 100, high: 111, low: 94 }, 110, 95); // { status: "CLOSED_SL", price: 95 }
 * ```
 */
export function checkProtectiveExit(
  candle: CandleRange,
  takeProfit: number,
  stopLoss: number,
): ProtectiveExit | null {
  if (candle.open <= stopLoss) return { status: "CLOSED_SL", price: candle.open };
  if (candle.open >= takeProfit) return { status: "CLOSED_TP", price: candle.open };
  if (candle.low <= stopLoss) return { status: "CLOSED_SL", price: stopLoss };
  if (candle.high >= takeProfit) return { status: "CLOSED_TP", price: takeProfit };
  return null;
}

/** Side of a market fill. */
export type FillSide = "BUY" | "SELL";

/** Price of a market fill at `price` after `slippageBps` against the taker. */
export function marketFillPrice(price: number, side: FillSide, slippageBps = 0): number {
  if (slippageBps === 0) return price;
  const factor = slippageBps / 10_000;
  return side === "BUY" ? price * (1 + factor) : price * (1 - factor);
}

/** Fee in quote asset for a fill of `notional` at `feeRate` per side (default 0.001). */
export function fillFee(notional: number, feeRate = 0.001): number {
  return notional * feeRate;
}

/** Take-profit and stop-loss prices for an entry at `entryPrice`. */
export function protectiveLevels(
  entryPrice: number,
  takeProfitPercent: number,
  stopLossPercent: number,
): { takeProfit: number; stopLoss: number } {
  return {
    takeProfit: entryPrice * (1 + takeProfitPercent / 100),
    stopLoss: entryPrice * (1 - stopLossPercent / 100),
  };
}
