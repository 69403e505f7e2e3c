import { busContractSuite } from "../adapters/bus/contract_test_suite.ts";
import { MemoryBus } from "../adapters/bus/memory.ts";
import { PortBus, serveBus } from "../adapters/bus/worker_bridge.ts";

// The bridge's protocol over an in-process MessageChannel (same postMessage semantics as a
// Worker); tests/bus_worker_test.ts runs it through a real Worker.
busContractSuite({
  name: "worker-bridge",
  open: () => {
    const channel = new MessageChannel();
    channel.port1.start();
    channel.port2.start();
    const inner = new MemoryBus();
    const host = serveBus(inner, channel.port1);
    return Promise.resolve({
      bus: new PortBus(channel.port2),
      cleanup: async () => {
        await host.close();
        await inner.close();
        channel.port1.close();
        channel.port2.close();
      },
    });
  },
});
