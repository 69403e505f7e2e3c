/**
 * The execution stage under a burst: one user's strategies entering on the
 * same candle run together (batched statements, per-strategy lanes), never
 * plan with the same balance twice, and a mode switch between signals sends
 * the next entry to the new account.
 */
import assert from "node:assert/strict";
import { MemoryBus } from "../adapters/bus/memory.ts";
import { waitFor } from "../adapters/bus/_wait.ts";
import { configSchema } from "../config.ts";
import { saveApiKey } from "../db/api_keys.ts";
import { setTradingMode } from "../db/users.ts";
import { systemClock } from "../engine/clock.ts";
import type { AuraEvent } from "../engine/events.ts";
import { configureLogging } from "../logger.ts";
import { generateMasterKeys, SecretBox } from "../services/secrets.ts";
import { startSimulator } from "../sim/mod.ts";
import { startExecutionStage } from "../workers/execution.ts";
import {
  moreStrategies,
  seedUser,
  signalOf,
  SIM_KEY,
  SIM_SECRET,
  tempJournalPath,
  tradesOf,
} from "./fixtures/execution_rig.ts";
import { dbSuite } from "./helpers/db.ts";

configureLogging({ level: "FATAL" });

const suite = dbSuite();
const T0 = Date.UTC(2026, 0, 1);

suite.test("a burst of one user's entries is batched, and entries past the balance are refused unsent", async (db) => {
  const first = await seedUser(db);
  const strategies = [first.strategyId, ...await moreStrategies(db, first.userId, 11)];
  const bus = new MemoryBus();
  const events: AuraEvent[] = [];
  await bus.subscribe("orders", "test", (event) => void events.push(event));
  const stage = await startExecutionStage({
    bus,
    db,
    clock: systemClock,
    // Room for ten 100 USDT entries and their fees, not twelve.
    config: configSchema.parse({
      AURA_MARKET_DATA: "none",
      BINANCE_REST_URL: "http://127.0.0.1:9",
      AURA_PAPER_BALANCE_USDT: "1005",
    }),
    secrets: null,
    reconcileIntervalMs: 3_600_000,
    journalPath: await tempJournalPath(),
  });
  try {
    await Promise.all(
      strategies.map((strategyId) =>
        bus.publish("signals", signalOf({ userId: first.userId, strategyId }, "ENTRY", T0))
      ),
    );
    await waitFor(
      () =>
        events.filter((e) => e.type === "trade_opened").length +
            events.filter((e) => e.type === "trade_failed").length === 12,
      "twelve outcomes",
    );
    await stage.service.idle();
    const trades = await tradesOf(db, first.userId);
    assert.equal(trades.length, 10);
    assert.ok(trades.every((t) => t.status === "OPEN" && t.ocoListClientOrderId));
    const refused = await db.query(
      "SELECT payload FROM order_intents WHERE kind = 'ENTRY' AND status = 'FAILED'",
    );
    assert.equal(refused.length, 2);
    for (const row of refused) {
      const payload = row.payload as { code: string; refused?: string };
      assert.equal(payload.code, "TRADE_001", "refused before sending: insufficient balance");
      assert.ok(payload.refused);
    }
    const handle = await stage.exchanges.forUser(first.userId, true);
    const usdt = (await handle.exchange.getBalances()).USDT!.free;
    assert.ok(Number(usdt) >= 0 && Number(usdt) < 100, `paper USDT left: ${usdt}`);
    const { claims } = stage.service.batchSizes;
    assert.ok(Math.max(...claims) > 1, `entries were claimed together: ${claims}`);
  } finally {
    await stage.stop();
    await bus.close();
  }
});

suite.test("an entry after a switch to live goes to the live account", async (db) => {
  const sim = await startSimulator({ startPrices: { BTCUSDT: "50000" } });
  sim.addAccount(SIM_KEY, SIM_SECRET, { USDT: "10000" });
  const box = new SecretBox(generateMasterKeys());
  const first = await seedUser(db);
  const [second] = await moreStrategies(db, first.userId, 1);
  const bus = new MemoryBus();
  const stage = await startExecutionStage({
    bus,
    db,
    clock: systemClock,
    config: configSchema.parse({ AURA_MARKET_DATA: "none", BINANCE_REST_URL: sim.url }),
    secrets: box,
    reconcileIntervalMs: 3_600_000,
    pollIntervalMs: 25,
    journalPath: await tempJournalPath(),
  });
  try {
    await stage.service.handleSignal(signalOf(first, "ENTRY", T0));
    // The factory now knows the user as a paper trader; the user switches meanwhile.
    await saveApiKey(db, first.userId, SIM_KEY, await box.encrypt(SIM_SECRET, first.userId));
    await setTradingMode(db, first.userId, "live");
    await stage.service.handleSignal(
      signalOf({ userId: first.userId, strategyId: second! }, "ENTRY", T0),
    );
    await stage.service.idle();
    const trades = await tradesOf(db, first.userId);
    assert.deepEqual(trades.map((t) => t.isPaper), [true, false]);
    const orders = sim.orders(SIM_KEY) as { clientOrderId: string }[];
    assert.ok(orders.some((o) => o.clientOrderId === trades[1]!.clientOrderIdEntry));
    const intents = await db.query(
      "SELECT is_paper FROM order_intents WHERE kind = 'ENTRY' AND strategy_id = $1",
      [second],
    );
    assert.deepEqual(intents.map((r) => r.is_paper), [false], "one intent, on the live account");
  } finally {
    await stage.stop();
    await bus.close();
    await sim.close();
  }
});

suite.end();
