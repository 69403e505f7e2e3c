import assert from "node:assert/strict";
import {
  COMPACT_BYTES,
  IntentJournal,
  type JournaledIntent,
  parseJournal,
} from "./_intent_journal.ts";

function intent(n: number): JournaledIntent {
  return {
    clientOrderId: `au-${n}-E`,
    userId: 1,
    strategyId: 2,
    tradeId: null,
    signalId: `2:${n}:ENTRY`,
    kind: "ENTRY",
    symbol: "BTCUSDT",
    isPaper: true,
    payload: { quoteOrderQty: "100", note: "x".repeat(200) },
    candleCloseTime: n,
    journaledAt: 1_700_000_000_000 + n,
  };
}

async function tempPath(): Promise<string> {
  return `${await Deno.makeTempDir({ prefix: "aura-journal-test-" })}/sub/journal.jsonl`;
}

Deno.test("IntentJournal: appends are written when they resolve, synced just after, and a reopened journal has them unsettled", async () => {
  const path = await tempPath();
  const journal = await IntentJournal.open(path);
  await Promise.all([journal.append(intent(1)), journal.append(intent(2))]);
  assert.ok(journal.has("au-1-E"));
  // Written while the first sync may still run: synced by the next one.
  await journal.append(intent(9));
  await journal.synced();
  journal.settle("au-9-E");
  // Read by another handle, as a restart would.
  assert.deepEqual(parseJournal(await Deno.readTextFile(path)), [intent(1), intent(2), intent(9)]);
  journal.settle("au-1-E");
  assert.equal(journal.has("au-1-E"), false);
  assert.deepEqual(journal.unsettled().map((i) => i.clientOrderId), ["au-2-E"]);
  journal.close();
  await assert.rejects(journal.append(intent(3)), /closed/);

  const reopened = await IntentJournal.open(path);
  // Settling is not written down: a restart copies every record again (idempotent).
  assert.deepEqual(reopened.unsettled().map((i) => i.clientOrderId), [
    "au-1-E",
    "au-2-E",
    "au-9-E",
  ]);
  reopened.settle("au-1-E", "au-2-E", "au-9-E");
  reopened.compact();
  assert.equal(await Deno.readTextFile(path), "");
  assert.equal(reopened.bytes, 0);
  reopened.close();
});

Deno.test("IntentJournal: a torn last line (a crash mid-write) is dropped, later records kept", () => {
  const good = JSON.stringify(intent(1));
  const text = `${good}\n{"clientOrderId":"au-2-E","userId":1\n${
    JSON.stringify(intent(3))
  }\n{"clien`;
  assert.deepEqual(parseJournal(text).map((i) => i.clientOrderId), ["au-1-E", "au-3-E"]);
  // Records missing a field are not trusted either.
  assert.deepEqual(parseJournal(`{"clientOrderId":"x"}\n`), []);
});

Deno.test("IntentJournal: appends of one turn share a write; the file is truncated once all are settled", async () => {
  const path = await tempPath();
  const journal = await IntentJournal.open(path);
  const count = Math.ceil(COMPACT_BYTES / JSON.stringify(intent(0)).length) + 5;
  await Promise.all(Array.from({ length: count }, (_, i) => journal.append(intent(i))));
  assert.ok(journal.bytes >= COMPACT_BYTES);
  journal.settle(...Array.from({ length: count - 1 }, (_, i) => `au-${i}-E`));
  assert.ok(journal.bytes >= COMPACT_BYTES, "not truncated while one is unsettled");
  journal.settle(`au-${count - 1}-E`);
  assert.equal(journal.bytes, 0);
  assert.equal((await Deno.stat(path)).size, 0);
  await journal.append(intent(7));
  assert.deepEqual(parseJournal(await Deno.readTextFile(path)), [intent(7)]);
  journal.close();
});

Deno.test("IntentJournal: an append that cannot be written rejects and is not kept", async () => {
  const path = await tempPath();
  const journal = await IntentJournal.open(path);
  journal.close();
  await assert.rejects(journal.append(intent(1)));
  assert.equal(journal.has("au-1-E"), false);
});

Deno.test("IntentJournal: a flush waits for appends still expected in the burst, then they share it", async () => {
  const journal = await IntentJournal.open(await tempPath());
  let expected = 1;
  journal.expectAppends(() => expected);
  const order: string[] = [];
  const first = journal.append(intent(1)).then(() => order.push("first durable"));
  // The other entry is a few awaits from its append.
  for (let i = 0; i < 5; i++) await Promise.resolve();
  order.push("second appends");
  expected = 0;
  const second = journal.append(intent(2)).then(() => order.push("second durable"));
  await Promise.all([first, second]);
  assert.deepEqual(order, ["second appends", "first durable", "second durable"]);

  // An expected append that makes no progress does not hold the flush for long.
  expected = 1;
  await journal.append(intent(3));
  assert.ok(journal.has("au-3-E"));
  journal.close();
});
