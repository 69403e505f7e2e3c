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

/**
 * Deno KV adapter, for a single web process (several processes need Redis:
 * Deno KV does not coordinate across processes). Counts live in memory, which
 * is authoritative for the one process, and are written behind to KV once a
 * second in one batch, so a restart keeps the counters (a login block
 * survives it) without a disk commit on every request (~5 ms each here).
 */
export class KvRateLimiter implements RateLimiter {
  readonly #kv: Deno.Kv;
  readonly #clock: Clock;
  readonly #windows = new Map<string, Window>();
  readonly #loading = new Map<string, Promise<void>>();
  readonly #dirty = new Set<string>();
  readonly #timer: ReturnType<typeof setInterval>;
  #flushing: Promise<void> = Promise.resolve();
  #closed = false;

  /** Wraps an open KV store (closed by {@link close}); writes behind every `flushMs`. */
  constructor(kv: Deno.Kv, clock: Clock, flushMs = 1_000) {
    this.#kv = kv;
    this.#clock = clock;
    this.#timer = setInterval(() => void this.flush(), flushMs);
    Deno.unrefTimer(Number(this.#timer));
  }

  /** Opens KV at `path` (`:memory:` for tests). */
  static async open(path: string, clock: Clock): Promise<KvRateLimiter> {
    return new KvRateLimiter(await Deno.openKv(path), clock);
  }

  // A key not in memory may have a window persisted by a previous run.
  async #load(key: string): Promise<void> {
    if (this.#windows.has(key)) return;
    let loading = this.#loading.get(key);
    if (!loading) {
      loading = this.#kv.get<Window>(["rl", key]).then((r) => {
        if (!this.#windows.has(key) && r.value) this.#windows.set(key, r.value);
      }).finally(() => this.#loading.delete(key));
      this.#loading.set(key, loading);
    }
    await loading;
  }

  /** @inheritdoc */
  async hit(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    await this.#load(key);
    const now = this.#clock.now();
    let w = this.#windows.get(key);
    if (!w || w.resetAt <= now) {
      w = { count: 0, resetAt: now + windowMs };
      this.#windows.set(key, w);
    }
    w.count++;
    this.#dirty.add(key);
    return { allowed: w.count <= limit, count: w.count, retryAfterMs: w.resetAt - now };
  }

  /** @inheritdoc */
  async peek(key: string): Promise<{ count: number; retryAfterMs: number }> {
    await this.#load(key);
    const now = this.#clock.now();
    const w = this.#windows.get(key);
    if (!w || w.resetAt <= now) return { count: 0, retryAfterMs: 0 };
    return { count: w.count, retryAfterMs: w.resetAt - now };
  }

  /** @inheritdoc */
  async reset(key: string): Promise<void> {
    this.#windows.delete(key);
    this.#dirty.delete(key);
    await this.#kv.delete(["rl", key]);
  }

  /** Writes changed windows to KV now and forgets expired ones. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      if (this.#closed && this.#dirty.size === 0) return;
      const now = this.#clock.now();
      const keys = [...this.#dirty];
      this.#dirty.clear();
      for (let i = 0; i < keys.length; i += 500) {
        const op = this.#kv.atomic();
        for (const key of keys.slice(i, i + 500)) {
          const w = this.#windows.get(key);
          if (w && w.resetAt > now) {
            op.set(["rl", key], w, { expireIn: w.resetAt - now });
          }
        }
        await op.commit();
      }
      for (const [key, w] of this.#windows) if (w.resetAt <= now) this.#windows.delete(key);
    }).catch(() => {
      // Persistence is best effort: the in-memory counts stay authoritative.
    });
    return this.#flushing;
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#timer);
    await this.flush();
    this.#closed = true;
    this.#kv.close();
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
