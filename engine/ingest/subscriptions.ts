/**
 * Reference counting of kline streams: several strategies may need the same
 * (symbol, interval); the stream is subscribed when the first one needs it
 * and unsubscribed when the last one lets go.
 *
 * @module
 */

/** A kline stream as the ingestor subscribes it. */
export interface StreamId {
  /** Symbol, upper case, e.g. `BTCUSDT`. */
  readonly symbol: string;
  /** Interval, e.g. `1m`. */
  readonly interval: string;
}

/** Binance's stream name, e.g. `btcusdt@kline_1m`. */
export function klineStreamName(symbol: string, interval: string): string {
  return `${symbol.toLowerCase()}@kline_${interval}`;
}

/**
 * Counts holders per stream.
 *
 * @example
 * ```ts
 * const counts = new SubscriptionCounts();
 * if (counts.add("BTCUSDT", "1m")) socket.send(subscribe(["btcusdt@kline_1m"]));
 * ```
 */
export class SubscriptionCounts {
  readonly #counts = new Map<string, { stream: StreamId; holders: number }>();

  /** Adds a holder; true when the stream was not held before (subscribe now). */
  add(symbol: string, interval: string): boolean {
    const name = klineStreamName(symbol, interval);
    const entry = this.#counts.get(name);
    if (entry) {
      entry.holders++;
      return false;
    }
    this.#counts.set(name, { stream: { symbol: symbol.toUpperCase(), interval }, holders: 1 });
    return true;
  }

  /** Removes a holder; true when it was the last one (unsubscribe now). Unknown streams: false. */
  remove(symbol: string, interval: string): boolean {
    const name = klineStreamName(symbol, interval);
    const entry = this.#counts.get(name);
    if (!entry) return false;
    if (--entry.holders > 0) return false;
    this.#counts.delete(name);
    return true;
  }

  /** Holders of a stream (0 when not held). */
  holders(symbol: string, interval: string): number {
    return this.#counts.get(klineStreamName(symbol, interval))?.holders ?? 0;
  }

  /** The held streams. */
  streams(): StreamId[] {
    return [...this.#counts.values()].map((e) => e.stream);
  }

  /** The held streams' Binance names. */
  names(): string[] {
    return [...this.#counts.keys()];
  }
}
