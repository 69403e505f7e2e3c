/**
 * The {@link Cache} on Deno KV, for a single machine without Redis. KV's own
 * `expireIn` deletes "some time after" the deadline, so each value also
 * carries its expiry and reads ignore what is past it. KV values are limited
 * to 64 KiB.
 *
 * @module
 */

import { type Clock, systemClock } from "../../engine/clock.ts";
import { AuraError } from "../../engine/errors.ts";
import type { Cache, LivePrice, StrategyState } from "../../engine/ports/cache.ts";
import { kvKeys } from "./_keys.ts";

interface Stored {
  readonly value: unknown;
  /** Unix ms, or null for no expiry. */
  readonly expiresAt: number | null;
}

/** Options of a {@link KvCache}. */
export interface KvCacheOptions {
  /** Key prefix (default `aura_cache`). */
  prefix?: string;
  /** Time source for expiry (default the system clock). */
  clock?: Clock;
}

/** A cache on a Deno KV database. */
export class KvCache implements Cache {
  readonly #kv: Deno.Kv;
  readonly #keys: ReturnType<typeof kvKeys>;
  readonly #clock: Clock;
  #closed = false;

  /** Opens (or creates) the KV database at `path` (`":memory:"` for a private one). */
  static async open(path = ":memory:", options: KvCacheOptions = {}): Promise<KvCache> {
    return new KvCache(await Deno.openKv(path), options);
  }

  private constructor(kv: Deno.Kv, options: KvCacheOptions) {
    this.#kv = kv;
    this.#keys = kvKeys(options.prefix ?? "aura_cache");
    this.#clock = options.clock ?? systemClock;
  }

  /** The JSON value under `key`, or null when missing or expired. */
  get<T = unknown>(key: string): Promise<T | null> {
    return this.#run(`read cache key "${key}"`, async (kv) => {
      const stored = (await kv.get<Stored>(this.#keys.value(key))).value;
      if (!stored || (stored.expiresAt !== null && stored.expiresAt <= this.#clock.now())) {
        return null;
      }
      return stored.value as T;
    });
  }

  /** Stores a JSON value, for `ttlMs` when given. */
  set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    return this.#run(`write cache key "${key}"`, async (kv) => {
      // A JSON round trip gives the same answers as Redis (no Dates, Maps, undefined).
      const json = JSON.parse(JSON.stringify(value ?? null));
      const expiresAt = ttlMs === undefined ? null : this.#clock.now() + ttlMs;
      const stored: Stored = { value: json, expiresAt };
      await kv.set(this.#keys.value(key), stored, ttlMs === undefined ? {} : { expireIn: ttlMs });
    });
  }

  /** Removes a key. */
  delete(key: string): Promise<void> {
    return this.#run(`delete cache key "${key}"`, (kv) => kv.delete(this.#keys.value(key)));
  }

  /** Records a price unless a newer one is stored (compare-and-set on the entry's version). */
  setPrice(symbol: string, price: string, timestamp: number): Promise<void> {
    return this.#run(`write the price of "${symbol}"`, async (kv) => {
      const key = this.#keys.price(symbol);
      for (;;) {
        const current = await kv.get<LivePrice>(key);
        if (current.value && current.value.timestamp > timestamp) return;
        const result = await kv.atomic().check(current).set(key, { symbol, price, timestamp })
          .commit();
        if (result.ok) return;
      }
    });
  }

  /** The latest price of a symbol, or null. */
  getPrice(symbol: string): Promise<LivePrice | null> {
    return this.#run(
      `read the price of "${symbol}"`,
      async (kv) => (await kv.get<LivePrice>(this.#keys.price(symbol))).value,
    );
  }

  /** Saves a strategy's state. */
  saveStrategyState(strategyId: string, state: Omit<StrategyState, "strategyId">): Promise<void> {
    return this.#run(`save the state of strategy "${strategyId}"`, async (kv) => {
      const json = JSON.parse(JSON.stringify({ ...state, strategyId }));
      await kv.set(this.#keys.strategy(strategyId), json);
    });
  }

  /** A strategy's saved state, or null. */
  loadStrategyState(strategyId: string): Promise<StrategyState | null> {
    return this.#run(
      `load the state of strategy "${strategyId}"`,
      async (kv) => (await kv.get<StrategyState>(this.#keys.strategy(strategyId))).value,
    );
  }

  /** Closes the database; idempotent. */
  close(): Promise<void> {
    if (!this.#closed) this.#kv.close();
    this.#closed = true;
    return Promise.resolve();
  }

  async #run<T>(action: string, work: (kv: Deno.Kv) => Promise<T>): Promise<T> {
    if (this.#closed) throw new AuraError("SYS_002", `Cannot ${action}: the cache is closed`);
    try {
      return await work(this.#kv);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new AuraError("SYS_002", `Cannot ${action}: ${reason}`);
    }
  }
}
