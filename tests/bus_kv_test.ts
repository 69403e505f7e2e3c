import { busContractSuite } from "../adapters/bus/contract_test_suite.ts";
import { KvBus } from "../adapters/bus/kv.ts";

busContractSuite({ name: "deno-kv", open: async () => ({ bus: await KvBus.open(":memory:") }) });
