/**
 * Exponential moving average, TA-Lib style.
 *
 * @module
 */

import { checkPeriod, notFinite, openSnapshot, readNumber } from "./_checks.ts";
import type { IndicatorSnapshot, StreamingIndicator } from "./types.ts";

/**
 * Streaming EMA exactly as TA-Lib's `TA_EMA` (default compatibility): the
 * first value, at index `period - 1`, is the plain mean of the first `period`
 * inputs (summed from 0 in input order, then divided), and every later value
 * is `(x - prev) * k + prev` with `k = 2 / (period + 1)`; the arithmetic order
 * is TA-Lib's, so results are bit-identical to it.
 *
 * @example
 * ```ts
 * const ema = new Ema(3);
 * for (const close of [1, 2, 3, 4]) ema.update(close); // NaN, NaN, 2, 3
 * ema.replace(6); // 4: the last (still open) candle moved from 4 to 6
 * ```
 */
export class Ema implements StreamingIndicator {
  /** Number of values averaged (1 to 100000, as TA-Lib accepts). */
  readonly period: number;
  /** `period - 1`: inputs consumed before the first value. */
  readonly lookback: number;
  /** Smoothing factor `2 / (period + 1)`. */
  readonly k: number;
  // Plain number fields keep the hot path monomorphic. The "Before" fields hold
  // the state as it was before the last input, so replace() can redo that step.
  private n = 0;
  private seedSum = 0;
  private seedSumBefore = 0;
  private current = 0;
  private currentBefore = 0;

  /** Creates an EMA over `period` values. */
  constructor(period: number) {
    this.period = checkPeriod("EMA", "period", period, 1);
    this.lookback = period - 1;
    this.k = 2 / (period + 1);
  }

  /** Feeds the next closed value; returns the EMA (NaN while warming up). */
  update(value: number): number {
    if (value - value !== 0) throw notFinite(`EMA(${this.period})`, value);
    const n = this.n + 1;
    this.n = n;
    if (n > this.period) {
      const prev = this.current;
      this.currentBefore = prev;
      return (this.current = (value - prev) * this.k + prev);
    }
    return this.seed(n, value, this.seedSum);
  }

  /** Replaces the last fed value and returns the recomputed EMA; acts as update when empty. */
  replace(value: number): number {
    const n = this.n;
    if (n === 0) return this.update(value);
    if (value - value !== 0) throw notFinite(`EMA(${this.period})`, value);
    if (n > this.period) {
      const prev = this.currentBefore;
      return (this.current = (value - prev) * this.k + prev);
    }
    return this.seed(n, value, this.seedSumBefore);
  }

  private seed(n: number, value: number, sumBefore: number): number {
    this.seedSumBefore = sumBefore;
    const sum = sumBefore + value;
    this.seedSum = sum;
    if (n < this.period) return NaN;
    return (this.current = sum / this.period);
  }

  /** Current EMA, NaN while warming up. */
  get value(): number {
    return this.n >= this.period ? this.current : NaN;
  }

  /** True once `period` values were fed. */
  get isStable(): boolean {
    return this.n >= this.period;
  }

  /** Number of values fed. */
  get count(): number {
    return this.n;
  }

  /** Back to the freshly-constructed state. */
  reset(): void {
    this.n = 0;
    this.seedSum = this.seedSumBefore = 0;
    this.current = this.currentBefore = 0;
  }

  /** Plain-JSON image of the state. */
  snapshot(): IndicatorSnapshot {
    return {
      indicator: "EMA",
      params: { period: this.period },
      count: this.n,
      state: {
        seedSum: this.seedSum,
        seedSumBefore: this.seedSumBefore,
        current: this.current,
        currentBefore: this.currentBefore,
      },
    };
  }

  /** Resumes from a snapshot of an EMA with the same period; throws SYS_002 otherwise. */
  restore(s: IndicatorSnapshot): void {
    const label = `EMA(${this.period})`;
    const state = openSnapshot(label, "EMA", { period: this.period }, s);
    const seedSum = readNumber(label, state, "seedSum");
    const seedSumBefore = readNumber(label, state, "seedSumBefore");
    const current = readNumber(label, state, "current");
    const currentBefore = readNumber(label, state, "currentBefore");
    this.n = s.count;
    this.seedSum = seedSum;
    this.seedSumBefore = seedSumBefore;
    this.current = current;
    this.currentBefore = currentBefore;
  }
}
