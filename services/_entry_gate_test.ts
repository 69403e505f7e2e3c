import assert from "node:assert/strict";
import { EntryGate, type StrategyContext } from "./_entry_gate.ts";

const FLAT: StrategyContext = {
  found: true,
  isActive: true,
  halted: false,
  openTradeId: null,
  pendingEntry: false,
  lastEntryCandle: null,
  tradingMode: "paper",
  activeKeyId: null,
};

/** A gate over a fake table of contexts, counting reads; `hold` delays the next read. */
function gateOver(table: Map<number, StrategyContext>, now = { t: 0 }) {
  const reads: number[][] = [];
  let hold: Promise<void> | null = null;
  const gate = new EntryGate({
    read: async (refs) => {
      reads.push(refs.map((r) => r.strategyId));
      // Read at the moment the query runs, as the database would.
      const rows = refs.map((r) => table.get(r.strategyId) ?? null);
      if (hold) await hold;
      return rows.map((row) => row ? { ...row } : null);
    },
    maxAgeMs: 1_000,
    now: () => now.t,
  });
  return {
    gate,
    reads,
    holdNext() {
      const { promise, resolve } = Promise.withResolvers<void>();
      hold = promise;
      return () => {
        hold = null;
        resolve();
      };
    },
  };
}

Deno.test("EntryGate: unknown first, known after the strategy's work ended and was read back", async () => {
  const table = new Map([[7, { ...FLAT }]]);
  const { gate, reads } = gateOver(table);
  assert.equal(gate.take(1, 7, 100), null, "unknown: ask the database");
  gate.end(1, 7);
  await gate.settled();
  assert.deepEqual(reads, [[7]]);
  assert.deepEqual(gate.take(1, 7, 200), FLAT);
  assert.equal(gate.take(1, 7, 300), null, "dropped while that work runs");
  assert.deepEqual(gate.stats, { hits: 1, misses: 2, strategies: 1 });
});

Deno.test("EntryGate: a signal not newer than every ENTRY seen or recorded goes to the database", async () => {
  const table = new Map([[7, { ...FLAT, lastEntryCandle: 500 }]]);
  const { gate } = gateOver(table);
  gate.begin(1, 7);
  gate.end(1, 7);
  await gate.settled();
  assert.equal(gate.take(1, 7, 500), null, "its intent may exist (recorded watermark)");
  gate.end(1, 7);
  await gate.settled();
  assert.deepEqual(gate.take(1, 7, 600), { ...FLAT, lastEntryCandle: 500 });
  gate.end(1, 7);
  await gate.settled();
  assert.equal(gate.take(1, 7, 550), null, "older than an ENTRY this process saw");
});

Deno.test("EntryGate: a read that lands after new work started is thrown away", async () => {
  const table = new Map([[7, { ...FLAT }]]);
  const harness = gateOver(table);
  const { gate } = harness;
  gate.begin(1, 7);
  const release = harness.holdNext();
  gate.end(1, 7); // read asked for: flat
  await new Promise((resolve) => setTimeout(resolve, 5));
  gate.begin(1, 7); // new work: it opens a trade
  table.set(7, { ...FLAT, openTradeId: 9 });
  release();
  await gate.settled();
  assert.equal(gate.take(1, 7, 100), null, "the stale read was not kept");
  gate.end(1, 7); // both pieces of work ended
  gate.end(1, 7);
  await gate.settled();
  assert.equal(gate.take(1, 7, 200)?.openTradeId, 9);
});

Deno.test("EntryGate: exclusive work, announcements and age drop contexts", async () => {
  const now = { t: 0 };
  const table = new Map([[7, { ...FLAT }], [8, { ...FLAT }]]);
  const { gate } = gateOver(table, now);
  for (const id of [7, 8]) {
    gate.begin(1, id);
    gate.end(1, id);
  }
  await gate.settled();
  let at = 100;
  const known = (id: number) => {
    const context = gate.take(1, id, at++);
    gate.end(1, id);
    return context !== null;
  };
  assert.ok(known(7));
  await gate.settled();

  gate.beginExclusive(1);
  assert.equal(known(7), false, "dropped during the user's exclusive work");
  await gate.settled();
  assert.equal(known(8), false, "not read back during exclusive work");
  gate.endExclusive(1);
  await gate.settled();
  assert.ok(known(7) && known(8));
  await gate.settled();

  table.set(8, { ...FLAT, isActive: false });
  gate.invalidateStrategy(8);
  assert.equal(known(8), false, "dropped when the API changed it");
  await gate.settled();
  assert.equal(gate.take(1, 8, at++)?.isActive, false, "read back as changed");
  gate.end(1, 8);
  await gate.settled();

  table.set(7, { ...FLAT, tradingMode: "live", activeKeyId: 3 });
  gate.invalidateUser(1);
  await gate.settled();
  assert.equal(gate.take(1, 7, at++)?.tradingMode, "live");
  gate.end(1, 7);
  await gate.settled();

  now.t = 5_000;
  assert.equal(known(7), false, "too old");
  await gate.settled();
  now.t = 5_001;
  assert.ok(known(7), "read back after its work");
  await gate.settled();
  now.t = 10_000;
  await gate.refreshAll();
  assert.ok(known(7), "the periodic re-read keeps it fresh");
});

Deno.test("EntryGate: a failed read or an unknown strategy keeps nothing", async () => {
  let fail = true;
  const gate = new EntryGate({
    read: (refs) =>
      fail ? Promise.reject(new Error("db down")) : Promise.resolve(refs.map(() => null)),
  });
  gate.begin(1, 7);
  gate.end(1, 7);
  await gate.settled();
  assert.equal(gate.take(1, 7, 1), null);
  fail = false;
  gate.end(1, 7);
  await gate.settled();
  assert.equal(gate.take(1, 7, 2), null, "a strategy the database does not have");
  gate.end(1, 7);
  gate.close();
  assert.equal(gate.take(1, 7, 3), null);
});
