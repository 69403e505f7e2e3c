import assert from "node:assert/strict";
import { runBacktest } from "../backtest/backtest.ts";
import type { StrategySignal } from "../strategy/runner.ts";
import { busyStrategy, walkCandles } from "./_test_market.ts";
import { FanoutIndex } from "./fanout.ts";
import { LiveStrategy } from "./live_strategy.ts";

const candles = walkCandles(600);
// Reads the position through a call so the compiler does not narrow it between events.
const positionOf = (live: LiveStrategy) => live.position;

function liveSignals(from = 0): StrategySignal[] {
  const live = new LiveStrategy("s1", 1, busyStrategy());
  live.start({ saved: null, history: candles.slice(0, from), openTrade: null });
  return candles.slice(from).flatMap((c) => [...live.onCandle(c)]);
}

Deno.test("a live strategy signals exactly the backtest's entries and signal exits", () => {
  const report = runBacktest(busyStrategy(), candles, { feeRate: 0.001 });
  assert.ok(report.trades.length >= 10, `only ${report.trades.length} trades`);
  const signals = liveSignals();
  const entries = signals.filter((s) => s.action === "ENTRY").map((s) => s.candleCloseTime);
  const exits = signals.filter((s) => s.action === "EXIT").map((s) => s.candleCloseTime);
  const expectedEntries = report.trades.map((t) => t.entryTime);
  if (report.openPosition) expectedEntries.push(report.openPosition.entryTime);
  assert.deepEqual(entries, expectedEntries);
  assert.deepEqual(
    exits,
    report.trades.filter((t) => t.status === "CLOSED_SIGNAL").map((t) => t.exitTime),
  );
  assert.ok(report.trades.some((t) => t.status === "CLOSED_TP"));
  assert.ok(report.trades.some((t) => t.status === "CLOSED_SL"));
});

Deno.test("a restored snapshot catches up on missed candles without skipping or repeating one", () => {
  const all = liveSignals();
  const first = new LiveStrategy("s1", 1, busyStrategy());
  first.start({ saved: null, history: [], openTrade: null });
  const before = candles.slice(0, 300).flatMap((c) => [...first.onCandle(c)]);
  const saved = first.state();
  const position = first.position;

  // Down for 20 candles; the history after the snapshot is replayed on start.
  const second = new LiveStrategy("s1", 1, busyStrategy());
  const openTrade = position === null ? null : {
    signalId: position.signalId,
    tradeId: "t1",
    takeProfit: position.takeProfit,
    stopLoss: position.stopLoss,
  };
  const started = second.start({ saved, history: candles.slice(300, 320), openTrade });
  assert.equal(started.mode, "restored");
  const after = candles.slice(300).flatMap((c) => [...second.onCandle(c)]);
  assert.deepEqual(
    [...before, ...started.signals, ...after].map((s) => s.id),
    all.map((s) => s.id),
  );
  assert.equal(second.onCandle(candles[599]!).length, 0, "a repeated candle is refused");
});

Deno.test("a snapshot of another definition or with a hole before the history is not resumed", () => {
  const first = new LiveStrategy("s1", 1, busyStrategy());
  first.start({ saved: null, history: candles.slice(0, 100), openTrade: null });
  const saved = first.state();
  const changed = new LiveStrategy("s1", 1, busyStrategy({ name: "Renamed" }));
  assert.equal(changed.canResume(saved, candles.slice(100, 110)), false);
  const same = new LiveStrategy("s1", 1, busyStrategy());
  assert.equal(same.canResume(saved, candles.slice(100, 110)), true);
  assert.equal(same.canResume(saved, candles.slice(101, 110)), false, "candle 100 is missing");
  assert.equal(
    same.start({ saved, history: candles.slice(0, 110), openTrade: null }).mode,
    "restored",
  );
  const warmed = new LiveStrategy("s1", 1, busyStrategy());
  assert.equal(
    warmed.start({ saved, history: candles.slice(101, 200), openTrade: null }).mode,
    "warmed_up",
  );
});

Deno.test("order events move the position: a failed entry frees it, a close ends it", () => {
  const live = new LiveStrategy("s1", 1, busyStrategy());
  live.start({ saved: null, history: candles.slice(0, 50), openTrade: null });
  let entry: StrategySignal | undefined;
  for (const c of candles.slice(50)) {
    entry = live.onCandle(c).find((s) => s.action === "ENTRY");
    if (entry) break;
  }
  assert.ok(entry);
  assert.equal(live.position?.signalId, entry.id);
  const base = { v: 1 as const, occurredAt: 0, userId: 1, strategyId: "s1", symbol: "BTCUSDT" };
  live.onOrderEvent({
    ...base,
    id: "f1",
    type: "trade_failed",
    signalId: entry.id,
    action: "ENTRY",
    code: "TRADE_001",
    message: "no cash",
  });
  assert.equal(positionOf(live), null);
  live.onOrderEvent({
    ...base,
    id: "o1",
    type: "trade_opened",
    tradeId: "9",
    signalId: "other:1:ENTRY",
    entryOrderId: "1",
    entryPrice: "100",
    quantity: "1",
    quoteQty: "100",
    fees: "0.1",
    takeProfitPrice: "110",
    stopLossPrice: "90",
    listClientOrderId: null,
  });
  assert.equal(positionOf(live)?.tradeId, "9");
  live.onOrderEvent({
    ...base,
    strategyId: "s2",
    id: "c0",
    type: "trade_closed",
    tradeId: "9",
    status: "CLOSED_TP",
    entryPrice: "100",
    exitPrice: "110",
    quantity: "1",
    pnl: "10",
    fees: "0.2",
  });
  assert.equal(positionOf(live)?.tradeId, "9", "another strategy's event is ignored");
  live.onOrderEvent({
    ...base,
    id: "c1",
    type: "trade_closed",
    tradeId: "9",
    status: "CLOSED_TP",
    entryPrice: "100",
    exitPrice: "110",
    quantity: "1",
    pnl: "10",
    fees: "0.2",
  });
  assert.equal(live.position, null);
});

Deno.test("the fan-out index hands a candle only to its (symbol, interval) strategies", () => {
  const index = new FanoutIndex<string>();
  index.set("1", "BTCUSDT", "1m", "a");
  index.set("2", "BTCUSDT", "1m", "b");
  index.set("3", "ETHUSDT", "1m", "c");
  index.set("4", "BTCUSDT", "1h", "d");
  assert.deepEqual(index.get("BTCUSDT", "1m"), ["a", "b"]);
  assert.deepEqual(index.get("SOLUSDT", "1m"), []);
  index.set("2", "ETHUSDT", "1m", "b2"); // moved
  assert.deepEqual(index.get("BTCUSDT", "1m"), ["a"]);
  assert.deepEqual(index.get("ETHUSDT", "1m"), ["c", "b2"]);
  assert.equal(index.delete("1"), "a");
  assert.deepEqual(index.get("BTCUSDT", "1m"), []);
  assert.equal(index.size, 3);
  assert.equal(index.pairs, 2);
});
