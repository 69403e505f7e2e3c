import assert from "node:assert/strict";
import { parseStrategy } from "../strategy/rules.ts";
import { StrategyRunner } from "../strategy/runner.ts";
import { runBacktest } from "./backtest.ts";
import { parseKlinesCsv } from "./csv.ts";
import { candleAt } from "./series.ts";

// The shared real klines live beside the repository; tests skip without them.
const DATA = new URL("../../../shared/data/klines/", import.meta.url);

async function readKlines(name: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(new URL(name, DATA));
  } catch {
    return null;
  }
}

const h1 = await readKlines("BTCUSDT-1h-2017-08_2024-03.csv");

const strategy = parseStrategy({
  name: "EMA cross + RSI, MACD exit",
  symbol: "BTCUSDT",
  interval: "1h",
  entryConditions: [
    {
      left: { indicator: "EMA", period: 12 },
      op: "crosses_above",
      right: { indicator: "EMA", period: 26 },
    },
    { left: { indicator: "RSI", period: 14 }, op: "<", right: { value: 70 } },
  ],
  exitConditions: [{
    left: { indicator: "MACD", output: "histogram" },
    op: "crosses_below",
    right: { value: 0 },
  }],
  riskParams: {
    positionSizeUsd: 1000,
    takeProfitPercent: 4,
    stopLossPercent: 2,
    maxDrawdownPercent: 50,
  },
});

Deno.test({
  name: "[real data] BTCUSDT 1h backtest: equity reconciles with trades, positions never overlap",
  ignore: h1 === null,
  fn() {
    const series = parseKlinesCsv(h1!);
    assert.equal(series.length, 57_924);
    const opts = { feeRate: 0.001, slippageBps: 2, initialBalance: 10_000 };
    const r = runBacktest(strategy, series, opts);
    assert.ok(r.totalTrades > 100, `${r.totalTrades} trades`);
    assert.equal(r.winningTrades + r.losingTrades, r.totalTrades);

    // Cash reconciles: initial + Σ pnl − the open position's cost.
    const open = r.openPosition;
    const openCost = open ? open.quantity * open.entryPrice + open.entryFee : 0;
    const pnl = r.trades.reduce((a, t) => a + t.pnl, 0);
    assert.ok(Math.abs(r.totalPnl - pnl) < 1e-6);
    assert.ok(Math.abs(r.finalCash - (10_000 + pnl - openCost)) < 1e-6);
    const lastClose = series.close[series.length - 1]!;
    const marked = r.finalCash + (open ? open.quantity * lastClose : 0);
    assert.ok(Math.abs(r.finalEquity - marked) < 1e-6);

    // Trades are ordered, never overlap, and each obeys its own levels.
    let previousExit = -Infinity;
    for (const t of r.trades) {
      assert.ok(t.entryTime >= previousExit, "overlapping positions");
      assert.ok(t.exitTime > t.entryTime);
      previousExit = t.exitTime;
      assert.ok(Math.abs(t.quantity * t.entryPrice - 1000) < 1e-6);
      const feeRecomputed = 0.001 * t.quantity * (t.entryPrice + t.exitPrice);
      assert.ok(Math.abs(t.fees - feeRecomputed) < 1e-9);
      const move = t.exitPrice / t.entryPrice - 1;
      if (t.status === "CLOSED_TP") assert.ok(move >= 0.04 - 1e-12, `TP move ${move}`);
      if (t.status === "CLOSED_SL") assert.ok(move <= -0.02 + 1e-12, `SL move ${move}`);
    }
    if (open) assert.ok(open.entryTime >= previousExit);
    assert.ok(r.maxDrawdown >= 0 && r.maxDrawdown < 100);
    assert.ok(Number.isFinite(r.sharpeRatio));
    assert.equal(r.equityCurve.equity.length, series.length);
  },
});

Deno.test({
  name: "[real data] the backtest's entries are exactly the live runner's ENTRY signals",
  ignore: h1 === null,
  fn() {
    const series = parseKlinesCsv(h1!);
    const n = 5000;
    const report = runBacktest(strategy, candlesOf(series, n), { feeRate: 0 });
    // Drive the runner the way a live worker would, reporting the backtest's fills.
    const runner = new StrategyRunner(strategy, { strategyId: "live" });
    const exits = new Set(report.trades.map((t) => t.exitTime));
    const entries: number[] = [];
    for (let i = 0; i < n; i++) {
      const c = candleAt(series, i);
      if (exits.has(c.closeTime) && runner.inPosition) runner.onExitFilled();
      for (const s of runner.step(c)) {
        if (s.action === "EXIT") runner.onExitFilled();
        if (s.action === "ENTRY") {
          entries.push(s.candleCloseTime);
          runner.onEntryFilled();
        }
      }
    }
    const expected = report.trades.map((t) => t.entryTime);
    if (report.openPosition) expected.push(report.openPosition.entryTime);
    assert.deepEqual(entries, expected);
  },
});

function candlesOf(series: ReturnType<typeof parseKlinesCsv>, n: number) {
  return Array.from({ length: n }, (_, i) => candleAt(series, i));
}
