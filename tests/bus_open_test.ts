import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { waitFor } from "../adapters/bus/_wait.ts";
import { sampleEvent } from "../adapters/bus/contract_test_suite.ts";
import { type BusConfig, KvBus, MemoryBus, openBus, RedisStreamsBus } from "../adapters/bus/mod.ts";
import { REDIS_TEST_URL, skipWithoutRedis } from "./helpers/services.ts";

const configs: [BusConfig, unknown][] = [
  [{ kind: "memory" }, MemoryBus],
  [{ kind: "kv", path: ":memory:" }, KvBus],
];
if (!skipWithoutRedis()) {
  configs.push([
    { kind: "redis", url: REDIS_TEST_URL, prefix: `aura:test:${crypto.randomUUID()}` },
    RedisStreamsBus,
  ]);
}

Deno.test("openBus() opens the configured adapter, ready to carry events", async () => {
  for (const [config, expected] of configs) {
    const bus = await openBus(config);
    try {
      assert.ok(bus instanceof (expected as typeof MemoryBus), config.kind);
      const seen: string[] = [];
      await bus.subscribe("klines", "g", (e) => void seen.push(e.id));
      await bus.publish("klines", sampleEvent(1));
      await waitFor(() => seen.length === 1, `a delivery on the ${config.kind} bus`);
    } finally {
      await bus.close();
      if (config.kind === "redis") {
        const redis = new Redis(REDIS_TEST_URL);
        await redis.del(`${config.prefix}:klines`);
        await redis.quit();
      }
    }
  }
});
