import { Redis } from "ioredis";
import { cacheContractSuite } from "../adapters/cache/contract_test_suite.ts";
import { RedisCache } from "../adapters/cache/redis.ts";
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

cacheContractSuite({
  name: "redis",
  ignore: skipWithoutRedis(),
  open: () => {
    const prefix = `aura:test:${crypto.randomUUID()}`;
    const cache = new RedisCache({ url: REDIS_TEST_URL, prefix });
    return Promise.resolve({ cache, cleanup: () => deleteKeys(prefix) });
  },
});
