import assert from "node:assert/strict";
import { buildChart } from "../services/_backtest_chart.ts";
import { backtestFilters, storedTrades } from "../services/backtests.ts";
import { parseStrategy } from "../engine/strategy/rules.ts";
import type { Candle } from "../engine/candle.ts";
import type { BacktestReport } from "../engine/backtest/report.ts";

const definition = parseStrategy({
  name: "chart",
  symbol: "BTCUSDT",
  interval: "1m",
  entryConditions: [{
    any: [
      { left: { indicator: "SMA", period: 2 }, op: ">", right: { indicator: "PRICE" } },
      {
        left: { indicator: "MACD", fast: 2, slow: 3, signal: 2, output: "histogram" },
        op: ">",
        right: { value: 0 },
      },
    ],
  }],
  exitConditions: [{ left: { indicator: "SMA", period: 2 }, op: "<", right: { value: 5 } }],
  riskParams: {
    positionSizeUsd: 10,
    takeProfitPercent: 1,
    stopLossPercent: 1,
    maxDrawdownPercent: 50,
  },
});

// Ten one-minute candles, close = 1..10.
const candles: Candle[] = Array.from({ length: 10 }, (_, i) => ({
  openTime: i * 60_000,
  closeTime: (i + 1) * 60_000 - 1,
  open: i + 0.5,
  high: i + 2,
  low: i,
  close: i + 1,
  volume: 1,
}));

Deno.test("buildChart keeps every candle and the strategy's indicator lines when under the limit", () => {
  const chart = buildChart(definition, candles, [], 100);
  assert.equal(chart.candlesPerBar, 1);
  assert.equal(chart.bars.length, 10);
  assert.deepEqual(Object.keys(chart.indicators).sort(), [
    "MACD:2:3:2.histogram",
    "MACD:2:3:2.macd",
    "MACD:2:3:2.signal",
    "SMA:2",
  ]);
  // SMA(2) of 1..10: NaN, 1.5, 2.5, ...
  assert.deepEqual(chart.indicators["SMA:2"], [null, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5]);
});

Deno.test("buildChart merges candles into buckets and snaps markers to their bucket", () => {
  const trades = [{
    entryTime: candles[4]!.closeTime,
    entryPrice: "5",
    exitTime: candles[7]!.closeTime,
    exitPrice: "8.1",
    status: "CLOSED_TP",
  }];
  const chart = buildChart(definition, candles, trades, 4);
  assert.equal(chart.candlesPerBar, 3); // ceil(10 / 4)
  assert.deepEqual(chart.bars.map((b) => b.time), [0, 180_000, 360_000, 540_000]);
  // Bucket 2 holds candles 3..5: open of the first, highest high, lowest low, last close.
  assert.deepEqual(chart.bars[1], { time: 180_000, open: 3.5, high: 7, low: 3, close: 6 });
  assert.deepEqual(chart.bars[3], { time: 540_000, open: 9.5, high: 11, low: 9, close: 10 });
  // Indicators are read at each bucket's last candle: SMA(2) at candles 2, 5, 8, 9.
  assert.deepEqual(chart.indicators["SMA:2"], [2.5, 5.5, 8.5, 9.5]);
  assert.deepEqual(chart.markers, [
    { time: 180_000, kind: "entry", price: "5" },
    { time: 360_000, kind: "exit", price: "8.1", status: "CLOSED_TP" },
  ]);
});

Deno.test("backtest results store money as decimal strings", () => {
  const report = {
    trades: [{
      entryTime: 1,
      entryPrice: 0.1 + 0.2,
      exitTime: 2,
      exitPrice: 101.23456789012345,
      quantity: 0.00012,
      status: "CLOSED_SIGNAL",
      pnl: -0.000123456789012,
      fees: 0.0002,
    }],
  } as unknown as BacktestReport;
  assert.deepEqual(storedTrades(report), [{
    entryTime: 1,
    entryPrice: "0.3",
    exitTime: 2,
    exitPrice: "101.2345678901",
    quantity: "0.00012",
    status: "CLOSED_SIGNAL",
    pnl: "-0.0001234568", // 10 decimals, rounded half up
    fees: "0.0002",
  }]);
});

Deno.test("backtests apply Binance's filters of known symbols and none for others", () => {
  assert.deepEqual(backtestFilters("BTCUSDT"), {
    stepSize: "0.00001",
    tickSize: "0.01",
    minQty: "0.00001",
    minNotional: "5",
  });
  assert.deepEqual(backtestFilters("DOGEUSDT"), {});
});
