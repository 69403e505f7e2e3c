import assert from "node:assert/strict";
import { computePerformance } from "../services/performance.ts";

// Five trades worked out by hand, starting from 1,000 USDT of equity:
//   pnl      notional  return    equity    peak   drawdown
//   10       100       0.10      1010      1010   0
//   -5       100      -0.05      1005      1010   5
//   -15.5    100      -0.155      989.5    1010   20.5   <- worst (2.0297% of 1010)
//   20.25    100       0.2025    1009.75   1010   0.25
//   0        100       0         1009.75   1010   0.25
const TRADES = [
  { pnl: "10", fees: "0.2", entryPrice: "100", quantity: "1" },
  { pnl: "-5", fees: "0.2", entryPrice: "100", quantity: "1" },
  { pnl: "-15.5", fees: "0.3", entryPrice: "200", quantity: "0.5" },
  { pnl: "20.25", fees: "0.25", entryPrice: "50", quantity: "2" },
  { pnl: "0", fees: "0.1", entryPrice: "100", quantity: "1" },
];

Deno.test("computePerformance matches hand-computed metrics", () => {
  const p = computePerformance(TRADES, "1000");
  assert.equal(p.trades, 5);
  assert.equal(p.winningTrades, 2);
  assert.equal(p.losingTrades, 3); // a zero P&L trade is not a win
  assert.equal(p.winRate, 0.4);
  assert.equal(p.grossProfit, "30.25");
  assert.equal(p.grossLoss, "-20.5");
  assert.equal(p.netPnl, "9.75");
  assert.equal(p.fees, "1.05");
  assert.equal(p.profitFactor, 30.25 / 20.5);
  assert.equal(p.maxDrawdown, "20.5");
  assert.ok(Math.abs(p.maxDrawdownPercent - 20.5 / 1010 * 100) < 1e-12);
  // Returns 0.1, -0.05, -0.155, 0.2025, 0: mean 0.0195; squared deviations sum to 0.07563.
  assert.ok(Math.abs(p.sharpeRatio! - 0.0195 / Math.sqrt(0.07563 / 4)) < 1e-12);
  assert.ok(Math.abs(p.sharpeRatio! - 0.1418135) < 1e-6);
});

Deno.test("computePerformance sums money exactly where floats would drift", () => {
  const tenths = Array.from({ length: 10 }, () => ({
    pnl: "0.1",
    fees: "0.0000000001",
    entryPrice: "10",
    quantity: "1",
  }));
  const p = computePerformance(tenths, "100");
  assert.equal(p.netPnl, "1"); // 0.1 added ten times in floats is 0.9999999999999999
  assert.equal(p.fees, "0"); // 1e-9 rounds to 0 at 8 decimals
  assert.equal(p.profitFactor, null); // no losing trade
  assert.equal(p.sharpeRatio, null); // identical returns: no variation
  assert.equal(p.maxDrawdown, "0");
});

Deno.test("computePerformance of no trades is all zeros and nulls", () => {
  const p = computePerformance([], "1000");
  assert.deepEqual(p, {
    trades: 0,
    winningTrades: 0,
    losingTrades: 0,
    winRate: 0,
    grossProfit: "0",
    grossLoss: "0",
    netPnl: "0",
    fees: "0",
    profitFactor: null,
    maxDrawdown: "0",
    maxDrawdownPercent: 0,
    sharpeRatio: null,
  });
});
