/**
 * Chooses the bus adapter from configuration, for the composition root.
 *
 * @module
 */

import type { Bus } from "../../engine/ports/bus.ts";
import { KvBus } from "./kv.ts";
import { MemoryBus } from "./memory.ts";
import { RedisStreamsBus } from "./redis_streams.ts";

/** Which bus to open. */
export type BusConfig =
  | { kind: "memory" }
  | { kind: "kv"; path?: string; prefix?: string }
  | { kind: "redis"; url: string; prefix?: string; maxLen?: number };

/**
 * Opens the configured bus: `memory` for one process (workers reach it through
 * the worker bridge), `kv` for a durable single machine, `redis` to scale out.
 *
 * @example
 * ```ts
 * const bus = await openBus(config.redisUrl ? { kind: "redis", url: config.redisUrl } : { kind: "memory" });
 * ```
 */
export async function openBus(config: BusConfig): Promise<Bus> {
  switch (config.kind) {
    case "memory":
      return new MemoryBus();
    case "kv":
      return await KvBus.open(
        config.path,
        config.prefix === undefined ? {} : { prefix: config.prefix },
      );
    case "redis":
      return new RedisStreamsBus(config);
  }
}
