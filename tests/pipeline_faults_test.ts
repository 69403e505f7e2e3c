/**
 * The execution worker through a misbehaving exchange: the simulator fails
 * 20 % of order requests (half of them after executing the order), and
 * answers 429 bursts. Over several signal → OCO → TP/SL rounds nothing is
 * doubled: each entry executed at most once, every executed entry has one
 * trade row, every position ends protected or flat, and no intent is left
 * PENDING once reconciliation has run.
 */
import assert from "node:assert/strict";
import { tradeClientIds } from "../engine/orders/client_ids.ts";
import { addDecimals, compareDecimals } from "../engine/orders/decimal.ts";
import { startSimulator } from "../sim/server.ts";
import { dbSuite } from "./helpers/db.ts";
import {
  signalOf,
  SIM_KEY,
  SIM_SECRET,
  startRig,
  tradesOf,
  waitFor,
} from "./fixtures/execution_rig.ts";

const suite = dbSuite(["postgres"]);
const T0 = Date.UTC(2026, 0, 1);
const ROUNDS = 6;

interface SimOrder {
  clientOrderId: string;
  side: string;
  type: string;
  status: string;
  executedQty: string;
  orderListId: number;
}

suite.test("20% failing order requests and 429 bursts double nothing", async (db) => {
  const sim = await startSimulator({
    startPrices: { BTCUSDT: "50000" },
    commissionAsset: "base",
    seed: 7,
  });
  sim.addAccount(SIM_KEY, SIM_SECRET, { USDT: "10000" });
  const rig = await startRig(db, { sim });
  try {
    const signals = [];
    for (let round = 0; round < ROUNDS; round++) {
      sim.faults.failBeforeRate = 0.1;
      sim.faults.failAfterExecuteRate = 0.1;
      if (round % 2 === 1) sim.faults.rateLimitBurst = 3;
      const openTime = T0 + round * 120_000;
      const signal = signalOf(rig, "ENTRY", openTime);
      signals.push(signal);
      await rig.bus.publish("signals", signal);
      // Wait until the signal settled (a trade, or a FAILED entry), reconciling as the timer would.
      const settled = await waitFor(
        async () => {
          const trade = (await tradesOf(db, rig.userId)).find((t) => t.signalId === signal.id);
          if (trade && (trade.status !== "OPEN" || trade.ocoListClientOrderId)) return trade;
          const entry = await db.query(
            "SELECT status FROM order_intents WHERE client_order_id = $1",
            [tradeClientIds(signal.id).entry],
          );
          if (entry[0]?.status === "FAILED") return "failed";
          await rig.stage.reconcileNow();
          return undefined;
        },
        `round ${round} to settle`,
        30_000,
      );
      if (typeof settled === "string" || settled.status !== "OPEN") continue;
      const win = round % 2 === 0;
      sim.pushCandle("BTCUSDT", {
        openTime: openTime + 60_000,
        closeTime: openTime + 119_999,
        open: "50000",
        high: win ? "51500" : "50100",
        low: win ? "49900" : "48500",
        close: "50000",
        volume: "3",
      });
      await waitFor(
        async () => {
          const trade = (await tradesOf(db, rig.userId)).find((t) => t.signalId === signal.id);
          if (trade?.status !== "OPEN") return trade;
          await rig.stage.reconcileNow();
          return undefined;
        },
        `round ${round} to close`,
        30_000,
      );
    }

    sim.faults.failBeforeRate = 0;
    sim.faults.failAfterExecuteRate = 0;
    await rig.stage.reconcileNow();

    const orders = sim.orders(SIM_KEY) as SimOrder[];
    // The faults did happen: some order requests were answered 5xx and recovered.
    const posts = sim.requestLog.filter((r) => r.method === "POST" && r.clientOrderId);
    const recoveries = sim.requestLog.filter((r) => r.method === "GET" && r.clientOrderId);
    assert.ok(
      recoveries.length > 0 || posts.length > new Set(posts.map((p) => p.clientOrderId)).size,
    );
    const trades = await tradesOf(db, rig.userId);
    for (const signal of signals) {
      const ids = tradeClientIds(signal.id);
      const entries = orders.filter((o) => o.clientOrderId === ids.entry);
      assert.ok(entries.length <= 1, `entry ${ids.entry} executed ${entries.length} times`);
      const filled = entries.find((o) => o.status === "FILLED");
      const rows = trades.filter((t) => t.signalId === signal.id);
      assert.equal(rows.length, filled ? 1 : 0, `trade rows of ${signal.id}`);
      const working = orders.filter((o) =>
        o.status === "NEW" && o.clientOrderId.includes(ids.ocoList.slice(0, -1))
      );
      assert.ok(working.length === 0 || working.length === 2);
    }
    assert.equal(trades.filter((t) => t.status === "OPEN").length, 0, "a trade stayed open");
    const pending = await db.query(
      "SELECT client_order_id FROM order_intents WHERE status = 'PENDING'",
    );
    assert.equal(pending.length, 0, "an intent is still PENDING");
    // Every coin bought was sold again, up to the sub-step dust the base fee leaves.
    const bought = orders.filter((o) => o.side === "BUY" && o.status === "FILLED")
      .reduce((sum, o) => addDecimals(sum, o.executedQty), "0");
    const sold = orders.filter((o) => o.side === "SELL" && o.status === "FILLED")
      .reduce((sum, o) => addDecimals(sum, o.executedQty), "0");
    assert.ok(compareDecimals(sold, bought) <= 0, `sold ${sold} > bought ${bought}`);
    assert.ok(
      compareDecimals(addDecimals(bought, `-${sold}`), "0.0001") < 0,
      `left ${bought} − ${sold}`,
    );
    assert.ok(trades.filter((t) => t.status.startsWith("CLOSED")).length >= ROUNDS / 2);
  } finally {
    await rig.close();
    await sim.close();
  }
});

suite.end();
