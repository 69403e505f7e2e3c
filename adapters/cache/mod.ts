/**
 * The cache adapters (see engine/ports/cache.ts for the contract).
 *
 * @module
 */

export { RedisCache, type RedisCacheOptions } from "./redis.ts";
export { KvCache, type KvCacheOptions } from "./kv.ts";
export { MemoryCache } from "./memory.ts";
