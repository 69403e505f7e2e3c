/**
 * The `Cache` port: short-lived shared state that is cheap to lose — live
 * prices for the UI and the strategy runners' indicator state, so a restarted
 * strategy worker resumes without replaying history. Adapters: Redis
 * (several processes) and Deno KV (single machine); both run
 * adapters/cache/contract_test_suite.ts.
 *
 * Values are JSON; money stays a decimal string.
 *
 * @module
 */

import type { RunnerSnapshot } from "../strategy/runner.ts";

/** The latest trade price of a symbol (the design's `LivePrice`). */
export interface LivePrice {
  /** Symbol, e.g. `BTCUSDT`. */
  readonly symbol: string;
  /** Price as a decimal string. */
  readonly price: string;
  /** When the price was observed, Unix ms. */
  readonly timestamp: number;
}

/**
 * A strategy's resumable state (the design's `StrategyState`). The design
 * listed indicator value arrays; the runner's snapshot holds what it actually
 * needs to resume (each indicator's internal state and the last candle).
 */
export interface StrategyState {
  /** Strategy id. */
  readonly strategyId: string;
  /** The runner's snapshot (plain JSON). */
  readonly snapshot: RunnerSnapshot;
  /** When the state was saved, Unix ms (the close time of the last candle it includes). */
  readonly lastUpdate: number;
}

/** The cache. */
export interface Cache {
  /** The JSON value under `key`, or null when missing or expired. */
  get<T = unknown>(key: string): Promise<T | null>;
  /** Stores a JSON value, for `ttlMs` when given (else until deleted). */
  set(key: string, value: unknown, ttlMs?: number): Promise<void>;
  /** Removes a key (no error when missing). */
  delete(key: string): Promise<void>;
  /** Records the latest price of a symbol; an older `timestamp` than the stored one is ignored. */
  setPrice(symbol: string, price: string, timestamp: number): Promise<void>;
  /** The latest price of a symbol, or null. */
  getPrice(symbol: string): Promise<LivePrice | null>;
  /** Saves a strategy's state (replacing the previous one). */
  saveStrategyState(strategyId: string, state: Omit<StrategyState, "strategyId">): Promise<void>;
  /** A strategy's saved state, or null. */
  loadStrategyState(strategyId: string): Promise<StrategyState | null>;
  /** Closes connections; idempotent. */
  close(): Promise<void>;
}
