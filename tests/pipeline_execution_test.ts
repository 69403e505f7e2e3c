/**
 * The execution worker end to end on real storage (PGlite and Postgres):
 * signal → entry + OCO → TP/SL closes with exact P&L on the paper exchange
 * and through ccxt against the simulator; the EXIT signal; exit at market
 * when the price passed a leg; OCO rejection → rollback + FAILED; the
 * drawdown breaker on realized and unrealized losses.
 */
import assert from "node:assert/strict";
import { PaperExchange } from "../adapters/exchange/paper.ts";
import { saveApiKey } from "../db/api_keys.ts";
import { getStrategy } from "../db/strategies.ts";
import { setTradingMode } from "../db/users.ts";
import { systemClock } from "../engine/clock.ts";
import { AuraError } from "../engine/errors.ts";
import type { AuraEvent, OrderEvent as BusEvent } from "../engine/events.ts";
import { tradeClientIds } from "../engine/orders/client_ids.ts";
import type { Exchange, OrderList, PlaceOco } from "../engine/ports/exchange.ts";
import { singleExchange } from "../services/exchange_factory.ts";
import { ExecutionService } from "../services/execution.ts";
import { reconcile } from "../services/reconcile.ts";
import { startSimulator } from "../sim/server.ts";
import { dbSuite } from "./helpers/db.ts";
import {
  candleEvent,
  openStage,
  RISK,
  seedUser,
  signalOf,
  SIM_KEY,
  SIM_SECRET,
  startRig,
  tradesOf,
  waitFor,
  waitForTrade,
} from "./fixtures/execution_rig.ts";

const suite = dbSuite();
const T0 = Date.UTC(2026, 0, 1);

suite.test("paper: ENTRY opens a trade with an OCO; a candle through TP closes it CLOSED_TP with P&L net of fees", async (db) => {
  const rig = await startRig(db);
  try {
    const signal = signalOf(rig, "ENTRY", T0);
    await rig.bus.publish("signals", signal);
    const opened = await waitFor(
      () => rig.events.find((e) => e.type === "trade_opened"),
      "trade_opened",
    );
    assert.equal(
      opened.type === "trade_opened" && opened.listClientOrderId,
      tradeClientIds(signal.id).ocoList,
    );
    const [open] = await tradesOf(db, rig.userId);
    assert.equal(open!.status, "OPEN");
    assert.equal(open!.entryPrice, "50000");
    assert.equal(open!.quantity, "0.002");
    assert.equal(open!.entryFee, "0.1"); // 0.1 % of 100 USDT, in quote
    assert.equal(open!.takeProfitPrice, "51000");
    assert.equal(open!.stopLossPrice, "49500");
    for (
      const step of [
        "candleCloseTime",
        "klineReceivedAt",
        "signalAt",
        "entrySentAt",
        "entryAckAt",
        "ocoAckAt",
      ]
    ) {
      assert.equal(typeof open!.latency?.[step], "number", step);
    }
    await rig.bus.publish("klines", candleEvent(T0 + 60_000, "50000", "51200", "49900", "51100"));
    const closed = await waitForTrade(db, rig.userId, "CLOSED_TP");
    // 0.002 × 51000 = 102 received, − 0.102 exit fee − 100 cost − 0.1 entry fee.
    assert.equal(closed.exitPrice, "51000");
    assert.equal(closed.pnl, "1.798");
    assert.equal(closed.fees, "0.202");
    const event = await waitFor(
      () => rig.events.find((e) => e.type === "trade_closed"),
      "trade_closed",
    );
    assert.equal(event.type === "trade_closed" && event.pnl, "1.798");
  } finally {
    await rig.close();
  }
});

suite.test("paper: a candle through the stop closes CLOSED_SL at the stop price", async (db) => {
  const rig = await startRig(db);
  try {
    await rig.bus.publish("signals", signalOf(rig, "ENTRY", T0));
    await waitFor(() => rig.events.find((e) => e.type === "trade_opened"), "trade_opened");
    await rig.bus.publish("klines", candleEvent(T0 + 60_000, "50000", "50100", "49400", "49450"));
    const closed = await waitForTrade(db, rig.userId, "CLOSED_SL");
    // 0.002 × 49500 = 99, − 0.099 − 100 − 0.1.
    assert.equal(closed.exitPrice, "49500");
    assert.equal(closed.pnl, "-1.199");
  } finally {
    await rig.close();
  }
});

suite.test("paper: a restart rebuilds the paper account and its OCO from the database; the TP still closes the trade", async (db) => {
  const rig = await startRig(db);
  try {
    const signal = signalOf(rig, "ENTRY", T0);
    await rig.stage.service.handleSignal(signal);
    await rig.stage.stop();
    const restarted = await openStage(db, rig.bus, rig.box);
    try {
      const [trade] = await tradesOf(db, rig.userId);
      assert.equal(trade!.status, "OPEN");
      assert.equal(trade!.ocoListClientOrderId, tradeClientIds(signal.id).ocoList);
      const handle = await restarted.exchanges.forUser(rig.userId);
      const lists = await handle.exchange.getOpenOrderLists();
      assert.deepEqual(lists.map((l) => l.listClientOrderId), [tradeClientIds(signal.id).ocoList]);
      const balances = await handle.exchange.getBalances();
      assert.equal(balances.USDT?.free, "9899.9"); // 10000 − 100 − 0.1 fee
      assert.equal(balances.BTC?.locked, "0.002");
      await rig.bus.publish("klines", candleEvent(T0 + 60_000, "50000", "51200", "49900", "51100"));
      const closed = await waitForTrade(db, rig.userId, "CLOSED_TP");
      assert.equal(closed.pnl, "1.798");
      const intents = await db.query("SELECT kind FROM order_intents WHERE kind = 'OCO'");
      assert.equal(intents.length, 1, "a second OCO was placed after the restart");
    } finally {
      await restarted.stop();
    }
  } finally {
    await rig.close();
  }
});

suite.test("paper: an OCO cancelled on the exchange by someone else is re-armed under the next attempt id", async (db) => {
  const rig = await startRig(db);
  try {
    const signal = signalOf(rig, "ENTRY", T0);
    await rig.stage.service.handleSignal(signal);
    const handle = await rig.stage.exchanges.forUser(rig.userId);
    await handle.exchange.cancelOrderList({
      symbol: "BTCUSDT",
      listClientOrderId: tradeClientIds(signal.id).ocoList,
    });
    const rearmed = await waitFor(async () => {
      const [trade] = await tradesOf(db, rig.userId);
      return trade?.ocoListClientOrderId === tradeClientIds(signal.id, 1).ocoList
        ? trade
        : undefined;
    }, "the OCO to be re-armed");
    assert.equal(rearmed.status, "OPEN");
    const lists = await handle.exchange.getOpenOrderLists();
    assert.deepEqual(lists.map((l) => l.listClientOrderId), [tradeClientIds(signal.id, 1).ocoList]);
  } finally {
    await rig.close();
  }
});

suite.test("paper: after a switch to live, the open paper trade is reconciled and exited on paper", async (db) => {
  const rig = await startRig(db);
  try {
    const signal = signalOf(rig, "ENTRY", T0);
    await rig.stage.service.handleSignal(signal);
    await saveApiKey(db, rig.userId, SIM_KEY, await rig.box.encrypt(SIM_SECRET, rig.userId));
    await setTradingMode(db, rig.userId, "live");
    await rig.stage.reconcileNow();
    assert.ok(
      !rig.events.some((e) => e.type === "reconciliation_report"),
      "reconciliation found something",
    );
    const paper = await rig.stage.exchanges.forUser(rig.userId, true);
    assert.equal((await paper.exchange.getOpenOrderLists()).length, 1);
    await rig.stage.service.handleSignal(signalOf(rig, "EXIT", T0 + 60_000));
    const [trade] = await tradesOf(db, rig.userId);
    assert.equal(trade!.status, "CLOSED_SIGNAL");
    assert.equal(trade!.isPaper, true);
    assert.equal((await paper.exchange.getOpenOrderLists()).length, 0);
  } finally {
    await rig.close();
  }
});

suite.test("paper: a position fallen below the NOTIONAL minimum is written off CLOSED_DUST, and the strategy trades again", async (db) => {
  // A 60 % loss of the position: the breaker (at 90 %) stays quiet.
  const risk = { ...RISK, positionSizeUsd: 10, maxDrawdownPercent: 90 };
  const rig = await startRig(db, { risk });
  try {
    await rig.stage.service.handleSignal(signalOf(rig, "ENTRY", T0, { risk }));
    const handle = await rig.stage.exchanges.forUser(rig.userId);
    // A gap far through the stop, with no candle to trigger it: 0.0002 BTC is now 4 USDT.
    handle.paper!.setPrice("BTCUSDT", "20000");
    await rig.stage.service.handleSignal(signalOf(rig, "EXIT", T0 + 60_000, { risk }));
    const [trade] = await tradesOf(db, rig.userId);
    assert.equal(trade!.status, "CLOSED_DUST");
    assert.equal(trade!.exitPrice, "20000");
    assert.equal(trade!.pnl, "-6.01"); // 0.0002 × 20000 − 10 − 0.01 entry fee
    assert.equal(trade!.exitFee, "0");
    assert.match(trade!.failureReason ?? "", /0\.0002 BTC left in the account/);
    assert.equal((await handle.exchange.getOpenOrderLists()).length, 0, "the OCO was cancelled");
    assert.equal((await handle.exchange.getBalances()).BTC?.free, "0.0002");
    const exit = await db.query("SELECT status, result FROM order_intents WHERE kind = 'EXIT'");
    assert.equal(exit[0]!.status, "DONE");
    assert.equal((exit[0]!.result as { code: string }).code, "TRADE_002");
    const closed = await waitFor(
      () => rig.events.find((e) => e.type === "trade_closed"),
      "trade_closed",
    );
    assert.equal(closed.type === "trade_closed" && closed.status, "CLOSED_DUST");
    await rig.stage.service.handleSignal(
      signalOf(rig, "ENTRY", T0 + 120_000, { risk, price: "20000" }),
    );
    const trades = await tradesOf(db, rig.userId);
    assert.deepEqual(trades.map((t) => t.status), ["CLOSED_DUST", "OPEN"]);
  } finally {
    await rig.close();
  }
});

suite.test("paper: a redelivered ENTRY signal places no second order", async (db) => {
  const rig = await startRig(db);
  try {
    const signal = signalOf(rig, "ENTRY", T0);
    await rig.stage.service.handleSignal(signal);
    await rig.stage.service.handleSignal(signal);
    await rig.stage.service.handleSignal(signalOf(rig, "ENTRY", T0 + 60_000)); // already in a position
    assert.equal((await tradesOf(db, rig.userId)).length, 1);
    const intents = await db.query("SELECT kind, status FROM order_intents ORDER BY kind");
    assert.deepEqual(intents.map((r) => `${r.kind}:${r.status}`), ["ENTRY:DONE", "OCO:DONE"]);
  } finally {
    await rig.close();
  }
});

suite.test("simulator: ccxt entry gets a fee-aware OCO; the polled TP fill closes the trade", async (db) => {
  const sim = await startSimulator({ startPrices: { BTCUSDT: "50000" }, commissionAsset: "base" });
  sim.addAccount(SIM_KEY, SIM_SECRET, { USDT: "10000" });
  const rig = await startRig(db, { sim });
  try {
    const signal = signalOf(rig, "ENTRY", T0);
    await rig.bus.publish("signals", signal);
    await waitFor(() => rig.events.find((e) => e.type === "trade_opened"), "trade_opened");
    const ids = tradeClientIds(signal.id);
    const orders = sim.orders(SIM_KEY) as {
      clientOrderId: string;
      origQty: string;
      status: string;
    }[];
    const tp = orders.find((o) => o.clientOrderId === ids.takeProfit)!;
    // 0.002 BTC bought, 0.000002 BTC commission: 0.001998 floored to the 0.00001 step.
    assert.equal(Number(tp.origQty), 0.00199);
    const [open] = await tradesOf(db, rig.userId);
    assert.equal(open!.entryFee, "0.1"); // 0.000002 BTC × 50000
    sim.pushCandle("BTCUSDT", {
      openTime: T0,
      closeTime: T0 + 59_999,
      open: "50000",
      high: "51500",
      low: "49900",
      close: "51200",
      volume: "3",
    });
    const closed = await waitForTrade(db, rig.userId, "CLOSED_TP");
    // 0.00199 × 51000 = 101.49, − 0.10149 fee, − 0.00199 × 50000 = 99.5, − 0.1 entry fee.
    assert.equal(closed.pnl, "1.78851");
    assert.equal(orders.filter((o) => o.clientOrderId === ids.entry).length, 1);
  } finally {
    await rig.close();
    await sim.close();
  }
});

suite.test("simulator: fees paid in BNB are valued at BNBUSDT; the OCO sells the whole entry", async (db) => {
  const sim = await startSimulator({
    symbols: ["BTCUSDT", "BNBUSDT"],
    startPrices: { BTCUSDT: "50000", BNBUSDT: "500" },
    commissionAsset: "bnb",
  });
  sim.addAccount(SIM_KEY, SIM_SECRET, { USDT: "10000", BNB: "1" });
  const rig = await startRig(db, { sim });
  try {
    const signal = signalOf(rig, "ENTRY", T0);
    await rig.bus.publish("signals", signal);
    await waitFor(() => rig.events.find((e) => e.type === "trade_opened"), "trade_opened");
    const orders = sim.orders(SIM_KEY) as { clientOrderId: string; origQty: string }[];
    const tp = orders.find((o) => o.clientOrderId === tradeClientIds(signal.id).takeProfit)!;
    assert.equal(Number(tp.origQty), 0.002); // nothing taken from the base asset
    const [open] = await tradesOf(db, rig.userId);
    // 100 USDT × 0.1 % × 0.75 = 0.075 USDT, paid as 0.00015 BNB at 500.
    assert.equal(open!.entryFee, "0.075");
    sim.pushCandle("BTCUSDT", {
      openTime: T0,
      closeTime: T0 + 59_999,
      open: "50000",
      high: "51500",
      low: "49900",
      close: "51200",
      volume: "3",
    });
    const closed = await waitForTrade(db, rig.userId, "CLOSED_TP");
    // 0.002 × 51000 = 102, − 0.0765 (0.000153 BNB), − 100, − 0.075.
    assert.equal(closed.pnl, "1.8485");
    assert.equal(closed.fees, "0.1515");
  } finally {
    await rig.close();
    await sim.close();
  }
});

suite.test("simulator: an EXIT signal cancels the OCO, sells at market and closes CLOSED_SIGNAL", async (db) => {
  const sim = await startSimulator({ startPrices: { BTCUSDT: "50000" } });
  sim.addAccount(SIM_KEY, SIM_SECRET, { USDT: "10000" });
  const rig = await startRig(db, { sim });
  try {
    const entry = signalOf(rig, "ENTRY", T0);
    await rig.bus.publish("signals", entry);
    await waitFor(() => rig.events.find((e) => e.type === "trade_opened"), "trade_opened");
    sim.setPrice("BTCUSDT", "50500");
    const exit = signalOf(rig, "EXIT", T0 + 60_000, { price: "50500" });
    await rig.bus.publish("signals", exit);
    const closed = await waitForTrade(db, rig.userId, "CLOSED_SIGNAL");
    // 0.002 × 50500 = 101, − 0.101 − 100 − 0.1.
    assert.equal(closed.exitPrice, "50500");
    assert.equal(closed.pnl, "0.799");
    assert.equal(closed.clientOrderIdExit, tradeClientIds(exit.id).exit);
    const orders = sim.orders(SIM_KEY) as { clientOrderId: string; status: string }[];
    const ids = tradeClientIds(entry.id);
    assert.equal(orders.find((o) => o.clientOrderId === ids.takeProfit)!.status, "CANCELED");
    assert.equal(orders.find((o) => o.clientOrderId === ids.stopLoss)!.status, "CANCELED");
  } finally {
    await rig.close();
    await sim.close();
  }
});

suite.test("simulator: a TP filled while the engine was down is closed at start-up and reported", async (db) => {
  const sim = await startSimulator({ startPrices: { BTCUSDT: "50000" } });
  sim.addAccount(SIM_KEY, SIM_SECRET, { USDT: "10000" });
  const rig = await startRig(db, { sim });
  try {
    const signal = signalOf(rig, "ENTRY", T0);
    await rig.stage.service.handleSignal(signal);
    await rig.stage.stop();
    sim.pushCandle("BTCUSDT", {
      openTime: T0,
      closeTime: T0 + 59_999,
      open: "50000",
      high: "51500",
      low: "49900",
      close: "51200",
      volume: "3",
    });
    // An entry intent that never reached the exchange (a minute old: it can no longer arrive).
    await db.query(
      `INSERT INTO order_intents (client_order_id, user_id, strategy_id, signal_id, kind, symbol, is_paper, payload, created_at)
       VALUES ('au-never-sent-E', $1, $2, 'never-sent', 'ENTRY', 'BTCUSDT', false, '{}', NOW() - INTERVAL '1 minute')`,
      [rig.userId, rig.strategyId],
    );
    const restarted = await openStage(db, rig.bus, rig.box, sim);
    try {
      const [trade] = await tradesOf(db, rig.userId);
      assert.equal(trade!.status, "CLOSED_TP");
      assert.equal(trade!.pnl, "1.798");
      const report = await waitFor(
        () => rig.events.find((e) => e.type === "reconciliation_report"),
        "reconciliation_report",
      );
      assert.ok(report.type === "reconciliation_report");
      assert.deepEqual(report.findings.map((f) => f.kind).sort(), [
        "closed_while_down",
        "marked_failed",
      ]);
      const never = await db.query(
        "SELECT status FROM order_intents WHERE client_order_id = 'au-never-sent-E'",
      );
      assert.equal(never[0]?.status, "FAILED");
      assert.ok(rig.events.some((e) => e.type === "trade_failed" && e.signalId === "never-sent"));
    } finally {
      await restarted.stop();
    }
  } finally {
    await rig.close();
    await sim.close();
  }
});

/** A paper exchange whose OCO placements fail or whose price jumps after the entry. */
class FaultyPaper extends PaperExchange {
  rejectOco = 0;
  ocoCalls = 0;
  priceAfterEntry: string | null = null;
  override async marketBuyQuote(command: Parameters<Exchange["marketBuyQuote"]>[0]) {
    const order = await super.marketBuyQuote(command);
    if (this.priceAfterEntry) this.setPrice(command.symbol, this.priceAfterEntry);
    return order;
  }
  override placeOco(command: PlaceOco): Promise<OrderList> {
    this.ocoCalls++;
    if (this.rejectOco-- > 0) {
      return Promise.reject(
        new AuraError("TRADE_004", `Cannot place OCO for "${command.symbol}": rejected`),
      );
    }
    return super.placeOco(command);
  }
}

async function serviceWith(db: Parameters<typeof seedUser>[0], paper: PaperExchange) {
  const ids = await seedUser(db);
  const events: BusEvent[] = [];
  const handle = { userId: ids.userId, exchange: paper, isPaper: true, paper };
  const service = new ExecutionService({
    db,
    clock: systemClock,
    exchanges: singleExchange(handle),
    publish: (event) => {
      events.push(event);
      return Promise.resolve();
    },
  });
  return { ids, events, service, handle };
}

suite.test("paper: when the price already passed the take-profit, the position exits at market", async (db) => {
  const paper = new FaultyPaper({ clock: systemClock, prices: { BTCUSDT: "50000" } });
  paper.priceAfterEntry = "51500";
  const { ids, service } = await serviceWith(db, paper);
  await service.handleSignal(signalOf(ids, "ENTRY", T0));
  const [trade] = await tradesOf(db, ids.userId);
  assert.equal(trade!.status, "CLOSED_TP");
  assert.equal(trade!.exitPrice, "51500");
  assert.equal(paper.ocoCalls, 0);
  assert.match(trade!.failureReason ?? "", /past a leg/);
});

suite.test("paper: an OCO rejected on every attempt is rolled back: market sell, FAILED, trade_failed", async (db) => {
  const paper = new FaultyPaper({ clock: systemClock, prices: { BTCUSDT: "50000" } });
  paper.rejectOco = 3;
  const { ids, service, events } = await serviceWith(db, paper);
  await service.handleSignal(signalOf(ids, "ENTRY", T0));
  const [trade] = await tradesOf(db, ids.userId);
  assert.equal(trade!.status, "FAILED");
  assert.match(trade!.failureReason ?? "", /OCO could not be placed after 3 attempts/);
  assert.equal(paper.ocoCalls, 3);
  assert.equal(trade!.pnl, "-0.2"); // bought and sold at 50000: two fees
  const balances = await paper.getBalances();
  assert.equal(balances.BTC?.free ?? "0", "0");
  const failed = events.find((e) => e.type === "trade_failed");
  assert.ok(failed && failed.type === "trade_failed" && failed.action === "ENTRY");
  const intents = await db.query("SELECT kind, status FROM order_intents ORDER BY created_at");
  assert.deepEqual(intents.map((r) => `${r.kind}:${r.status}`), [
    "ENTRY:DONE",
    "OCO:FAILED",
    "OCO:FAILED",
    "OCO:FAILED",
    "EXIT:DONE",
  ]);
});

suite.test("paper: an OCO rejected once is placed on the retry under the next attempt id", async (db) => {
  const paper = new FaultyPaper({ clock: systemClock, prices: { BTCUSDT: "50000" } });
  paper.rejectOco = 1;
  const { ids, service } = await serviceWith(db, paper);
  const signal = signalOf(ids, "ENTRY", T0);
  await service.handleSignal(signal);
  const [trade] = await tradesOf(db, ids.userId);
  assert.equal(trade!.status, "OPEN");
  assert.equal(trade!.ocoListClientOrderId, tradeClientIds(signal.id, 1).ocoList);
});

suite.test("breaker: a stop-loss beyond maxDrawdownPercent halts the strategy and later entries are skipped", async (db) => {
  const rig = await startRig(db, { risk: { ...RISK, maxDrawdownPercent: 1 } });
  try {
    await rig.bus.publish("signals", signalOf(rig, "ENTRY", T0));
    await waitFor(() => rig.events.find((e) => e.type === "trade_opened"), "trade_opened");
    await rig.bus.publish("klines", candleEvent(T0 + 60_000, "50000", "50100", "49400", "49450"));
    const halted = await waitFor(
      () => rig.events.find((e) => e.type === "strategy_halted"),
      "strategy_halted",
    );
    // Equity 100 → 98.801: 1.199 % below the peak of the 100 USDT allocation.
    assert.equal(halted.type === "strategy_halted" && halted.drawdownPercent, "1.199");
    const strategy = await getStrategy(db, rig.userId, rig.strategyId);
    assert.equal(strategy!.isActive, false);
    assert.ok(strategy!.haltedAt);
    await rig.stage.service.handleSignal(signalOf(rig, "ENTRY", T0 + 120_000, { price: "49450" }));
    assert.equal((await tradesOf(db, rig.userId)).length, 1);
  } finally {
    await rig.close();
  }
});

suite.test("breaker: an unrealized loss trips it; the OCO is cancelled and the position flattened", async (db) => {
  const paper = new PaperExchange({ clock: systemClock, prices: { BTCUSDT: "50000" } });
  const ids = await seedUser(db, { risk: { ...RISK, stopLossPercent: 5, maxDrawdownPercent: 2 } });
  const events: AuraEvent[] = [];
  const handle = { userId: ids.userId, exchange: paper, isPaper: true, paper };
  const exchanges = singleExchange(handle);
  const publish = (event: BusEvent) => {
    events.push(event);
    return Promise.resolve();
  };
  const service = new ExecutionService({ db, clock: systemClock, exchanges, publish });
  await service.handleSignal(
    signalOf(ids, "ENTRY", T0, { risk: { ...RISK, stopLossPercent: 5, maxDrawdownPercent: 2 } }),
  );
  assert.equal((await paper.getOpenOrderLists()).length, 1);
  paper.setPrice("BTCUSDT", "48500"); // −3 USDT on 0.002 BTC, still above the 47500 stop
  await reconcile({ db, clock: systemClock, exchanges, service, publish });
  const [trade] = await tradesOf(db, ids.userId);
  assert.equal(trade!.status, "CLOSED_MANUAL");
  assert.equal(trade!.exitPrice, "48500");
  assert.equal((await paper.getOpenOrderLists()).length, 0);
  assert.ok(events.some((e) => e.type === "strategy_halted"));
  assert.equal((await getStrategy(db, ids.userId, ids.strategyId))!.isActive, false);
});

suite.end();
