import assert from "node:assert/strict";
import { sampleEvent } from "../adapters/bus/contract_test_suite.ts";
import { MemoryBus } from "../adapters/bus/memory.ts";
import { serveBus } from "../adapters/bus/worker_bridge.ts";
import { waitFor } from "../adapters/bus/_wait.ts";
import { type AuraEvent, klineClosed } from "../engine/events.ts";

async function startWorker(bus: MemoryBus) {
  const worker = new Worker(new URL("../adapters/bus/_worker_fixture.ts", import.meta.url).href, {
    type: "module",
  });
  const notes: { kind: string; id?: string }[] = [];
  let failure: string | null = null;
  worker.onerror = (e) => {
    e.preventDefault();
    failure = e.message;
  };
  worker.addEventListener("message", (e: MessageEvent) => {
    if (String(e.data?.kind).startsWith("fixture:")) notes.push(e.data);
  });
  const host = serveBus(bus, worker);
  // Generous: the first worker of a run type-checks and loads its modules.
  await waitFor(
    () => {
      if (failure) throw new Error(`The worker failed: ${failure}`);
      return notes.some((n) => n.kind === "fixture:ready");
    },
    "the worker to subscribe",
    60_000,
  );
  return {
    notes,
    stop: async () => {
      worker.terminate();
      await host.close();
    },
  };
}

Deno.test("[bus:worker] an event goes main → worker → main through a real Worker", async () => {
  const bus = new MemoryBus();
  const worker = await startWorker(bus);
  try {
    const echoed: AuraEvent[] = [];
    await bus.subscribe("orders", "main", (event) => void echoed.push(event));
    const events = Array.from({ length: 20 }, (_, i) => sampleEvent(i));
    for (const event of events) await bus.publish("klines", event);
    await waitFor(() => echoed.length === 20, "20 events back from the worker");
    assert.deepEqual(echoed, events);
    assert.ok(echoed.every((e) => Object.isFrozen(e)), "events parsed off the wire are frozen");
  } finally {
    await worker.stop();
    await bus.close();
  }
});

Deno.test("[bus:worker] a terminated worker's unacknowledged event goes to another consumer", async () => {
  const bus = new MemoryBus();
  const worker = await startWorker(bus);
  try {
    const stuck = klineClosed({ ...sampleEvent(1).kline, symbol: "HANGUSDT" }, 1);
    await bus.publish("klines", stuck);
    await waitFor(
      () => worker.notes.some((n) => n.id === stuck.id),
      "the worker to take the event",
    );
    const survivor: AuraEvent[] = [];
    await bus.subscribe("klines", "worker", (event) => void survivor.push(event));
    await worker.stop();
    await waitFor(() => survivor.length === 1, "the redelivery in the main thread");
    assert.equal(survivor[0]!.id, stuck.id);
  } finally {
    await worker.stop();
    await bus.close();
  }
});
