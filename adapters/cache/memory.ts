/**
 * The in-process {@link Cache}: for tests, backtests and a one-process
 * deployment that needs no shared state. Values are copied through JSON, so
 * it answers exactly as the Redis and KV caches do.
 *
 * @module
 */

import { type Clock, systemClock } from "../../engine/clock.ts";
import { AuraError } from "../../engine/errors.ts";
import type { Cache, LivePrice, StrategyState } from "../../engine/ports/cache.ts";

/** A cache in a `Map`, with expiry read from a {@link Clock}. */
export class MemoryCache implements Cache {
  readonly #clock: Clock;
  readonly #values = new Map<string, { json: string; expiresAt: number | null }>();
  readonly #prices = new Map<string, LivePrice>();
  readonly #states = new Map<string, string>();
  #closed = false;

  /** Creates an empty cache; `clock` decides expiry (default the system clock). */
  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  /** The JSON value under `key`, or null when missing or expired. */
  get<T = unknown>(key: string): Promise<T | null> {
    return this.#run(`read cache key "${key}"`, () => {
      const stored = this.#values.get(key);
      if (!stored) return null;
      if (stored.expiresAt !== null && stored.expiresAt <= this.#clock.now()) {
        this.#values.delete(key);
        return null;
      }
      return JSON.parse(stored.json) as T;
    });
  }

  /** Stores a JSON value, for `ttlMs` when given. */
  set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    return this.#run(`write cache key "${key}"`, () => {
      const expiresAt = ttlMs === undefined ? null : this.#clock.now() + ttlMs;
      this.#values.set(key, { json: JSON.stringify(value ?? null), expiresAt });
    });
  }

  /** Removes a key. */
  delete(key: string): Promise<void> {
    return this.#run(`delete cache key "${key}"`, () => void this.#values.delete(key));
  }

  /** Records a price unless a newer one is stored. */
  setPrice(symbol: string, price: string, timestamp: number): Promise<void> {
    return this.#run(`write the price of "${symbol}"`, () => {
      const current = this.#prices.get(symbol);
      if (!current || current.timestamp <= timestamp) {
        this.#prices.set(symbol, { symbol, price, timestamp });
      }
    });
  }

  /** The latest price of a symbol, or null. */
  getPrice(symbol: string): Promise<LivePrice | null> {
    return this.#run(`read the price of "${symbol}"`, () => this.#prices.get(symbol) ?? null);
  }

  /** Saves a strategy's state. */
  saveStrategyState(strategyId: string, state: Omit<StrategyState, "strategyId">): Promise<void> {
    return this.#run(`save the state of strategy "${strategyId}"`, () => {
      this.#states.set(strategyId, JSON.stringify({ ...state, strategyId }));
    });
  }

  /** A strategy's saved state, or null. */
  loadStrategyState(strategyId: string): Promise<StrategyState | null> {
    return this.#run(`load the state of strategy "${strategyId}"`, () => {
      const json = this.#states.get(strategyId);
      return json === undefined ? null : JSON.parse(json) as StrategyState;
    });
  }

  /** Drops everything; idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    this.#values.clear();
    this.#prices.clear();
    this.#states.clear();
    return Promise.resolve();
  }

  #run<T>(action: string, work: () => T): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new AuraError("SYS_002", `Cannot ${action}: the cache is closed`));
    }
    return Promise.resolve(work());
  }
}
