/**
 * Whole-series helpers: each runs the streaming class over the input, so a
 * backtest and a live feed can never disagree on a value.
 *
 * @module
 */

import { Ema } from "./ema.ts";
import { Macd } from "./macd.ts";
import { Rsi } from "./rsi.ts";
import { Sma } from "./sma.ts";

/** The three MACD series, each aligned to the input (NaN during warm-up). */
export interface MacdSeries {
  /** MACD line. */
  macd: Float64Array;
  /** Signal line. */
  signal: Float64Array;
  /** MACD - signal. */
  histogram: Float64Array;
}

// One loop per class keeps each call site monomorphic (fast), instead of one
// generic loop over StreamingIndicator.

/**
 * SMA of `values`, aligned to the input: NaN for the first `period - 1` entries.
 *
 * @example
 * ```ts
 * sma([1, 2, 3, 4], 2); // Float64Array [NaN, 1.5, 2.5, 3.5]
 * ```
 */
export function sma(values: ArrayLike<number>, period: number): Float64Array {
  const indicator = new Sma(period);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = indicator.update(values[i] as number);
  return out;
}

/**
 * TA-Lib EMA of `values`, aligned to the input: NaN for the first `period - 1` entries.
 *
 * @example
 * ```ts
 * ema([1, 2, 3, 4], 3); // Float64Array [NaN, NaN, 2, 3]
 * ```
 */
export function ema(values: ArrayLike<number>, period: number): Float64Array {
  const indicator = new Ema(period);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = indicator.update(values[i] as number);
  return out;
}

/** TA-Lib RSI of `values`, aligned to the input: NaN for the first `period` entries. */
export function rsi(values: ArrayLike<number>, period: number): Float64Array {
  const indicator = new Rsi(period);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = indicator.update(values[i] as number);
  return out;
}

/**
 * TA-Lib MACD of `values`; each series is aligned to the input and NaN for the
 * first `slow - 1 + signal - 1` entries (33 for 12/26/9).
 */
export function macd(
  values: ArrayLike<number>,
  fast: number,
  slow: number,
  signal: number,
): MacdSeries {
  const indicator = new Macd(fast, slow, signal);
  const series: MacdSeries = {
    macd: new Float64Array(values.length),
    signal: new Float64Array(values.length),
    histogram: new Float64Array(values.length),
  };
  for (let i = 0; i < values.length; i++) {
    series.macd[i] = indicator.update(values[i] as number);
    series.signal[i] = indicator.signal;
    series.histogram[i] = indicator.histogram;
  }
  return series;
}
