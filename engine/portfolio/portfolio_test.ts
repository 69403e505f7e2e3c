import assert from "node:assert/strict";
import { DrawdownBreaker, maxDrawdownPercent } from "./drawdown.ts";
import { downsampleEquity } from "./equity.ts";
import { candlesPerYear, sharpeRatio } from "./sharpe.ts";

Deno.test("maxDrawdownPercent is the largest fall from a running peak", () => {
  assert.equal(maxDrawdownPercent([100, 120, 90, 130, 117]), 25);
  assert.equal(maxDrawdownPercent([100, 101, 102]), 0);
  assert.equal(maxDrawdownPercent([]), 0);
});

Deno.test("DrawdownBreaker trips when the drawdown reaches the limit and stays tripped", () => {
  const b = new DrawdownBreaker(10);
  assert.equal(b.update(1000), false);
  assert.equal(b.update(901), false);
  assert.equal(b.update(900), true); // exactly 10%
  assert.equal(b.update(2000), true);
  assert.equal(b.peak, 2000);
  const copy = new DrawdownBreaker(10);
  copy.restore(JSON.parse(JSON.stringify(b.snapshot())));
  assert.equal(copy.halted, true);
  b.reset();
  assert.equal(b.halted, false);
  assert.equal(b.update(1), false);
});

Deno.test("sharpeRatio is mean/sample-stdev of per-candle returns times sqrt(periods)", () => {
  const equity = [100, 110, 99, 108.9];
  const returns = [0.1, -0.1, 0.1];
  const mean = returns.reduce((a, b) => a + b) / 3;
  const sd = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / 2);
  const expected = (mean / sd) * Math.sqrt(8760);
  assert.ok(Math.abs(sharpeRatio(equity, candlesPerYear("1h")) - expected) < 1e-9);
  assert.equal(sharpeRatio([100, 100, 100], 8760), 0);
  assert.equal(sharpeRatio([100], 8760), 0);
  assert.equal(candlesPerYear("1m"), 525_600);
  assert.throws(() => candlesPerYear("7m"));
});

Deno.test("downsampleEquity keeps the ends and each bucket's low", () => {
  const n = 1000;
  const time = Float64Array.from({ length: n }, (_, i) => i);
  const equity = Float64Array.from({ length: n }, (_, i) => (i === 500 ? 1 : 100 + i));
  const points = downsampleEquity({ time, equity }, 50);
  assert.equal(points.length, 50);
  assert.deepEqual(points[0], { time: 0, equity: 100 });
  assert.deepEqual(points.at(-1), { time: 999, equity: 1099 });
  assert.ok(points.some((p) => p.equity === 1));
  assert.equal(downsampleEquity({ time, equity }, 5000).length, n);
});
