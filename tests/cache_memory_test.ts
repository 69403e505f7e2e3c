import { cacheContractSuite } from "../adapters/cache/contract_test_suite.ts";
import { MemoryCache } from "../adapters/cache/memory.ts";

cacheContractSuite({ name: "memory", open: () => Promise.resolve({ cache: new MemoryCache() }) });
