/**
 * Relative strength index, Wilder's smoothing, TA-Lib style.
 *
 * @module
 */

import { checkPeriod, notFinite, openSnapshot, readNumber } from "./_checks.ts";
import type { IndicatorSnapshot, StreamingIndicator } from "./types.ts";

/**
 * TA-Lib's `TA_IS_ZERO` band: when average gain plus average loss falls inside
 * (-1e-14, 1e-14) the RSI is 0 rather than 100 * 0/0. This is TA-Lib's current
 * `TA_EPSILON`; releases up to 0.6 used 1e-8, which zeroes the RSI of
 * sub-cent coins (a 1e-5 token moving 1e-9 per candle) — wrong for Binance.
 */
export const RSI_ZERO_BAND = 1e-14;

/**
 * Streaming RSI exactly as TA-Lib's `TA_RSI` (default compatibility, unstable
 * period 0). Lookback is `period`: the first value, at index `period`, uses
 * the simple averages of the first `period` gains and losses; later averages
 * are Wilder's `(prev * (period - 1) + today) / period`, in TA-Lib's
 * operation order (bit-identical). The value is
 * `100 * avgGain / (avgGain + avgLoss)`, so no loss gives 100 and no movement
 * at all gives 0 (see {@link RSI_ZERO_BAND}).
 *
 * @example
 * ```ts
 * const rsi = new Rsi(14);
 * for (const close of closes) rsi.update(close);
 * if (rsi.isStable && rsi.value < 30) buy();
 * ```
 */
export class Rsi implements StreamingIndicator {
  /** Number of price changes averaged (2 to 100000, as TA-Lib accepts). */
  readonly period: number;
  /** `period`: the first value needs `period` price changes, so `period + 1` inputs. */
  readonly lookback: number;
  private n = 0;
  private prevClose = 0;
  private prevCloseBefore = 0;
  // Sums of gains/losses while warming up, Wilder averages after.
  private gain = 0;
  private loss = 0;
  private gainBefore = 0;
  private lossBefore = 0;
  private current = 0;

  /** Creates an RSI over `period` price changes. */
  constructor(period: number) {
    this.period = checkPeriod("RSI", "period", period, 2);
    this.lookback = period;
  }

  /** Feeds the next closed value; returns the RSI (NaN while warming up). */
  update(value: number): number {
    if (value - value !== 0) throw notFinite(`RSI(${this.period})`, value);
    const n = this.n + 1;
    this.n = n;
    const prev = this.prevClose;
    this.prevCloseBefore = prev;
    this.prevClose = value;
    if (n === 1) return NaN;
    this.gainBefore = this.gain;
    this.lossBefore = this.loss;
    return this.step(n, value - prev);
  }

  /** Replaces the last fed value and returns the recomputed RSI; acts as update when empty. */
  replace(value: number): number {
    const n = this.n;
    if (n === 0) return this.update(value);
    if (value - value !== 0) throw notFinite(`RSI(${this.period})`, value);
    this.prevClose = value;
    if (n === 1) return NaN;
    return this.step(n, value - this.prevCloseBefore);
  }

  /** Applies the `n`-th input's change to the averages as they were before it. */
  private step(n: number, change: number): number {
    const period = this.period;
    let gain = this.gainBefore;
    let loss = this.lossBefore;
    if (n <= period + 1) {
      if (change < 0) loss -= change;
      else gain += change;
      this.gain = gain;
      this.loss = loss;
      if (n <= period) return NaN;
      loss /= period;
      gain /= period;
    } else {
      loss *= period - 1;
      gain *= period - 1;
      if (change < 0) loss -= change;
      else gain += change;
      loss /= period;
      gain /= period;
    }
    this.gain = gain;
    this.loss = loss;
    const total = gain + loss;
    return (this.current = total > -RSI_ZERO_BAND && total < RSI_ZERO_BAND
      ? 0
      : 100 * (gain / total));
  }

  /** Current RSI in [0, 100], NaN while warming up. */
  get value(): number {
    return this.n > this.period ? this.current : NaN;
  }

  /** True once `period + 1` values were fed. */
  get isStable(): boolean {
    return this.n > this.period;
  }

  /** Number of values fed. */
  get count(): number {
    return this.n;
  }

  /** Back to the freshly-constructed state. */
  reset(): void {
    this.n = 0;
    this.prevClose = this.prevCloseBefore = 0;
    this.gain =
      this.loss =
      this.gainBefore =
      this.lossBefore =
        0;
    this.current = 0;
  }

  /** Plain-JSON image of the state. */
  snapshot(): IndicatorSnapshot {
    return {
      indicator: "RSI",
      params: { period: this.period },
      count: this.n,
      state: {
        prevClose: this.prevClose,
        prevCloseBefore: this.prevCloseBefore,
        gain: this.gain,
        loss: this.loss,
        gainBefore: this.gainBefore,
        lossBefore: this.lossBefore,
        current: this.current,
      },
    };
  }

  /** Resumes from a snapshot of an RSI with the same period; throws SYS_002 otherwise. */
  restore(s: IndicatorSnapshot): void {
    const label = `RSI(${this.period})`;
    const state = openSnapshot(label, "RSI", { period: this.period }, s);
    const prevClose = readNumber(label, state, "prevClose");
    const prevCloseBefore = readNumber(label, state, "prevCloseBefore");
    const gain = readNumber(label, state, "gain");
    const loss = readNumber(label, state, "loss");
    const gainBefore = readNumber(label, state, "gainBefore");
    const lossBefore = readNumber(label, state, "lossBefore");
    const current = readNumber(label, state, "current");
    this.n = s.count;
    this.prevClose = prevClose;
    this.prevCloseBefore = prevCloseBefore;
    this.gain = gain;
    this.loss = loss;
    this.gainBefore = gainBefore;
    this.lossBefore = lossBefore;
    this.current = current;
  }
}
