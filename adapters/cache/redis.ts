/**
 * The {@link Cache} on Redis (ioredis): shared by every process of a scaled-out
 * deployment. Values are JSON strings with `PX` expiry; prices are hashes
 * updated by a script that keeps the newest timestamp.
 *
 * @module
 */

import { Redis } from "ioredis";
import { AuraError } from "../../engine/errors.ts";
import type { Cache, LivePrice, StrategyState } from "../../engine/ports/cache.ts";
import { redisKeys } from "./_keys.ts";

// Compare-and-set on the timestamp, atomically: two ingest processes may race.
const SET_PRICE_IF_NEWER = `
local current = redis.call('HGET', KEYS[1], 'timestamp')
if current and tonumber(current) > tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'price', ARGV[1], 'timestamp', ARGV[2])
return 1`;

/** Options of a {@link RedisCache}. */
export interface RedisCacheOptions {
  /** Redis URL, e.g. `redis://127.0.0.1:6379/0`. */
  url: string;
  /** Key prefix (default `aura:cache`). */
  prefix?: string;
}

/** A cache on Redis. */
export class RedisCache implements Cache {
  readonly #redis: Redis;
  readonly #keys: ReturnType<typeof redisKeys>;
  #closed = false;

  /** Connects to Redis. */
  constructor(options: RedisCacheOptions) {
    this.#redis = new Redis(options.url, { maxRetriesPerRequest: 2 });
    this.#keys = redisKeys(options.prefix ?? "aura:cache");
  }

  /** The JSON value under `key`, or null. */
  get<T = unknown>(key: string): Promise<T | null> {
    return this.#run(`read cache key "${key}"`, async (r) => {
      const text = await r.get(this.#keys.value(key));
      return text === null ? null : JSON.parse(text) as T;
    });
  }

  /** Stores a JSON value, with `PX ttlMs` when given. */
  set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    return this.#run(`write cache key "${key}"`, async (r) => {
      const text = JSON.stringify(value);
      if (ttlMs === undefined) await r.set(this.#keys.value(key), text);
      else await r.set(this.#keys.value(key), text, "PX", Math.max(1, Math.ceil(ttlMs)));
    });
  }

  /** Removes a key. */
  delete(key: string): Promise<void> {
    return this.#run(
      `delete cache key "${key}"`,
      async (r) => void await r.del(this.#keys.value(key)),
    );
  }

  /** Records a price unless a newer one is stored. */
  setPrice(symbol: string, price: string, timestamp: number): Promise<void> {
    return this.#run(`write the price of "${symbol}"`, async (r) => {
      await r.eval(SET_PRICE_IF_NEWER, 1, this.#keys.price(symbol), price, timestamp);
    });
  }

  /** The latest price of a symbol, or null. */
  getPrice(symbol: string): Promise<LivePrice | null> {
    return this.#run(`read the price of "${symbol}"`, async (r) => {
      const [price, timestamp] = await r.hmget(this.#keys.price(symbol), "price", "timestamp");
      return price && timestamp ? { symbol, price, timestamp: Number(timestamp) } : null;
    });
  }

  /** Saves a strategy's state. */
  saveStrategyState(strategyId: string, state: Omit<StrategyState, "strategyId">): Promise<void> {
    return this.#run(`save the state of strategy "${strategyId}"`, async (r) => {
      await r.set(this.#keys.strategy(strategyId), JSON.stringify({ ...state, strategyId }));
    });
  }

  /** A strategy's saved state, or null. */
  loadStrategyState(strategyId: string): Promise<StrategyState | null> {
    return this.#run(`load the state of strategy "${strategyId}"`, async (r) => {
      const text = await r.get(this.#keys.strategy(strategyId));
      return text === null ? null : JSON.parse(text) as StrategyState;
    });
  }

  /** Closes the connection; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  async #run<T>(action: string, work: (redis: Redis) => Promise<T>): Promise<T> {
    if (this.#closed) throw new AuraError("SYS_002", `Cannot ${action}: the cache is closed`);
    try {
      return await work(this.#redis);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new AuraError("SYS_002", `Cannot ${action}: ${reason}`);
    }
  }
}
