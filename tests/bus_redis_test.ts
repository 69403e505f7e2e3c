import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { waitFor } from "../adapters/bus/_wait.ts";
import { busContractSuite, sampleEvent } from "../adapters/bus/contract_test_suite.ts";
import { RedisStreamsBus } from "../adapters/bus/redis_streams.ts";
import { REDIS_TEST_URL, skipWithoutRedis } from "./helpers/services.ts";

async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_TEST_URL);
  try {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
}

busContractSuite({
  name: "redis-streams",
  ignore: skipWithoutRedis(),
  open: () => {
    // Unique stream keys per test, deleted afterwards.
    const prefix = `aura:test:${crypto.randomUUID()}`;
    const bus = new RedisStreamsBus({ url: REDIS_TEST_URL, prefix });
    return Promise.resolve({ bus, cleanup: () => deleteKeys(prefix) });
  },
});

Deno.test({
  name: "[bus:redis-streams] keeps dead letters and unreadable entries in the dead stream",
  ignore: skipWithoutRedis(),
  fn: async () => {
    const prefix = `aura:test:${crypto.randomUUID()}`;
    const bus = new RedisStreamsBus({ url: REDIS_TEST_URL, prefix });
    const redis = new Redis(REDIS_TEST_URL);
    try {
      const handled: string[] = [];
      const dead: string[] = [];
      await bus.subscribe("orders", "ui", (event) => {
        if (event.id === sampleEvent(1).id) throw new Error("poison");
        handled.push(event.id);
      }, { maxAttempts: 2, retryDelayMs: 100, onDeadLetter: (event) => void dead.push(event.id) });
      // A future version and a broken payload never reach the handler.
      const v2 = { ...JSON.parse(JSON.stringify(sampleEvent(0))), v: 2 };
      await redis.xadd(bus.streamKey("orders"), "*", "event", JSON.stringify(v2));
      await redis.xadd(bus.streamKey("orders"), "*", "event", "{not json");
      await bus.publish("orders", sampleEvent(1));
      await bus.publish("orders", sampleEvent(2));
      await waitFor(() => dead.length === 1 && handled.length === 1, "the dead letter");
      assert.deepEqual(handled, [sampleEvent(2).id]);
      await waitFor(
        async () => (await redis.xlen(bus.streamKey("orders", true))) === 3,
        "three entries in the dead stream",
      );
      const pending = await redis.xpending(bus.streamKey("orders"), "ui") as [number];
      assert.equal(pending[0], 0, "nothing is left unacknowledged");
    } finally {
      await bus.close();
      await redis.quit();
      await deleteKeys(prefix);
    }
  },
});

Deno.test({
  name: "[bus:redis-streams] separate bus instances (processes) share one consumer group",
  ignore: skipWithoutRedis(),
  fn: async () => {
    const prefix = `aura:test:${crypto.randomUUID()}`;
    const publisher = new RedisStreamsBus({ url: REDIS_TEST_URL, prefix });
    const consumers = [0, 1].map(() => new RedisStreamsBus({ url: REDIS_TEST_URL, prefix }));
    try {
      const seen: string[] = [];
      for (const bus of consumers) {
        await bus.subscribe("klines", "strategy", (event) => void seen.push(event.id));
      }
      const events = Array.from({ length: 20 }, (_, i) => sampleEvent(i));
      for (const event of events) await publisher.publish("klines", event);
      await waitFor(() => seen.length === 20, "20 deliveries across the two instances");
      assert.deepEqual(seen.sort(), events.map((e) => e.id).sort());
    } finally {
      await Promise.all([publisher, ...consumers].map((b) => b.close()));
      await deleteKeys(prefix);
    }
  },
});

Deno.test({
  name: "[bus:redis-streams] a handler slower than retryDelayMs is not taken over while alive",
  ignore: skipWithoutRedis(),
  fn: async () => {
    const prefix = `aura:test:${crypto.randomUUID()}`;
    const bus = new RedisStreamsBus({ url: REDIS_TEST_URL, prefix });
    try {
      const byConsumer: string[][] = [[], []];
      const gate = Promise.withResolvers<void>();
      for (const index of [0, 1]) {
        await bus.subscribe("signals", "execution", async (event) => {
          byConsumer[index]!.push(event.id);
          if (event.id === sampleEvent(1).id) await gate.promise;
        }, { retryDelayMs: 100 });
      }
      await bus.publish("signals", sampleEvent(1));
      await waitFor(() => byConsumer.flat().length === 1, "the first delivery");
      const started = performance.now();
      // Five retry delays: the other consumer's claim loop runs several times meanwhile.
      await waitFor(() => performance.now() - started > 500, "five retry delays");
      gate.resolve();
      assert.deepEqual(byConsumer.flat(), [sampleEvent(1).id]);
    } finally {
      await bus.close();
      await deleteKeys(prefix);
    }
  },
});

Deno.test({
  name: "[bus:redis-streams] a consumer that closes with nothing pending leaves the group's list",
  ignore: skipWithoutRedis(),
  fn: async () => {
    const prefix = `aura:test:${crypto.randomUUID()}`;
    const bus = new RedisStreamsBus({ url: REDIS_TEST_URL, prefix });
    const redis = new Redis(REDIS_TEST_URL);
    try {
      const seen: string[] = [];
      const subscription = await bus.subscribe("klines", "strategy", (e) => void seen.push(e.id));
      const consumers = async () =>
        ((await redis.xinfo("CONSUMERS", bus.streamKey("klines"), "strategy")) as unknown[]).length;
      await bus.publish("klines", sampleEvent(1));
      await waitFor(() => seen.length === 1, "the delivery");
      await waitFor(async () => (await consumers()) === 1, "the consumer to be listed");
      await waitFor(
        async () =>
          ((await redis.xpending(bus.streamKey("klines"), "strategy")) as [number])[0] === 0,
        "the acknowledgement",
      );
      await subscription.close();
      assert.equal(await consumers(), 0);
    } finally {
      await bus.close();
      await redis.quit();
      await deleteKeys(prefix);
    }
  },
});

Deno.test({
  name: "[bus:redis-streams] a consumer recreates its group after the stream was deleted",
  ignore: skipWithoutRedis(),
  fn: async () => {
    const prefix = `aura:test:${crypto.randomUUID()}`;
    const bus = new RedisStreamsBus({ url: REDIS_TEST_URL, prefix, blockMs: 100 });
    const redis = new Redis(REDIS_TEST_URL);
    try {
      const seen: string[] = [];
      await bus.subscribe("klines", "strategy", (e) => void seen.push(e.id), { retryDelayMs: 200 });
      const key = bus.streamKey("klines");
      await redis.del(key);
      const groups = async () =>
        ((await redis.exists(key)) ? (await redis.xinfo("GROUPS", key)) as unknown[] : []).length;
      await waitFor(async () => (await groups()) === 1, "the group to be recreated");
      await bus.publish("klines", sampleEvent(1));
      await waitFor(() => seen.length === 1, "the delivery after recreation");
    } finally {
      await bus.close();
      await redis.quit();
      await deleteKeys(prefix);
    }
  },
});
