import assert from "node:assert/strict";
import { Rsi, rsi } from "./mod.ts";
import { assertSeries, CLOSES } from "./_test_table.ts";

Deno.test("rsi() matches Wilder's smoothing on the 10-close table", () => {
  // Changes i1..i9: +1 +1 -1 -1 +2 +2 -1 +2 +1.
  // i3 seed: avgGain = (1+1+0)/3 = 2/3, avgLoss = 1/3 -> 100 * (2/3) / 1
  // i4 (-1): gain (2/3*2 + 0)/3 = 4/9, loss (1/3*2 + 1)/3 = 5/9 -> 400/9
  // i5 (+2): gain (4/9*2 + 2)/3 = 26/27, loss 10/27 -> 100 * 26/36
  // i6 (+2): gain 106/81, loss 20/81 -> 100 * 106/126
  // i7 (-1): gain 212/243, loss 121/243 -> 100 * 212/333
  // i8 (+2): gain 910/729, loss 242/729 -> 100 * 910/1152
  // i9 (+1): gain 2549/2187, loss 484/2187 -> 100 * 2549/3033
  assertSeries(rsi(CLOSES, 3), [
    null,
    null,
    null,
    200 / 3,
    400 / 9,
    (100 * 26) / 36,
    (100 * 106) / 126,
    (100 * 212) / 333,
    (100 * 910) / 1152,
    (100 * 2549) / 3033,
  ]);
});

Deno.test("rsi() gives 100 without losses and 0 without any movement, as TA-Lib", () => {
  const rising = [1, 2, 3, 4, 5, 6, 7, 8];
  const falling = [8, 7, 6, 5, 4, 3, 2, 1];
  const flat = [5, 5, 5, 5, 5, 5, 5, 5];
  assertSeries(rsi(rising, 3), [null, null, null, 100, 100, 100, 100, 100]);
  assertSeries(rsi(falling, 3), [null, null, null, 0, 0, 0, 0, 0]);
  assertSeries(rsi(flat, 3), [null, null, null, 0, 0, 0, 0, 0]);
  // A coin quoted at 1e-6 still gets a real RSI (TA-Lib 0.6's 1e-8 band gave 0).
  const tiny = [1e-6, 1.1e-6, 1e-6, 1.2e-6, 1.1e-6];
  const value = rsi(tiny, 3)[4]!;
  assert.ok(value > 0 && value < 100, `${value}`);
});

Deno.test("Rsi.replace redoes the last change from the close before it", () => {
  const near = (actual: number, expected: number) =>
    assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} != ${expected}`);
  const indicator = new Rsi(3);
  for (const close of [10, 11, 12]) assert.ok(Number.isNaN(indicator.update(close)));
  near(indicator.update(20), 100); // +1 +1 +8: no loss
  near(indicator.replace(11), 200 / 3); // +1 +1 -1: the table's i3
  near(indicator.update(10), 400 / 9); // the table's i4
  // +5 from 11: gain (2/3 * 2 + 5) / 3 = 19/9, loss (1/3 * 2) / 3 = 2/9.
  near(indicator.replace(16), (100 * 19) / 21);
  near(indicator.replace(10), 400 / 9);
  assert.equal(indicator.lookback, 3);
});
