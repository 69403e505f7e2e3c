/**
 * Rate limiting: one port, two adapters. Fixed windows counted per key (the
 * caller builds keys like `api:user:7:GET /api/v1/strategies` or
 * `login:203.0.113.9:alice`). Redis (atomic INCR + PEXPIRE in one Lua script)
 * when REDIS_URL is set, so several web processes share counts; Deno KV
 * otherwise (a file in the data directory, or `:memory:` in tests).
 *
 * @module
 */
import { Redis } from "ioredis";
import type { Clock } from "../engine/clock.ts";

/** The outcome of one counted hit. */
export interface RateDecision {
  /** True while the count is within the limit. */
  allowed: boolean;
  /** Hits in the current window, this one included. */
  count: number;
  /** Milliseconds until the window resets. */
  retryAfterMs: number;
}

/** The rate limiter port. */
export interface RateLimiter {
  /** Counts one hit on `key` in a window of `windowMs`; allowed while count ≤ `limit`. */
  hit(key: string, limit: number, windowMs: number): Promise<RateDecision>;
  /** The current count of `key` (0 when no window is open) and the time left. */
  peek(key: string): Promise<{ count: number; retryAfterMs: number }>;
  /** Forgets `key` (e.g. after a successful login). */
  reset(key: string): Promise<void>;
  /** Releases the connection; idempotent. */
  close(): Promise<void>;
}

interface Window {
  count: number;
  resetAt: number;
}

/** Deno KV adapter. */
export class KvRateLimiter implements RateLimiter {
  readonly #kv: Deno.Kv;
  readonly #clock: Clock;
  #closed = false;

  /** Wraps an open KV store (closed by {@link close}). */
  constructor(kv: Deno.Kv, clock: Clock) {
    this.#kv = kv;
    this.#clock = clock;
  }

  /** Opens KV at `path` (`:memory:` for tests). */
  static async open(path: string, clock: Clock): Promise<KvRateLimiter> {
    return new KvRateLimiter(await Deno.openKv(path), clock);
  }

  /** @inheritdoc */
  async hit(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    const k = ["rl", key];
    // Optimistic concurrency: retry when another hit changed the window meanwhile.
    for (;;) {
      const now = this.#clock.now();
      const current = await this.#kv.get<Window>(k);
      const open = current.value && current.value.resetAt > now ? current.value : null;
      const next: Window = open
        ? { count: open.count + 1, resetAt: open.resetAt }
        : { count: 1, resetAt: now + windowMs };
      const result = await this.#kv.atomic().check(current).set(k, next, {
        expireIn: Math.max(1, next.resetAt - now),
      }).commit();
      if (result.ok) {
        return {
          allowed: next.count <= limit,
          count: next.count,
          retryAfterMs: next.resetAt - now,
        };
      }
    }
  }

  /** @inheritdoc */
  async peek(key: string): Promise<{ count: number; retryAfterMs: number }> {
    const now = this.#clock.now();
    const current = (await this.#kv.get<Window>(["rl", key])).value;
    if (!current || current.resetAt <= now) return { count: 0, retryAfterMs: 0 };
    return { count: current.count, retryAfterMs: current.resetAt - now };
  }

  /** @inheritdoc */
  async reset(key: string): Promise<void> {
    await this.#kv.delete(["rl", key]);
  }

  /** @inheritdoc */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#kv.close();
    }
    return Promise.resolve();
  }
}

// INCR and PEXPIRE in one script: a crash between them cannot leave a counter
// without expiry (which would block a user forever).
const HIT_SCRIPT = `
local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local t = redis.call('PTTL', KEYS[1])
if t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); t = tonumber(ARGV[1]) end
return {c, t}
`;

/** Redis adapter (ioredis). */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Redis;
  readonly #prefix: string;
  #closed = false;

  /** Connects to `url`; keys are prefixed with `prefix`. */
  constructor(url: string, prefix = "aura:rl:") {
    this.#redis = new Redis(url, { maxRetriesPerRequest: 2, lazyConnect: false });
    this.#prefix = prefix;
  }

  /** @inheritdoc */
  async hit(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    const [count, ttl] = await this.#redis.eval(
      HIT_SCRIPT,
      1,
      this.#prefix + key,
      String(windowMs),
    ) as [number, number];
    return { allowed: count <= limit, count, retryAfterMs: Math.max(0, ttl) };
  }

  /** @inheritdoc */
  async peek(key: string): Promise<{ count: number; retryAfterMs: number }> {
    const [value, ttl] = await Promise.all([
      this.#redis.get(this.#prefix + key),
      this.#redis.pttl(this.#prefix + key),
    ]);
    return value === null ? { count: 0, retryAfterMs: 0 } : {
      count: Number(value),
      retryAfterMs: Math.max(0, ttl),
    };
  }

  /** @inheritdoc */
  async reset(key: string): Promise<void> {
    await this.#redis.del(this.#prefix + key);
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}

/** Opens the configured limiter: Redis when `redisUrl` is set, else KV at `kvPath`. */
export async function openRateLimiter(options: {
  redisUrl?: string | undefined;
  kvPath: string;
  clock: Clock;
}): Promise<RateLimiter> {
  if (options.redisUrl) return new RedisRateLimiter(options.redisUrl);
  return await KvRateLimiter.open(options.kvPath, options.clock);
}
