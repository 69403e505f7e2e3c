/**
 * Two engine shards on one bus (as two processes on one Redis bus): each
 * executes for its own users only — one entry per signal, whoever receives
 * it — and each shard's paper books see every candle, so both users' take
 * profits fill.
 */
import assert from "node:assert/strict";
import { MemoryBus } from "../adapters/bus/memory.ts";
import type { AuraEvent } from "../engine/events.ts";
import { groupSuffix, owns, shardOf } from "../engine/shard.ts";
import { generateMasterKeys, SecretBox } from "../services/secrets.ts";
import { dbSuite } from "./helpers/db.ts";
import {
  candleEvent,
  openStage,
  seedUser,
  signalOf,
  tradesOf,
  waitFor,
  waitForTrade,
} from "./fixtures/execution_rig.ts";

const T0 = Date.UTC(2026, 0, 1);

Deno.test("[shard] AURA_ENGINE_SHARD parses, and ids are split by remainder", () => {
  assert.deepEqual(shardOf("1/3"), { index: 1, count: 3 });
  assert.throws(() => shardOf("3/3"), /below the count/);
  assert.throws(() => shardOf("x/2"), /below the count/);
  assert.equal(owns({ index: 1, count: 3 }, 7), true);
  assert.equal(owns({ index: 0, count: 3 }, 7), false);
  assert.equal(groupSuffix({ index: 0, count: 1 }), "");
  assert.equal(groupSuffix({ index: 1, count: 2 }), "-1of2");
});

const suite = dbSuite();

suite.test("two shards: each user's signals are executed once, by their shard; both paper books see every candle", async (db) => {
  const box = new SecretBox(generateMasterKeys());
  const a = await seedUser(db);
  const b = await seedUser(db);
  assert.notEqual(a.userId % 2, b.userId % 2, "consecutive users fall in different shards");
  const bus = new MemoryBus();
  const events: AuraEvent[] = [];
  await bus.subscribe("orders", "test", (event) => {
    events.push(event);
  });
  const stages = [
    await openStage(db, bus, box, undefined, "0/2"),
    await openStage(db, bus, box, undefined, "1/2"),
  ];
  try {
    for (const user of [a, b]) await bus.publish("signals", signalOf(user, "ENTRY", T0));
    await waitFor(
      () => events.filter((e) => e.type === "trade_opened").length === 2 || undefined,
      "two trades opened",
    );
    assert.deepEqual(stages.map((s) => s.health().signals), [1, 1]);
    for (const [index, stage] of stages.entries()) {
      const handles = await stage.exchanges.paperHandles();
      const expected = [a, b].filter((u) => u.userId % 2 === index).map((u) => u.userId);
      assert.deepEqual(handles.map((h) => h.userId), expected, `shard ${index}'s paper books`);
    }
    await bus.publish("klines", candleEvent(T0 + 60_000, "50000", "51200", "49900", "51100"));
    for (const user of [a, b]) {
      const closed = await waitForTrade(db, user.userId, "CLOSED_TP");
      assert.equal(closed.pnl, "1.798");
      assert.equal((await tradesOf(db, user.userId)).length, 1);
    }
    const entries = await db.query(
      "SELECT user_id, count(*)::int AS n FROM order_intents WHERE kind = 'ENTRY' GROUP BY user_id",
    );
    assert.deepEqual(entries.map((r) => Number(r.n)), [1, 1]);
  } finally {
    for (const stage of stages) await stage.stop();
    await bus.close();
  }
});
