/**
 * The execution stage's fast way (services/_entry_gate.ts and
 * services/_intent_journal.ts) on real storage: once a strategy has traded,
 * its next ENTRY is decided from memory, journaled locally and sent, and its
 * intent reaches the database right after. What must never go the fast way
 * does not: a redelivered signal, a strategy the API just deactivated, a
 * user who just switched to live.
 */
import assert from "node:assert/strict";
import { saveApiKey } from "../db/api_keys.ts";
import { setStrategyActive } from "../db/strategies.ts";
import { setTradingMode } from "../db/users.ts";
import { accountChanged, strategyChanged } from "../engine/events.ts";
import { tradeClientIds } from "../engine/orders/client_ids.ts";
import { parseJournal } from "../services/_intent_journal.ts";
import { startSimulator } from "../sim/server.ts";
import { dbSuite } from "./helpers/db.ts";
import {
  candleEvent,
  moreStrategies,
  type Rig,
  signalOf,
  SIM_KEY,
  SIM_SECRET,
  startRig,
  tradesOf,
  waitFor,
} from "./fixtures/execution_rig.ts";

const suite = dbSuite();
const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

/** A first trade (entered and exited on the slow way); afterwards the gate knows the strategy. */
async function tradeOnce(rig: Rig, at = T0): Promise<void> {
  await rig.stage.service.handleSignal(signalOf(rig, "ENTRY", at));
  await rig.stage.service.handleSignal(signalOf(rig, "EXIT", at + MINUTE));
  // The exit's own order events (OCO cancelled) are the strategy's work too.
  await rig.stage.service.idle();
  await rig.stage.service.refreshGate();
}

function gate(rig: Rig) {
  return rig.stage.service.gateStats!;
}

suite.test("a known strategy's next ENTRY is decided in memory, journaled, sent, stored and protected", async (db) => {
  const rig = await startRig(db);
  try {
    await tradeOnce(rig);
    assert.deepEqual(gate(rig), { hits: 0, misses: 1, strategies: 1 });
    const signal = signalOf(rig, "ENTRY", T0 + 2 * MINUTE);
    await rig.stage.service.handleSignal(signal);
    assert.equal(gate(rig).hits, 1);
    const ids = tradeClientIds(signal.id);
    const journal = parseJournal(await Deno.readTextFile(journalOf(rig)));
    assert.deepEqual(journal.map((i) => i.clientOrderId), [ids.entry], "only the fast entry");
    assert.equal(journal[0]!.candleCloseTime, T0 + 2 * MINUTE);
    const [intent] = await db.query(
      "SELECT status, candle_close_time FROM order_intents WHERE client_order_id = $1",
      [ids.entry],
    );
    assert.equal(intent?.status, "DONE");
    assert.equal(Number(intent?.candle_close_time), T0 + 2 * MINUTE);
    const trades = await tradesOf(db, rig.userId);
    assert.deepEqual(trades.map((t) => t.status), ["CLOSED_SIGNAL", "OPEN"]);
    assert.equal(trades[1]!.ocoListClientOrderId, ids.ocoList);
    assert.ok(trades[1]!.latency!.intentRecordedAt! <= trades[1]!.latency!.entrySentAt!);
    // Still one position per strategy: the next ENTRY, fast or not, is skipped.
    await rig.stage.service.handleSignal(signalOf(rig, "ENTRY", T0 + 3 * MINUTE));
    assert.equal((await tradesOf(db, rig.userId)).length, 2);
  } finally {
    await rig.close();
  }
});

suite.test("a redelivered ENTRY whose trade already closed is never sent again", async (db) => {
  const rig = await startRig(db);
  try {
    const first = signalOf(rig, "ENTRY", T0);
    await tradeOnce(rig);
    await rig.stage.service.handleSignal(first);
    assert.deepEqual(gate(rig), { hits: 0, misses: 2, strategies: 1 }, "asked the database");
    const trades = await tradesOf(db, rig.userId);
    assert.equal(trades.length, 1, "no second entry");
    const entries = await db.query("SELECT 1 FROM order_intents WHERE kind = 'ENTRY'");
    assert.equal(entries.length, 1);
  } finally {
    await rig.close();
  }
});

suite.test("a strategy deactivated through the API enters no more, as soon as it is announced", async (db) => {
  const rig = await startRig(db);
  try {
    await tradeOnce(rig);
    await setStrategyActive(db, rig.userId, rig.strategyId, false);
    await rig.bus.publish("control", strategyChanged(rig.userId, rig.strategyId, Date.now()));
    // Delivered in a moment; the gate has dropped what it knew (no periodic re-read here).
    await new Promise((resolve) => setTimeout(resolve, 30));
    await rig.stage.service.handleSignal(signalOf(rig, "ENTRY", T0 + 2 * MINUTE));
    assert.equal((await tradesOf(db, rig.userId)).length, 1, "no entry after deactivation");
    const entries = await db.query("SELECT 1 FROM order_intents WHERE kind = 'ENTRY'");
    assert.equal(entries.length, 1);
  } finally {
    await rig.close();
  }
});

suite.test("after a switch to live is announced, the next ENTRY goes to the live account", async (db) => {
  const sim = await startSimulator({ startPrices: { BTCUSDT: "50000" } });
  sim.addAccount(SIM_KEY, SIM_SECRET, { USDT: "10000" });
  const rig = await startRig(db, { sim, paperUser: true });
  try {
    await tradeOnce(rig);
    await saveApiKey(db, rig.userId, SIM_KEY, await rig.box.encrypt(SIM_SECRET, rig.userId));
    await setTradingMode(db, rig.userId, "live");
    await rig.bus.publish("control", accountChanged(rig.userId, Date.now()));
    // Delivered in a moment: the account and the gate are read again.
    await new Promise((resolve) => setTimeout(resolve, 30));
    const signal = signalOf(rig, "ENTRY", T0 + 2 * MINUTE);
    await rig.stage.service.handleSignal(signal);
    assert.equal(gate(rig).hits, 1, "decided in memory, on the account read again");
    const trades = await tradesOf(db, rig.userId);
    assert.deepEqual(trades.map((t) => t.isPaper), [true, false]);
    const orders = sim.orders(SIM_KEY) as { clientOrderId: string }[];
    assert.ok(orders.some((o) => o.clientOrderId === tradeClientIds(signal.id).entry));
  } finally {
    await rig.close();
    await sim.close();
  }
});

suite.test("a fast entry whose fill closes at once still leaves the strategy free to trade again", async (db) => {
  const rig = await startRig(db);
  try {
    await tradeOnce(rig);
    await rig.stage.service.handleSignal(signalOf(rig, "ENTRY", T0 + 2 * MINUTE));
    await rig.bus.publish(
      "klines",
      candleEvent(T0 + 3 * MINUTE, "50000", "51200", "49900", "51100"),
    );
    await waitFor(
      async () => (await tradesOf(db, rig.userId)).some((t) => t.status === "CLOSED_TP"),
      "the take-profit",
    );
    await rig.stage.service.idle();
    await rig.stage.service.refreshGate();
    await rig.stage.service.handleSignal(signalOf(rig, "ENTRY", T0 + 5 * MINUTE));
    assert.equal(gate(rig).hits, 2, "both later entries were decided in memory");
    const trades = await tradesOf(db, rig.userId);
    assert.deepEqual(trades.map((t) => t.status), ["CLOSED_SIGNAL", "CLOSED_TP", "OPEN"]);
  } finally {
    await rig.close();
  }
});

suite.test("the intents of a burst of fast entries reach the database together, in one statement", async (db) => {
  const rig = await startRig(db);
  try {
    const others = (await moreStrategies(db, rig.userId, 3)).map((strategyId) => ({
      userId: rig.userId,
      strategyId,
    }));
    const all = [rig, ...others];
    for (const ids of all) {
      await rig.stage.service.handleSignal(signalOf(ids, "ENTRY", T0));
      await rig.stage.service.handleSignal(signalOf(ids, "EXIT", T0 + MINUTE));
    }
    await rig.stage.service.idle();
    await rig.stage.service.refreshGate();
    const before = rig.stage.service.batchSizes.writeBehind.length;
    const burst = all.map((ids) => signalOf(ids, "ENTRY", T0 + 2 * MINUTE));
    const sent = Promise.all(burst.map((s) => rig.stage.service.handleSignal(s)));
    const ids = burst.map((s) => tradeClientIds(s.id).entry);
    await sent;
    assert.equal(gate(rig).hits, 4);
    assert.deepEqual(rig.stage.service.batchSizes.writeBehind.slice(before), [4], "one statement");
    const stored = await db.query(
      "SELECT status FROM order_intents WHERE client_order_id = ANY($1::text[])",
      [ids],
    );
    assert.deepEqual(stored.map((r) => r.status), ["DONE", "DONE", "DONE", "DONE"]);
  } finally {
    await rig.close();
  }
});

function journalOf(rig: Rig): string {
  return rig.journalPath;
}
