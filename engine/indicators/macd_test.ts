import assert from "node:assert/strict";
import { isAuraError } from "../errors.ts";
import { Macd, macd } from "./mod.ts";
import { assertSeries, CLOSES } from "./_test_table.ts";

Deno.test("macd() seeds the fast EMA on the window ending at slow - 1, as TA_MACD", () => {
  // MACD(2, 3, 2) on the 10-close table.
  // Slow EMA(3), k = 1/2, from i0: 11 (i2), 11 (i3), 10.5 (i4), 11.25 (i5).
  // Fast EMA(2), k = 2/3, starts at input 3 - 2 = 1: seed mean(11, 12) = 23/2 at i2,
  //   i3 = 23/2 + (11 - 23/2) * 2/3 = 67/6, i4 = 187/18, i5 = 619/54.
  // MACD line: i2 1/2, i3 1/6, i4 -1/9, i5 23/108.
  // Signal EMA(2) of the line, seeded at i3 with mean(1/2, 1/6) = 1/3;
  //   i4 = 1/3 + (-1/9 - 1/3) * 2/3 = 1/27, i5 = 1/27 + (23/108 - 1/27) * 2/3 = 25/162.
  // Lookback = (3 - 1) + (2 - 1) = 3: all outputs start at i3.
  const { macd: line, signal, histogram } = macd(CLOSES.slice(0, 6), 2, 3, 2);
  assertSeries(line, [null, null, null, 1 / 6, -1 / 9, 23 / 108]);
  assertSeries(signal, [null, null, null, 1 / 3, 1 / 27, 25 / 162]);
  assertSeries(histogram, [null, null, null, 1 / 6 - 1 / 3, -1 / 9 - 1 / 27, 19 / 324]);
});

Deno.test("macd(12, 26, 9) starts all three outputs at index 33", () => {
  const closes = Array.from({ length: 60 }, (_, i) => 100 + Math.sin(i / 3) * 5 + i * 0.1);
  const result = macd(closes, 12, 26, 9);
  for (const series of [result.macd, result.signal, result.histogram]) {
    assert.ok(Number.isNaN(series[32]!));
    assert.ok(Number.isFinite(series[33]!));
    assert.equal(series.findIndex((v) => !Number.isNaN(v)), 33);
  }
  assert.equal(new Macd(12, 26, 9).lookback, 33);
});

Deno.test("macd() swaps a fast period longer than the slow one, as TA-Lib", () => {
  const closes = Array.from({ length: 80 }, (_, i) => 50 + ((i * 37) % 11));
  const normal = macd(closes, 12, 26, 9);
  const swapped = macd(closes, 26, 12, 9);
  assert.deepEqual(swapped, normal);
  const indicator = new Macd(26, 12, 9);
  assert.equal(indicator.fastPeriod, 12);
  assert.equal(indicator.slowPeriod, 26);
});

Deno.test("Macd getters agree: value is the line, histogram is line minus signal", () => {
  const indicator = new Macd(2, 3, 2);
  for (const close of CLOSES) indicator.update(close);
  assert.equal(indicator.value, indicator.macd);
  assert.equal(indicator.histogram, indicator.macd - indicator.signal);
  indicator.reset();
  indicator.update(10);
  assert.ok(Number.isNaN(indicator.macd) && Number.isNaN(indicator.signal));
  assert.ok(Number.isNaN(indicator.histogram) && Number.isNaN(indicator.value));
});

Deno.test("Macd.restore refuses inner EMA states that do not fit its count", () => {
  const source = new Macd(2, 3, 2);
  for (const close of CLOSES) source.update(close);
  const snapshot = JSON.parse(JSON.stringify(source.snapshot()));
  const target = new Macd(2, 3, 2);
  assert.throws(
    () => target.restore({ ...snapshot, count: snapshot.count + 1 }),
    (e) => isAuraError(e, "SYS_002"),
  );
  assert.equal(target.count, 0);
  target.restore(snapshot);
  assert.equal(target.macd, source.macd);
});
