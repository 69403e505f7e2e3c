import { cacheContractSuite } from "../adapters/cache/contract_test_suite.ts";
import { KvCache } from "../adapters/cache/kv.ts";

cacheContractSuite({
  name: "deno-kv",
  open: async () => ({ cache: await KvCache.open(":memory:") }),
});
