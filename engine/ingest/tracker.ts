/**
 * The closed-candle gate of the ingestor: each (symbol, interval, open time)
 * passes once, in order, and only when sound. It also tells the ingestor
 * which candles are missing, so a gap (a reconnect, a lost message) is filled
 * through REST before the next live candle is published.
 *
 * @module
 */

import { INTERVAL_MS, type KlineData } from "../candle.ts";
import { type KlineAnomaly, klineAnomaly } from "./validate.ts";

/** What to do with a closed kline. */
export type Admission =
  | { readonly verdict: "publish" }
  | { readonly verdict: "duplicate" }
  | { readonly verdict: "out_of_order"; readonly lastOpenTime: number }
  | { readonly verdict: "anomaly"; readonly anomaly: KlineAnomaly };

interface StreamState {
  lastOpenTime: number;
  reference: KlineData | null;
}

const PUBLISH: Admission = Object.freeze({ verdict: "publish" });
const DUPLICATE: Admission = Object.freeze({ verdict: "duplicate" });

/** The key of a kline stream, e.g. `BTCUSDT|1m`. */
export function streamKey(symbol: string, interval: string): string {
  return `${symbol}|${interval}`;
}

/**
 * Remembers, per stream, the last candle that passed (or was withheld as an
 * anomaly: a withheld candle is not asked for again).
 *
 * @example
 * ```ts
 * const tracker = new ClosedCandleTracker(20);
 * const gap = tracker.gapBefore(kline); // [from, to) to fetch through REST first
 * if (tracker.admit(kline).verdict === "publish") publish(kline);
 * ```
 */
export class ClosedCandleTracker {
  readonly #jumpThresholdPercent: number;
  readonly #streams = new Map<string, StreamState>();

  /** `jumpThresholdPercent`: a close further than this from the previous close is an anomaly. */
  constructor(jumpThresholdPercent: number) {
    this.#jumpThresholdPercent = jumpThresholdPercent;
  }

  /**
   * Decides on `kline` and records it when it passes or is an anomaly.
   * A candle with a price jump still becomes the reference, so a real level
   * shift withholds one candle rather than every later one.
   */
  admit(kline: KlineData): Admission {
    const key = streamKey(kline.symbol, kline.interval);
    let state = this.#streams.get(key);
    if (state === undefined) {
      this.#streams.set(key, state = { lastOpenTime: -1, reference: null });
    }
    if (kline.openTime === state.lastOpenTime) return DUPLICATE;
    if (kline.openTime < state.lastOpenTime) {
      return { verdict: "out_of_order", lastOpenTime: state.lastOpenTime };
    }
    const anomaly = klineAnomaly(kline, state.reference, this.#jumpThresholdPercent);
    if (anomaly !== null && anomaly.kind !== "price_jump") {
      // Malformed data says nothing about the stream's position: a corrected copy may follow.
      return { verdict: "anomaly", anomaly };
    }
    state.lastOpenTime = kline.openTime;
    state.reference = kline;
    return anomaly === null ? PUBLISH : { verdict: "anomaly", anomaly };
  }

  /** Open time of the last candle that passed on the stream, or null before the first. */
  lastOpenTime(symbol: string, interval: string): number | null {
    const t = this.#streams.get(streamKey(symbol, interval))?.lastOpenTime ?? -1;
    return t < 0 ? null : t;
  }

  /**
   * The open times `[from, to)` missing before `kline` (to fetch through REST
   * first), or null when it directly follows the last one or the stream is new.
   */
  gapBefore(kline: KlineData): [number, number] | null {
    const last = this.lastOpenTime(kline.symbol, kline.interval);
    const step = INTERVAL_MS[kline.interval];
    if (last === null || step === undefined || kline.interval === "1M") return null;
    const from = last + step;
    return kline.openTime > from ? [from, kline.openTime] : null;
  }

  /** Forgets a stream (after its last subscriber left). */
  forget(symbol: string, interval: string): void {
    this.#streams.delete(streamKey(symbol, interval));
  }
}
