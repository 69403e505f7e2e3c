import assert from "node:assert/strict";
import { Sma, sma } from "./mod.ts";
import { assertSeries, CLOSES } from "./_test_table.ts";

Deno.test("sma() of the 10-close table matches the hand computation", () => {
  // SMA(3): i2 (10+11+12)/3 = 11; i3 (11+12+11)/3 = 34/3; i4 (12+11+10)/3 = 11;
  // i5 (11+10+12)/3 = 11; i6 (10+12+14)/3 = 12; i7 (12+14+13)/3 = 13;
  // i8 (14+13+15)/3 = 14; i9 (13+15+16)/3 = 44/3.
  assertSeries(sma(CLOSES, 3), [null, null, 11, 34 / 3, 11, 11, 12, 13, 14, 44 / 3]);
  // SMA(1) is the input itself; SMA(10) is the mean of all: 124 / 10.
  assertSeries(sma(CLOSES, 1), CLOSES);
  assertSeries(sma(CLOSES, 10), [...Array(9).fill(null), 12.4]);
  // Longer than the input: nothing defined.
  assertSeries(sma(CLOSES, 11), Array(10).fill(null));
});

Deno.test("Sma.replace moves only the open candle inside the window", () => {
  const indicator = new Sma(3);
  for (const close of [10, 11, 12]) indicator.update(close);
  assert.equal(indicator.replace(15), 12); // (10 + 11 + 15) / 3
  assert.equal(indicator.update(9), (11 + 15 + 9) / 3);
  assert.equal(indicator.replace(12), (11 + 15 + 12) / 3);
});

Deno.test("Sma does not drift over a million replaces of large, uneven values", () => {
  // A plain running total loses the small values next to 1e12; the compensated
  // one keeps the window exact enough to recover them.
  const indicator = new Sma(4);
  const window = [1e12, 0.1, -1e12, 0.2];
  for (const value of window) indicator.update(value);
  let state = 1;
  for (let i = 0; i < 1_000_000; i++) {
    state = (state * 48_271) % 2_147_483_647;
    indicator.replace((state / 2_147_483_647) * 1e9);
  }
  indicator.replace(0.2);
  assert.ok(Math.abs(indicator.value - 0.075) < 1e-12, `${indicator.value}`);
  // And a long run of updates: the window of the last four values, exactly.
  for (let i = 0; i < 1_000_000; i++) indicator.update(i % 2 === 0 ? 1e11 + 0.3 : -1e11);
  for (const value of [1.5, 2.5, 3.5, 4.5]) indicator.update(value);
  assert.equal(indicator.value, 3);
});
