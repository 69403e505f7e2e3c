import assert from "node:assert/strict";
import { klineClosed } from "../../engine/events.ts";
import { Deduper, idempotent } from "./dedupe.ts";

function event(n: number) {
  const openTime = n * 60_000;
  return klineClosed({
    symbol: "BTCUSDT",
    interval: "1m",
    openTime,
    closeTime: openTime + 59_999,
    open: "1",
    high: "1",
    low: "1",
    close: "1",
    volume: "1",
  }, openTime + 60_000);
}

Deno.test("Deduper forgets the least recently seen id beyond its capacity", async () => {
  const deduper = new Deduper({ capacity: 2 });
  deduper.remember("a");
  deduper.remember("b");
  assert.equal(await deduper.has("a"), true); // "a" is now the most recent
  deduper.remember("c");
  assert.deepEqual([await deduper.has("a"), await deduper.has("b"), await deduper.has("c")], [
    true,
    false,
    true,
  ]);
  assert.equal(deduper.size, 2);
});

Deno.test("Deduper asks the durable check about ids it does not hold", async () => {
  const asked: string[] = [];
  const deduper = new Deduper({
    isProcessed: (id) => {
      asked.push(id);
      return Promise.resolve(id === "in-db");
    },
  });
  assert.equal(await deduper.has("in-db"), true);
  assert.equal(await deduper.has("in-db"), true); // remembered: not asked again
  assert.equal(await deduper.has("new"), false);
  assert.deepEqual(asked, ["in-db", "new"]);
});

Deno.test("idempotent() runs a handler once per id and retries an id whose handler threw", async () => {
  const runs: string[] = [];
  let failNext = true;
  const handler = idempotent((e) => {
    runs.push(e.id);
    if (failNext) {
      failNext = false;
      throw new Error("transient");
    }
  }, new Deduper());
  await assert.rejects(Promise.resolve(handler(event(1), { attempt: 1 })), /transient/);
  await handler(event(1), { attempt: 2 });
  await handler(event(1), { attempt: 3 });
  await handler(event(2), { attempt: 1 });
  assert.deepEqual(runs, [event(1).id, event(1).id, event(2).id]);
});

Deno.test("idempotent() lets a concurrent copy share the first copy's run", async () => {
  let calls = 0;
  const gate = Promise.withResolvers<void>();
  const handler = idempotent(async () => {
    calls++;
    await gate.promise;
  }, new Deduper());
  const first = handler(event(1), { attempt: 1 });
  const second = handler(event(1), { attempt: 1 });
  gate.resolve();
  await Promise.all([first, second]);
  assert.equal(calls, 1);
});
