/**
 * Rolls pushed candles up into every longer Binance interval, so a 1m replay
 * also serves 5m, 1h, 4h … klines and streams, as Binance does. Only the
 * finest interval pushed for a symbol is rolled up, and intervals pushed
 * directly are never derived (no duplicate events).
 *
 * @module
 */

import { INTERVAL_MS } from "../engine/candle.ts";
import { addDecimals, compareDecimals } from "../engine/orders/decimal.ts";
import type { SimCandle } from "./market.ts";

/** Intervals derived from shorter ones (1M has no fixed length and 1s is never derived). */
const DERIVED = [
  "1m",
  "3m",
  "5m",
  "15m",
  "30m",
  "1h",
  "2h",
  "4h",
  "6h",
  "8h",
  "12h",
  "1d",
  "3d",
  "1w",
];

interface Bucket {
  interval: string;
  candle: SimCandle;
}

/** A candle of a longer interval completed by the last push. */
export interface DerivedCandle {
  /** The longer interval, e.g. `1h`. */
  interval: string;
  /** The closed candle. */
  candle: SimCandle;
}

/** The per-symbol roll-up state. */
export class CandleAggregator {
  readonly #pushed = new Map<string, Set<string>>();
  readonly #open = new Map<string, Bucket>();

  /** Records a pushed candle and returns the longer candles it closes. */
  add(symbol: string, interval: string, candle: SimCandle): DerivedCandle[] {
    let pushed = this.#pushed.get(symbol);
    if (!pushed) this.#pushed.set(symbol, pushed = new Set());
    pushed.add(interval);
    const step = INTERVAL_MS[interval];
    const finest = Math.min(...[...pushed].map((i) => INTERVAL_MS[i] ?? Infinity));
    if (step === undefined || step !== finest || interval === "1M") return [];
    const closed: DerivedCandle[] = [];
    for (const target of DERIVED) {
      const length = INTERVAL_MS[target]!;
      if (length <= step || length % step !== 0 || pushed.has(target)) continue;
      // Weeks start on Monday (the epoch was a Thursday); the others align to the epoch.
      const offset = target === "1w" ? 4 * 86_400_000 : 0;
      const openTime = Math.floor((candle.openTime - offset) / length) * length + offset;
      const key = `${symbol}|${target}`;
      const bucket = this.#open.get(key);
      if (bucket && bucket.candle.openTime !== openTime) {
        // The bucket's last candle never came (a gap): close it as it stands.
        closed.push({ interval: target, candle: bucket.candle });
        this.#open.delete(key);
      }
      const current = this.#open.get(key)?.candle;
      const merged: SimCandle = current
        ? {
          openTime,
          closeTime: openTime + length - 1,
          open: current.open,
          high: compareDecimals(candle.high, current.high) > 0 ? candle.high : current.high,
          low: compareDecimals(candle.low, current.low) < 0 ? candle.low : current.low,
          close: candle.close,
          volume: addDecimals(current.volume, candle.volume),
        }
        : { ...candle, openTime, closeTime: openTime + length - 1 };
      if (candle.closeTime >= merged.closeTime) {
        this.#open.delete(key);
        closed.push({ interval: target, candle: merged });
      } else {
        this.#open.set(key, { interval: target, candle: merged });
      }
    }
    return closed;
  }
}
