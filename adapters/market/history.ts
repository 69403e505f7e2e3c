/**
 * Warm-up and catch-up history for the strategy worker: closed candles from
 * the exchange's REST klines, validated, cached in the database (db/klines.ts)
 * and read back from that cache when the exchange cannot be reached.
 *
 * @module
 */

import { INTERVAL_MS, type KlineData } from "../../engine/candle.ts";
import type { Clock } from "../../engine/clock.ts";
import { ClosedCandleTracker } from "../../engine/ingest/tracker.ts";
import { latestKlineOpenTime, listKlines, upsertKlines } from "../../db/klines.ts";
import type { Queryable } from "../../db/port.ts";
import { createLogger } from "../../logger.ts";
import { fetchClosedKlines, fetchLatestClosedKlines } from "./rest_klines.ts";

const log = createLogger("market-history");

/** What {@link KlineHistory} needs. */
export interface KlineHistoryDeps {
  /** REST base URL. */
  restUrl: string;
  /** Time source (is a candle closed yet). */
  clock: Clock;
  /** The klines cache; absent: REST only. */
  db?: Queryable | undefined;
  /** Close-to-close move (percent) that marks a candle as unsound. */
  jumpThresholdPercent: number;
  /** HTTP client (default global fetch). */
  fetch?: typeof fetch;
}

/** Closed-candle history with a database cache; see the module doc. */
export class KlineHistory {
  readonly #d: KlineHistoryDeps;

  /** Creates the source. */
  constructor(deps: KlineHistoryDeps) {
    this.#d = deps;
  }

  /** The newest `limit` closed candles (at most 1,000), oldest first. */
  async latest(symbol: string, interval: string, limit: number): Promise<KlineData[]> {
    if (limit <= 0) return [];
    try {
      const klines = await fetchLatestClosedKlines({ ...this.#rest(), symbol, interval, limit });
      return await this.#keep(klines);
    } catch (error) {
      const db = this.#d.db;
      const step = INTERVAL_MS[interval];
      if (!db || step === undefined) throw error;
      log.warn("Exchange klines unreachable, warming up from the cache", {
        symbol,
        interval,
        error: error instanceof Error ? error.message : String(error),
      });
      const last = await latestKlineOpenTime(db, symbol, interval);
      if (last === null) throw error;
      return this.#sound(
        await listKlines(db, symbol, interval, last - (limit - 1) * step, last + 1),
      );
    }
  }

  /**
   * Closed candles with open time `>= from`, oldest first, at most
   * `maxCandles`; `complete` is false when more exist (too far behind).
   */
  async since(
    symbol: string,
    interval: string,
    from: number,
    maxCandles: number,
  ): Promise<{ klines: KlineData[]; complete: boolean }> {
    const pages = Math.max(1, Math.ceil(maxCandles / 1000));
    const klines = await fetchClosedKlines({
      ...this.#rest(),
      symbol,
      interval,
      from,
      maxPages: pages + 1,
    });
    if (klines.length > maxCandles) return { klines: [], complete: false };
    return { klines: await this.#keep(klines), complete: true };
  }

  #rest() {
    return {
      restUrl: this.#d.restUrl,
      now: this.#d.clock.now(),
      ...(this.#d.fetch ? { fetch: this.#d.fetch } : {}),
    };
  }

  async #keep(klines: KlineData[]): Promise<KlineData[]> {
    const sound = this.#sound(klines);
    if (this.#d.db && sound.length) {
      await upsertKlines(this.#d.db, sound).catch((error) =>
        log.warn("Could not cache klines", { error: String(error) })
      );
    }
    return sound;
  }

  /** The same gate as the live stream, so history and live agree on which candles exist. */
  #sound(klines: KlineData[]): KlineData[] {
    const gate = new ClosedCandleTracker(this.#d.jumpThresholdPercent);
    return klines.filter((k) => {
      const admission = gate.admit(k);
      if (admission.verdict === "anomaly") {
        log.warn("History kline withheld", {
          symbol: k.symbol,
          interval: k.interval,
          openTime: k.openTime,
          ...admission.anomaly,
        });
      }
      return admission.verdict === "publish";
    });
  }
}
