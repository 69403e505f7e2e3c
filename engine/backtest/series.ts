/**
 * Candles in columnar form: one Float64Array per field. The CSV parser
 * writes it and the backtester reads it, so a long replay touches no objects.
 *
 * @module
 */

import type { Candle } from "../candle.ts";

/** `length` candles, field by field (times in Unix ms). */
export interface CandleSeries {
  /** Number of candles. */
  readonly length: number;
  /** Open times. */
  readonly openTime: Float64Array;
  /** Close times. */
  readonly closeTime: Float64Array;
  /** Open prices. */
  readonly open: Float64Array;
  /** High prices. */
  readonly high: Float64Array;
  /** Low prices. */
  readonly low: Float64Array;
  /** Close prices. */
  readonly close: Float64Array;
  /** Base volumes. */
  readonly volume: Float64Array;
}

/** An empty series with room for `length` candles. */
export function allocateSeries(length: number): CandleSeries {
  return {
    length,
    openTime: new Float64Array(length),
    closeTime: new Float64Array(length),
    open: new Float64Array(length),
    high: new Float64Array(length),
    low: new Float64Array(length),
    close: new Float64Array(length),
    volume: new Float64Array(length),
  };
}

/** The first `length` candles of `series`, sharing its memory. */
export function sliceSeries(series: CandleSeries, length: number): CandleSeries {
  return {
    length,
    openTime: series.openTime.subarray(0, length),
    closeTime: series.closeTime.subarray(0, length),
    open: series.open.subarray(0, length),
    high: series.high.subarray(0, length),
    low: series.low.subarray(0, length),
    close: series.close.subarray(0, length),
    volume: series.volume.subarray(0, length),
  };
}

/** Candle objects → columns. */
export function seriesFromCandles(candles: readonly Candle[]): CandleSeries {
  const s = allocateSeries(candles.length);
  for (let i = 0; i < candles.length; i++) {
    const c = candles[i]!;
    s.openTime[i] = c.openTime;
    s.closeTime[i] = c.closeTime;
    s.open[i] = c.open;
    s.high[i] = c.high;
    s.low[i] = c.low;
    s.close[i] = c.close;
    s.volume[i] = c.volume;
  }
  return s;
}

/** Copies candle `i` of `series` into `target` (reused, so replays allocate nothing). */
export function readCandle(series: CandleSeries, i: number, target: Candle): Candle {
  target.openTime = series.openTime[i]!;
  target.closeTime = series.closeTime[i]!;
  target.open = series.open[i]!;
  target.high = series.high[i]!;
  target.low = series.low[i]!;
  target.close = series.close[i]!;
  target.volume = series.volume[i]!;
  return target;
}

/** Candle `i` as a new object. */
export function candleAt(series: CandleSeries, i: number): Candle {
  return readCandle(series, i, {
    openTime: 0,
    closeTime: 0,
    open: 0,
    high: 0,
    low: 0,
    close: 0,
    volume: 0,
  });
}
