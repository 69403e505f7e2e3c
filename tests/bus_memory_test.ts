import { busContractSuite } from "../adapters/bus/contract_test_suite.ts";
import { MemoryBus } from "../adapters/bus/memory.ts";

busContractSuite({ name: "memory", open: () => Promise.resolve({ bus: new MemoryBus() }) });
