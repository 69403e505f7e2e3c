/**
 * Hand-written candle tables for tests: `[open, high, low, close]` rows become
 * one-minute candles starting at time 0.
 *
 * @module
 */

import type { Candle } from "../candle.ts";

/** One row: open, high, low, close. */
export type Row = readonly [open: number, high: number, low: number, close: number];

/** Minute candles from rows; candle `i` closes at `i * 60000 + 59999`. */
export function table(rows: readonly Row[]): Candle[] {
  return rows.map(([open, high, low, close], i) => ({
    openTime: i * 60_000,
    closeTime: i * 60_000 + 59_999,
    open,
    high,
    low,
    close,
    volume: 1,
  }));
}

/** Flat candles (open = high = low = close) from closes. */
export function closes(values: readonly number[]): Candle[] {
  return table(values.map((v) => [v, v, v, v] as const));
}

/** Close time of candle `i` in a {@link table}. */
export function closeTimeOf(i: number): number {
  return i * 60_000 + 59_999;
}
