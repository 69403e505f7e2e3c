import assert from "node:assert/strict";
import { busContractSuite, sampleEvent } from "../adapters/bus/contract_test_suite.ts";
import { isAuraError } from "../engine/errors.ts";
import type { AuraEvent } from "../engine/events.ts";
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

Deno.test("[bus:worker-bridge] an event that does not parse is refused to the worker, not thrown on the host", async () => {
  const channel = new MessageChannel();
  channel.port1.start();
  channel.port2.start();
  const inner = new MemoryBus();
  const host = serveBus(inner, channel.port1);
  const bus = new PortBus(channel.port2);
  try {
    const bad = { ...sampleEvent(1), receivedAt: -5 } as unknown as AuraEvent;
    await assert.rejects(bus.publish("klines", bad), (e) => isAuraError(e, "SYS_003"));
    await bus.publish("klines", sampleEvent(2)); // the bridge still works
  } finally {
    await bus.close();
    await host.close();
    await inner.close();
    channel.port1.close();
    channel.port2.close();
  }
});
