/**
 * Sharpe ratio of an equity curve.
 *
 * @module
 */

import { INTERVAL_MS } from "../candle.ts";

const YEAR_MS = 365 * 86_400_000;

/** Candles in a (365-day, crypto never closes) year for a kline interval, e.g. 8760 for `1h`. */
export function candlesPerYear(interval: string): number {
  const ms = INTERVAL_MS[interval];
  if (ms === undefined) throw new RangeError(`Unknown interval "${interval}"`);
  return YEAR_MS / ms;
}

/**
 * Annualised Sharpe ratio (risk-free rate 0): mean / sample standard deviation
 * of the per-candle returns `e[i] / e[i-1] − 1`, times `sqrt(periodsPerYear)`.
 * 0 when there are fewer than two returns or the returns never vary.
 *
 * @example
 * ```ts
 * sharpeRatio(report.equityCurve.equity, candlesPerYear("1h"));
 * ```
 */
export function sharpeRatio(equity: ArrayLike<number>, periodsPerYear: number): number {
  const n = equity.length - 1;
  if (n < 2) return 0;
  // One pass of sums: per-candle returns are small and centred near 0, so the
  // textbook cancellation of sum-of-squares does not bite here.
  let sum = 0;
  let sumSquares = 0;
  let prev = equity[0]!;
  for (let i = 1; i <= n; i++) {
    const e = equity[i]!;
    if (e !== prev) { // flat stretches (no position) are common: skip their division
      const r = prev > 0 ? e / prev - 1 : 0;
      sum += r;
      sumSquares += r * r;
      prev = e;
    }
  }
  const mean = sum / n;
  const sd = Math.sqrt(Math.max(0, (sumSquares - sum * mean) / (n - 1)));
  if (!(sd > 1e-12)) return 0; // flat (or float-noise) returns: no meaningful ratio
  return (mean / sd) * Math.sqrt(periodsPerYear);
}
