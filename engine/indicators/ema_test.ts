import assert from "node:assert/strict";
import { Ema, ema } from "./mod.ts";
import { assertSeries, CLOSES } from "./_test_table.ts";

Deno.test("ema() matches TA-Lib seeding on the 10-close table", () => {
  // EMA(3), k = 2 / 4 = 0.5, seeded at i2 with SMA(10, 11, 12) = 11, then
  // prev + (x - prev) * k: i3 11, i4 10.5, i5 11.25, i6 12.625, i7 12.8125,
  // i8 13.90625, i9 14.953125 (all exact in binary).
  assertSeries(ema(CLOSES, 3), [
    null,
    null,
    11,
    11,
    10.5,
    11.25,
    12.625,
    12.8125,
    13.90625,
    14.953125,
  ]);
  // EMA(4), k = 0.4, seed at i3 = (10 + 11 + 12 + 11) / 4 = 11;
  // i4 = 11 + (10 - 11) * 0.4 = 10.6; i5 = 10.6 + (12 - 10.6) * 0.4 = 11.16.
  assertSeries(ema(CLOSES, 4).subarray(0, 6), [null, null, null, 11, 10.6, 11.16]);
});

Deno.test("ema() is not seeded with the first value (the Metastock convention)", () => {
  // A first-value seed would give 10.5 at i1 and 11.25 at i2.
  const values = ema(CLOSES, 3);
  assert.ok(Number.isNaN(values[1]!));
  assert.equal(values[2], 11);
});

Deno.test("ema(1) follows every input", () => {
  assertSeries(ema(CLOSES, 1), CLOSES);
});

Deno.test("Ema.replace during warm-up and after both redo the last step", () => {
  const indicator = new Ema(3);
  indicator.update(10);
  indicator.update(11);
  assert.equal(indicator.update(99), (10 + 11 + 99) / 3);
  assert.equal(indicator.replace(12), 11); // seed recomputed from the replaced value
  assert.equal(indicator.update(20), 15.5);
  assert.equal(indicator.replace(11), 11); // back to the table's value
  assert.equal(indicator.k, 0.5);
});
