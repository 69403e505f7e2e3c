import { Redis } from "ioredis";
import { busContractSuite } from "../adapters/bus/contract_test_suite.ts";
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
