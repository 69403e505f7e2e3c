import assert from "node:assert/strict";
import type { KlineData } from "../candle.ts";
import { ClosedCandleTracker } from "./tracker.ts";
import { klineAnomaly } from "./validate.ts";

const MINUTE = 60_000;

function kline(i: number, close = "100", extra: Partial<KlineData> = {}): KlineData {
  return {
    symbol: "BTCUSDT",
    interval: "1m",
    openTime: i * MINUTE,
    closeTime: (i + 1) * MINUTE - 1,
    open: close,
    high: String(Number(close) + 1),
    low: String(Number(close) - 1),
    close,
    volume: "3.5",
    ...extra,
  };
}

Deno.test("klineAnomaly accepts a sound candle", () => {
  assert.equal(klineAnomaly(kline(1), kline(0), 20), null);
});

Deno.test("klineAnomaly flags NaN, zero and negative prices", () => {
  assert.equal(klineAnomaly(kline(1, "100", { open: "NaN" }), null, 20)?.kind, "invalid_value");
  assert.equal(klineAnomaly(kline(1, "100", { low: "0" }), null, 20)?.kind, "invalid_value");
  assert.equal(klineAnomaly(kline(1, "100", { volume: "-1" }), null, 20)?.kind, "invalid_value");
});

Deno.test("klineAnomaly flags high below low and a close outside the range", () => {
  const inverted = kline(1, "100", { high: "90", low: "110" });
  assert.equal(klineAnomaly(inverted, null, 20)?.kind, "high_below_low");
  assert.equal(klineAnomaly(kline(1, "100", { close: "150" }), null, 20)?.kind, "outside_range");
});

Deno.test("klineAnomaly flags times that do not span one interval", () => {
  assert.equal(
    klineAnomaly(kline(1, "100", { closeTime: 2 * MINUTE }), null, 20)?.kind,
    "bad_times",
  );
  assert.equal(klineAnomaly(kline(1, "100", { openTime: 1 }), null, 20)?.kind, "bad_times");
});

Deno.test("klineAnomaly flags a close that jumped beyond the threshold either way", () => {
  assert.equal(klineAnomaly(kline(1, "125"), kline(0, "100"), 20)?.kind, "price_jump");
  assert.equal(klineAnomaly(kline(1, "79"), kline(0, "100"), 20)?.kind, "price_jump");
  assert.equal(klineAnomaly(kline(1, "119"), kline(0, "100"), 20), null);
});

Deno.test("the tracker passes each open time once and refuses older ones", () => {
  const tracker = new ClosedCandleTracker(20);
  assert.equal(tracker.admit(kline(1)).verdict, "publish");
  assert.equal(tracker.admit(kline(1)).verdict, "duplicate");
  assert.equal(tracker.admit(kline(2)).verdict, "publish");
  assert.deepEqual(tracker.admit(kline(0)), { verdict: "out_of_order", lastOpenTime: 2 * MINUTE });
  assert.equal(tracker.lastOpenTime("BTCUSDT", "1m"), 2 * MINUTE);
});

Deno.test("the tracker reports the gap before a candle that skips ahead", () => {
  const tracker = new ClosedCandleTracker(20);
  assert.equal(tracker.gapBefore(kline(5)), null, "a new stream has no gap");
  tracker.admit(kline(5));
  assert.equal(tracker.gapBefore(kline(6)), null);
  assert.deepEqual(tracker.gapBefore(kline(9)), [6 * MINUTE, 9 * MINUTE]);
});

Deno.test("a malformed candle does not advance the stream, a corrected copy passes", () => {
  const tracker = new ClosedCandleTracker(20);
  tracker.admit(kline(1));
  assert.equal(tracker.admit(kline(2, "100", { high: "1", low: "2" })).verdict, "anomaly");
  assert.equal(tracker.admit(kline(2)).verdict, "publish");
});

Deno.test("a price jump is withheld once and becomes the new reference", () => {
  const tracker = new ClosedCandleTracker(20);
  tracker.admit(kline(1, "100"));
  const jump = tracker.admit(kline(2, "200"));
  assert.equal(jump.verdict, "anomaly");
  assert.equal(jump.verdict === "anomaly" && jump.anomaly.kind, "price_jump");
  assert.equal(tracker.admit(kline(2, "200")).verdict, "duplicate", "not asked for again");
  assert.equal(tracker.admit(kline(3, "201")).verdict, "publish");
});
