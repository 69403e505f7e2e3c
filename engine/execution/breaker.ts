/**
 * The live max-drawdown breaker: the backtester's {@link DrawdownBreaker}
 * (engine/portfolio/drawdown.ts), fed with the strategy's live equity.
 *
 * A strategy's equity is its allocation plus its realized P&L plus the
 * unrealized P&L of its open position, marked as the backtester marks it.
 * The allocation is `positionSizeUsd`: the capital the strategy puts at risk
 * per trade (one position at a time), so "maxDrawdownPercent" reads as
 * "percent of the position size lost from the best point". The backtester
 * starts from its `initialBalance` instead; with `initialBalance =
 * positionSizeUsd` both trip on the same candle.
 *
 * @module
 */

import { DrawdownBreaker } from "../portfolio/drawdown.ts";
import { addDecimals } from "../orders/decimal.ts";

/** What the breaker is evaluated on. */
export interface BreakerInput {
  /** The strategy's allocation (positionSizeUsd), quote asset. */
  allocation: string;
  /** Realized P&L of its closed trades, quote asset. */
  realizedPnl: string;
  /** Unrealized P&L of its open position ("0" when flat). */
  unrealizedPnl: string;
  /** Highest equity seen so far (persisted), null on the first evaluation. */
  peakEquity: number | null;
  /**
   * Restart the peak from the current equity (after a halt the user
   * re-activated: the losses so far are accepted). Default false.
   */
  resetPeak?: boolean;
  /** Drawdown from the peak, percent, at which it trips. */
  maxDrawdownPercent: number;
}

/** The breaker's verdict. */
export interface BreakerDecision {
  /** Equity now. */
  equity: number;
  /** Peak to persist. */
  peakEquity: number;
  /** Drawdown from the peak, percent. */
  drawdownPercent: number;
  /** True when the strategy must halt. */
  trip: boolean;
}

/**
 * Evaluates the breaker once.
 *
 * @example
 * ```ts
 * evaluateBreaker({ allocation: "100", realizedPnl: "-21", unrealizedPnl: "0", peakEquity: 100, maxDrawdownPercent: 20 });
 * // { equity: 79, peakEquity: 100, drawdownPercent: 21, trip: true }
 * ```
 */
export function evaluateBreaker(input: BreakerInput): BreakerDecision {
  const equity = Number(
    addDecimals(addDecimals(input.allocation, input.realizedPnl), input.unrealizedPnl),
  );
  const breaker = new DrawdownBreaker(input.maxDrawdownPercent);
  // The allocation is the first peak, as the backtester's first equity point is its balance.
  const peak = input.resetPeak ? equity : Math.max(input.peakEquity ?? 0, Number(input.allocation));
  breaker.restore({ peak, halted: false });
  const trip = breaker.update(equity);
  return {
    equity,
    peakEquity: breaker.peak,
    drawdownPercent: breaker.drawdownPercent,
    trip,
  };
}
