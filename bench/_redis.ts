/**
 * Redis for the pipeline benches: whether a server answers, and a Streams
 * bus under a prefix of its own whose keys are deleted when it closes.
 *
 * @module
 */

import { Redis } from "ioredis";
import { RedisStreamsBus } from "../adapters/bus/redis_streams.ts";

/** REDIS_URL, or the local server's db 15. */
export const BENCH_REDIS_URL = Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379/15";

/** True when a Redis server answers PING at `url`. */
export async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** A Redis Streams bus under a fresh prefix; `close` also deletes its keys. */
export function openScratchRedisBus(url: string): { bus: RedisStreamsBus; close(): Promise<void> } {
  const prefix = `aura:bench:${crypto.randomUUID().slice(0, 8)}`;
  const bus = new RedisStreamsBus({ url, prefix, blockMs: 200 });
  return {
    bus,
    async close() {
      await bus.close();
      const client = new Redis(url);
      const keys = await client.keys(`${prefix}:*`);
      if (keys.length) await client.del(...keys);
      client.disconnect();
    },
  };
}
