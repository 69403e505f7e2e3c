import assert from "node:assert/strict";
import { waitFor } from "../adapters/bus/_wait.ts";
import { busContractSuite, sampleEvent } from "../adapters/bus/contract_test_suite.ts";
import { KvBus } from "../adapters/bus/kv.ts";

busContractSuite({ name: "deno-kv", open: async () => ({ bus: await KvBus.open(":memory:") }) });

Deno.test("[bus:deno-kv] events published while the consumer is down arrive after its restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aura-kv-bus-" });
  const path = `${dir}/bus.sqlite`;
  try {
    // The group exists from the first run on: publishers enqueue a copy for it.
    const first = await KvBus.open(path);
    await first.subscribe("signals", "execution", () => {});
    await first.close();

    const publisher = await KvBus.open(path);
    const events = [sampleEvent(1), sampleEvent(2), sampleEvent(3)];
    for (const event of events) await publisher.publish("signals", event);
    await publisher.close();

    const restarted = await KvBus.open(path);
    try {
      const seen: string[] = [];
      await restarted.subscribe("signals", "execution", (event) => void seen.push(event.id));
      await waitFor(() => seen.length === 3, "the three events after the restart");
      assert.deepEqual(seen.sort(), events.map((e) => e.id).sort());
    } finally {
      await restarted.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
