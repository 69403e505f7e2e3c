/**
 * Discovery after an unclean stop (services/_discovery.ts): an entry that
 * left for the exchange while its journal line never reached the disk (a
 * power loss in the millisecond between the send and the sync) is found on
 * the exchange by its deterministic client id, adopted and protected — and
 * the candle's signal, evaluated again after the restart, sends nothing.
 */
import assert from "node:assert/strict";
import { CcxtBinanceExchange } from "../adapters/exchange/ccxt_binance.ts";
import { MemoryBus } from "../adapters/bus/memory.ts";
import type { Db } from "../db/port.ts";
import { tradeClientIds } from "../engine/orders/client_ids.ts";
import { CANDLE_LOOKBACK_MS, matchEntry } from "../services/_discovery.ts";
import { RunMarker } from "../services/_run_marker.ts";
import { systemClock } from "../engine/clock.ts";
import { startSimulator } from "../sim/server.ts";
import { dbSuite } from "./helpers/db.ts";
import {
  openStage,
  seedUser,
  signalOf,
  SIM_KEY,
  SIM_SECRET,
  startRig,
  tempJournalPath,
  tradesOf,
} from "./fixtures/execution_rig.ts";
import { generateMasterKeys, SecretBox } from "../services/secrets.ts";

const suite = dbSuite();
const MINUTE = 60_000;

/** The crashed run's entry: sent straight to the simulator, known nowhere in AURA. */
async function sendBehindAurasBack(url: string, clientOrderId: string): Promise<void> {
  const exchange = new CcxtBinanceExchange({ apiKey: SIM_KEY, secret: SIM_SECRET, endpoint: url });
  try {
    await exchange.marketBuyQuote({ symbol: "BTCUSDT", quoteOrderQty: "100", clientOrderId });
  } finally {
    await exchange.close();
  }
}

/** Leaves the marker a run that died at `beatAt` (clean: stopped properly) would leave. */
async function leaveMarker(journalPath: string, clean: boolean): Promise<void> {
  const marker = await RunMarker.open(`${journalPath}.run`, systemClock);
  if (clean) await marker.close();
  else {
    // Dies without a clean close: the file says "running, alive until now".
    await marker.beat();
    await marker.abandon();
  }
}

async function scenario(db: Db, clean: boolean) {
  const sim = await startSimulator({ startPrices: { BTCUSDT: "50000" } });
  sim.addAccount(SIM_KEY, SIM_SECRET, { USDT: "10000" });
  const box = new SecretBox(generateMasterKeys());
  const ids = await seedUser(db, { live: box });
  const journalPath = await tempJournalPath();
  // The candle that closed just before the "crash".
  const close = Math.floor(Date.now() / MINUTE) * MINUTE - 1;
  const signal = signalOf(ids, "ENTRY", close);
  const entry = tradeClientIds(signal.id).entry;
  await sendBehindAurasBack(sim.url, entry);
  await leaveMarker(journalPath, clean);
  const bus = new MemoryBus();
  const stage = await openStage(db, bus, box, sim, "0/1", journalPath);
  return {
    sim,
    ids,
    signal,
    entry,
    stage,
    async close() {
      await stage.stop();
      await bus.close();
      await sim.close();
    },
  };
}

suite.test("after an unclean stop, an entry on the exchange that no intent names is adopted and protected", async (db) => {
  const run = await scenario(db, false);
  try {
    const [intent] = await db.query(
      "SELECT status, strategy_id, signal_id, payload FROM order_intents WHERE client_order_id = $1",
      [run.entry],
    );
    assert.equal(intent?.status, "DONE", "recorded by discovery, adopted by reconciliation");
    assert.equal(Number(intent?.strategy_id), run.ids.strategyId);
    assert.equal(intent?.signal_id, run.signal.id);
    assert.equal((intent?.payload as { discovered?: boolean }).discovered, true);
    const trades = await tradesOf(db, run.ids.userId);
    assert.equal(trades.length, 1);
    assert.equal(trades[0]!.status, "OPEN");
    assert.equal(trades[0]!.clientOrderIdEntry, run.entry);
    assert.equal(trades[0]!.ocoListClientOrderId, tradeClientIds(run.signal.id).ocoList);
    // The candle evaluated again after the restart: its signal finds the intent.
    await run.stage.service.handleSignal(run.signal);
    const buys = (run.sim.orders(SIM_KEY) as { side: string; type: string }[])
      .filter((o) => o.side === "BUY" && o.type === "MARKET");
    assert.equal(buys.length, 1, "never sent twice");
  } finally {
    await run.close();
  }
});

suite.test("after a clean stop nothing is listed: the journal held every entry", async (db) => {
  const run = await scenario(db, true);
  try {
    const intents = await db.query("SELECT 1 FROM order_intents WHERE client_order_id = $1", [
      run.entry,
    ]);
    assert.equal(intents.length, 0);
    assert.equal((await tradesOf(db, run.ids.userId)).length, 0);
  } finally {
    await run.close();
  }
});

Deno.test("matchEntry() finds the strategy and candle a client id was derived from", () => {
  const close = Date.UTC(2026, 0, 1, 12, 0) - 1;
  const strategies = [{ id: 7, interval: "1m" }, { id: 9, interval: "1h" }];
  const id = (s: number, c: number) => tradeClientIds(`${s}:${c}:ENTRY`).entry;
  // Sent 40 ms after its candle closed; another an hour-candle's signal sent late.
  assert.deepEqual(matchEntry({ clientOrderId: id(7, close), time: close + 41 }, strategies), {
    strategy: strategies[0],
    signalId: `7:${close}:ENTRY`,
    candleCloseTime: close,
  });
  const hourClose = Date.UTC(2026, 0, 1, 11, 0) - 1;
  assert.equal(
    matchEntry({ clientOrderId: id(9, hourClose), time: close + 5 * MINUTE }, strategies)
      ?.candleCloseTime,
    hourClose,
  );
  // Too old a candle, another strategy's id, or an exit: no match.
  const old = close - CANDLE_LOOKBACK_MS - 2 * MINUTE;
  assert.equal(matchEntry({ clientOrderId: id(7, old), time: close }, strategies), null);
  assert.equal(matchEntry({ clientOrderId: id(8, close), time: close + 1 }, strategies), null);
  assert.equal(
    matchEntry(
      { clientOrderId: tradeClientIds(`7:${close}:ENTRY`).exit, time: close + 1 },
      strategies,
    ),
    null,
  );
});

suite.test("while discovery is owed, entries of candles the previous run may have traded wait", async (db) => {
  const rig = await startRig(db);
  try {
    const heldUpTo = Date.UTC(2026, 0, 1, 12, 0) - 1;
    rig.stage.service.holdEntriesUpTo(heldUpTo);
    await rig.stage.service.handleSignal(signalOf(rig, "ENTRY", heldUpTo));
    assert.equal((await tradesOf(db, rig.userId)).length, 0, "held");
    await rig.stage.service.handleSignal(signalOf(rig, "ENTRY", heldUpTo + MINUTE));
    assert.equal((await tradesOf(db, rig.userId)).length, 1, "a later candle is not");
  } finally {
    await rig.close();
  }
});
