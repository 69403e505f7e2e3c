import assert from "node:assert/strict";
import { parseStrategy, type StrategyDefinition } from "../strategy/rules.ts";
import { closeTimeOf, type Row, table } from "./_table.ts";
import { runBacktest } from "./backtest.ts";
import type { BacktestOptions, BacktestReport } from "./report.ts";

const price = { indicator: "PRICE" };
/** Enters when the close crosses above 99. */
const CROSS_99 = { left: price, op: "crosses_above", right: { value: 99 } };
/** Holds whenever the close is above 99 (so re-entry is possible right after an exit). */
const ABOVE_99 = { left: price, op: ">", right: { value: 99 } };

function strategy(
  entry: unknown[],
  exit: unknown[] = [],
  risk: Partial<StrategyDefinition["riskParams"]> = {},
): StrategyDefinition {
  return parseStrategy({
    name: "table",
    symbol: "BTCUSDT",
    interval: "1m",
    entryConditions: entry,
    exitConditions: exit,
    riskParams: {
      positionSizeUsd: 1000,
      takeProfitPercent: 10,
      stopLossPercent: 5,
      maxDrawdownPercent: 100,
      ...risk,
    },
  });
}

/** Entry at 100 on candle 1 (qty 10, TP 110, SL 95), then `rows`. */
function afterEntry(...rows: Row[]): Row[] {
  return [[98, 98, 98, 98], [98, 100, 98, 100], ...rows];
}

function run(def: StrategyDefinition, rows: Row[], options: BacktestOptions = {}): BacktestReport {
  return runBacktest(def, table(rows), { feeRate: 0, ...options });
}

function near(actual: number, expected: number, what = "value") {
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} != ${expected}`);
}

Deno.test("take-profit hit: exits at the TP level", () => {
  const r = run(strategy([CROSS_99]), afterEntry([101, 112, 100, 105]));
  assert.equal(r.totalTrades, 1);
  const t = r.trades[0]!;
  assert.equal(t.status, "CLOSED_TP");
  assert.equal(t.entryTime, closeTimeOf(1));
  assert.equal(t.exitTime, closeTimeOf(2));
  assert.equal(t.entryPrice, 100);
  near(t.exitPrice, 110);
  near(t.quantity, 10);
  near(t.pnl, 100);
  assert.equal(r.winningTrades, 1);
  assert.equal(r.winRate, 1);
  assert.equal(r.openPosition, null);
});

Deno.test("stop-loss hit: exits at the SL level", () => {
  const r = run(strategy([CROSS_99]), afterEntry([100, 101, 94, 96]));
  assert.equal(r.trades[0]!.status, "CLOSED_SL");
  near(r.trades[0]!.exitPrice, 95);
  near(r.totalPnl, -50);
  assert.equal(r.losingTrades, 1);
  assert.equal(r.winRate, 0);
});

Deno.test("TP and SL both inside one candle: the stop-loss wins", () => {
  const r = run(strategy([CROSS_99]), afterEntry([100, 111, 94, 105]));
  assert.equal(r.trades[0]!.status, "CLOSED_SL");
  near(r.trades[0]!.exitPrice, 95);
});

Deno.test("a gap through the stop-loss fills at the open", () => {
  const r = run(strategy([CROSS_99]), afterEntry([90, 92, 88, 91]));
  assert.equal(r.trades[0]!.status, "CLOSED_SL");
  assert.equal(r.trades[0]!.exitPrice, 90);
  near(r.totalPnl, -100);
});

Deno.test("a gap through the take-profit fills at the open", () => {
  const r = run(strategy([CROSS_99]), afterEntry([115, 118, 114, 116]));
  assert.equal(r.trades[0]!.status, "CLOSED_TP");
  assert.equal(r.trades[0]!.exitPrice, 115);
  near(r.totalPnl, 150);
});

Deno.test("TP/SL are not checked on the entry candle itself", () => {
  // The entry candle's own range (low 90) would hit the SL; the position opens at its close.
  const r = run(strategy([CROSS_99]), [[98, 98, 98, 98], [98, 100, 90, 100], [100, 101, 99, 100]]);
  assert.equal(r.totalTrades, 0);
  assert.equal(r.openPosition?.entryTime, closeTimeOf(1));
});

Deno.test("an exit signal sells at the close", () => {
  const exit = [{ left: price, op: "<", right: { value: 97 } }];
  const r = run(strategy([CROSS_99], exit), afterEntry([100, 101, 96, 96.5], [96, 120, 80, 100]));
  assert.equal(r.totalTrades, 1);
  const t = r.trades[0]!;
  assert.equal(t.status, "CLOSED_SIGNAL");
  assert.equal(t.exitPrice, 96.5);
  assert.equal(t.exitTime, closeTimeOf(2));
  near(t.pnl, -35);
});

Deno.test("re-entry happens at the close of the candle where the previous position closed", () => {
  const r = run(strategy([ABOVE_99]), afterEntry([101, 112, 100, 105], [105, 106, 104, 105]));
  assert.equal(r.totalTrades, 1);
  assert.equal(r.trades[0]!.status, "CLOSED_TP");
  assert.equal(r.openPosition?.entryTime, closeTimeOf(2));
  assert.equal(r.openPosition?.entryPrice, 105);
  near(r.openPosition!.takeProfit, 115.5);
});

Deno.test("an exit signal and a re-entry can share a candle's close", () => {
  const entry = [{ any: [ABOVE_99, { left: price, op: "<", right: { value: 0 } }] }];
  const exit = [{ left: price, op: "crosses_above", right: { value: 103 } }];
  const r = run(strategy(entry, exit), afterEntry([100, 104.5, 99.5, 104]));
  assert.equal(r.trades[0]!.status, "CLOSED_SIGNAL");
  assert.equal(r.trades[0]!.exitPrice, 104);
  assert.equal(r.openPosition?.entryTime, closeTimeOf(2));
  assert.equal(r.openPosition?.entryPrice, 104);
});

Deno.test("one position at a time: entries while in a position are ignored", () => {
  const r = run(strategy([ABOVE_99]), afterEntry([100, 101, 99.5, 100], [100, 101, 99.5, 100]));
  assert.equal(r.totalTrades, 0);
  assert.equal(r.openPosition?.entryTime, closeTimeOf(1));
  near(r.finalCash, 9000);
});

Deno.test("the drawdown breaker halts new entries", () => {
  // SL loses 50 of 10,000 = 0.5%; with a 0.4% limit the re-entry at that close is refused.
  const rows = afterEntry([100, 101, 94, 100], [100, 101, 99.5, 100.5]);
  const halted = run(strategy([ABOVE_99], [], { maxDrawdownPercent: 0.4 }), rows);
  assert.equal(halted.totalTrades, 1);
  assert.equal(halted.openPosition, null);
  assert.equal(halted.haltedAt, closeTimeOf(2));
  const free = run(strategy([ABOVE_99], [], { maxDrawdownPercent: 1 }), rows);
  assert.equal(free.haltedAt, null);
  assert.equal(free.openPosition?.entryTime, closeTimeOf(2));
});

Deno.test("fees are charged per side on each fill's notional", () => {
  const r = run(strategy([CROSS_99]), afterEntry([101, 112, 100, 105]), { feeRate: 0.001 });
  const t = r.trades[0]!;
  near(t.fees, 1 + 1.1, "fees");
  near(t.pnl, 100 - 2.1, "pnl");
  near(r.totalPnl, 97.9, "totalPnl");
  near(r.finalEquity, 10_097.9, "equity");
  // Default fee rate is 0.001.
  near(runBacktest(strategy([CROSS_99]), table(afterEntry([101, 112, 100, 105]))).totalPnl, 97.9);
});

Deno.test("slippage moves market fills against the taker; TP/SL fill at their price", () => {
  const exit = [{ left: price, op: "<", right: { value: 97 } }];
  const signal = run(strategy([CROSS_99], exit), afterEntry([100, 101, 96, 96.5]), {
    slippageBps: 10,
  });
  const t = signal.trades[0]!;
  near(t.entryPrice, 100.1, "entry");
  near(t.quantity, 1000 / 100.1, "quantity");
  near(t.exitPrice, 96.5 * 0.999, "exit");
  const tp = run(strategy([CROSS_99]), afterEntry([101, 112, 100, 105]), { slippageBps: 10 });
  near(tp.trades[0]!.exitPrice, 100.1 * 1.1, "tp");
});

Deno.test("an entry needs cash for notional plus fee", () => {
  const rows = afterEntry([101, 112, 100, 105]);
  const poor = runBacktest(strategy([CROSS_99]), table(rows), { initialBalance: 1000.5 });
  assert.equal(poor.totalTrades, 0);
  assert.equal(poor.openPosition, null);
  assert.equal(poor.insufficientCashEntries, 1);
  const enough = runBacktest(strategy([CROSS_99]), table(rows), { initialBalance: 1001 });
  assert.equal(enough.totalTrades, 1);
});

Deno.test("exchange filters floor the quantity to stepSize and round TP/SL to tickSize", () => {
  const rows: Row[] = [[98, 98, 98, 98], [98, 101, 98, 101], [101, 101.5, 100.5, 101]];
  const r = run(strategy([CROSS_99]), rows, { filters: { stepSize: "0.001", tickSize: "0.5" } });
  assert.equal(r.openPosition?.quantity, 9.9); // 9.90099… floored
  assert.equal(r.openPosition?.takeProfit, 111); // 111.1 → 111
  assert.equal(r.openPosition?.stopLoss, 96); // 95.95 → 96
  const tooSmall = run(strategy([CROSS_99]), rows, { filters: { minNotional: "5000" } });
  assert.equal(tooSmall.openPosition, null);
  assert.equal(tooSmall.filteredEntries, 1);
});

Deno.test("equity is cash plus the position marked at the close, every candle", () => {
  const r = run(strategy([CROSS_99]), afterEntry([100, 104, 99, 103], [103, 104, 94, 96]));
  assert.deepEqual(Array.from(r.equityCurve.equity), [10_000, 10_000, 10_030, 9_950]);
  assert.deepEqual(Array.from(r.equityCurve.time), [0, 1, 2, 3].map(closeTimeOf));
  near(r.maxDrawdown, (10_030 - 9_950) / 10_030 * 100, "maxDrawdown");
  assert.ok(r.sharpeRatio < 0);
});

Deno.test("a position still open at the end is not a trade", () => {
  const r = run(strategy([CROSS_99]), afterEntry([100, 104, 99, 103]));
  assert.equal(r.totalTrades, 0);
  assert.equal(r.totalPnl, 0);
  near(r.finalEquity, 10_030);
  assert.equal(r.openPosition?.quantity, 10);
});

Deno.test("onProgress is called at most ~100 times and ends at 1", () => {
  const rows: Row[] = Array.from({ length: 1234 }, (_, i) => {
    const p = 100 + Math.sin(i / 10) * 5;
    return [p, p + 1, p - 1, p];
  });
  const seen: number[] = [];
  run(strategy([CROSS_99]), rows, { onProgress: (f) => seen.push(f) });
  assert.ok(seen.length <= 101 && seen.length >= 50, `${seen.length} calls`);
  assert.equal(seen.at(-1), 1);
  assert.ok(seen.every((f, i) => i === 0 || f > seen[i - 1]!));
});

Deno.test("runBacktest refuses no candles, unordered candles and bad options with STRATEGY_003", () => {
  const code = (fn: () => unknown) =>
    assert.throws(fn, (e: unknown) => (e as { code?: string }).code === "STRATEGY_003");
  code(() => runBacktest(strategy([CROSS_99]), []));
  const rows = table(afterEntry());
  code(() => runBacktest(strategy([CROSS_99]), rows, { feeRate: -0.1 }));
  code(() => runBacktest(strategy([CROSS_99]), rows, { slippageBps: Number.NaN }));
  code(() => runBacktest(strategy([CROSS_99]), rows, { initialBalance: 0 }));
  code(() => runBacktest(strategy([CROSS_99]), [rows[1]!, rows[0]!]));
  code(() => runBacktest(strategy([CROSS_99]), [rows[0]!, rows[0]!]));
});
