/**
 * Every cache key in one place, for both stores (Redis strings, KV tuples).
 *
 * @module
 */

/** Redis key builders under `prefix`. */
export function redisKeys(prefix: string) {
  return {
    /** A generic JSON value. */
    value: (key: string) => `${prefix}:value:${key}`,
    /** A symbol's live price (hash of `price`, `timestamp`). */
    price: (symbol: string) => `${prefix}:price:${symbol}`,
    /** A strategy's resumable state (JSON). */
    strategy: (strategyId: string) => `${prefix}:strategy:${strategyId}`,
  };
}

/** Deno KV key builders under `prefix`. */
export function kvKeys(prefix: string) {
  return {
    /** A generic JSON value. */
    value: (key: string): Deno.KvKey => [prefix, "value", key],
    /** A symbol's live price. */
    price: (symbol: string): Deno.KvKey => [prefix, "price", symbol],
    /** A strategy's resumable state. */
    strategy: (strategyId: string): Deno.KvKey => [prefix, "strategy", strategyId],
  };
}
