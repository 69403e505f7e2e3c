/**
 * Latest prices for the portfolio: a {@link PriceSource} port the pipeline
 * feeds from closed klines (or ticks), with the last cached kline close as
 * the fallback for a symbol the source has not seen.
 *
 * @module
 */
import type { Queryable } from "../db/port.ts";
import { latestKlineClose } from "../db/klines.ts";
import { INTERVALS } from "../engine/candle.ts";
import type { Clock } from "../engine/clock.ts";

/** The port: the latest known price of a symbol (decimal string). */
export interface PriceSource {
  /** Latest price, or undefined when unknown. */
  latest(symbol: string): string | undefined;
}

/** An in-memory {@link PriceSource} that the pipeline updates. */
export class LivePrices implements PriceSource {
  readonly #prices = new Map<string, { price: string; time: number }>();

  /** Records a price observed at `time` (ms); older observations never overwrite newer ones. */
  update(symbol: string, price: string, time: number): void {
    const cur = this.#prices.get(symbol);
    if (cur && cur.time > time) return;
    this.#prices.set(symbol, { price, time });
  }

  /** The latest price of `symbol`. */
  latest(symbol: string): string | undefined {
    return this.#prices.get(symbol)?.price;
  }
}

/** A price with where it came from. */
export interface Quote {
  /** Price as a decimal string. */
  price: string;
  /** `live` from the source, `kline` from the cache fallback. */
  source: "live" | "kline";
}

/** What {@link PriceService} needs. */
export interface PriceServiceDeps {
  /** Storage (the klines cache fallback). */
  db: Queryable;
  /** Time source (fallback cache expiry). */
  clock: Clock;
  /** The live source, when the pipeline provides one. */
  source?: PriceSource | undefined;
  /** How long a fallback lookup is reused, ms (default 5,000). */
  fallbackTtlMs?: number;
}

/** Latest prices by symbol: the live source first, then the newest cached kline close. */
export class PriceService {
  readonly #deps: PriceServiceDeps;
  readonly #fallback = new Map<string, { quote: Quote | null; at: number }>();

  /** Creates the service. */
  constructor(deps: PriceServiceDeps) {
    this.#deps = deps;
  }

  /** Quotes for `symbols` (symbols without any price are absent). */
  async quotes(symbols: Iterable<string>): Promise<Map<string, Quote>> {
    const out = new Map<string, Quote>();
    const missing: string[] = [];
    for (const symbol of new Set(symbols)) {
      const price = this.#deps.source?.latest(symbol);
      if (price !== undefined) out.set(symbol, { price, source: "live" });
      else missing.push(symbol);
    }
    const now = this.#deps.clock.now();
    const ttl = this.#deps.fallbackTtlMs ?? 5_000;
    await Promise.all(missing.map(async (symbol) => {
      let cached = this.#fallback.get(symbol);
      if (!cached || now - cached.at > ttl) {
        const k = await latestKlineClose(this.#deps.db, symbol, INTERVALS);
        cached = { quote: k ? { price: k.close, source: "kline" } : null, at: now };
        this.#fallback.set(symbol, cached);
      }
      if (cached.quote) out.set(symbol, cached.quote);
    }));
    return out;
  }
}
