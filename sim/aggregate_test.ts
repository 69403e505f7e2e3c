import assert from "node:assert/strict";
import { CandleAggregator } from "./aggregate.ts";
import type { SimCandle } from "./market.ts";

const HOUR = 3_600_000;

function minute(i: number, open: string, high: string, low: string, close: string): SimCandle {
  const openTime = Date.UTC(2025, 0, 1) + i * 60_000;
  return { openTime, closeTime: openTime + 59_999, open, high, low, close, volume: "1.5" };
}

Deno.test("CandleAggregator rolls 1m candles into a closed 5m candle with exact OHLCV", () => {
  const agg = new CandleAggregator();
  const out = [
    minute(0, "100", "101", "99", "100.5"),
    minute(1, "100.5", "103", "100", "102"),
    minute(2, "102", "102.5", "98.25", "99"),
    minute(3, "99", "100", "99", "99.5"),
  ].flatMap((c) => agg.add("BTCUSDT", "1m", c));
  assert.deepEqual(out.map((d) => d.interval), ["3m"]);
  const closed = agg.add("BTCUSDT", "1m", minute(4, "99.5", "100", "99.1", "99.9"));
  const five = closed.find((d) => d.interval === "5m");
  assert.deepEqual(five?.candle, {
    openTime: Date.UTC(2025, 0, 1),
    closeTime: Date.UTC(2025, 0, 1) + 300_000 - 1,
    open: "100",
    high: "103",
    low: "98.25",
    close: "99.9",
    volume: "7.5",
  });
  assert.deepEqual(closed.map((d) => d.interval), ["5m"]);
});

Deno.test("CandleAggregator closes an hour whose last minute is missing when the next hour starts", () => {
  const agg = new CandleAggregator();
  for (let i = 0; i < 59; i++) agg.add("BTCUSDT", "1m", minute(i, "1", "2", "0.5", "1"));
  const next = agg.add("BTCUSDT", "1m", minute(60, "1", "1", "1", "1"));
  const hour = next.find((d) => d.interval === "1h");
  assert.equal(hour?.candle.openTime, Date.UTC(2025, 0, 1));
  assert.equal(hour?.candle.closeTime, Date.UTC(2025, 0, 1) + HOUR - 1);
  assert.equal(hour?.candle.volume, "88.5");
});

Deno.test("CandleAggregator never derives an interval that is pushed directly", () => {
  const agg = new CandleAggregator();
  agg.add("BTCUSDT", "5m", {
    ...minute(0, "1", "1", "1", "1"),
    closeTime: Date.UTC(2025, 0, 1) + 299_999,
  });
  for (let i = 0; i < 5; i++) {
    assert.ok(
      !agg.add("BTCUSDT", "1m", minute(i, "1", "1", "1", "1")).some((d) => d.interval === "5m"),
    );
  }
  // 5m is no longer the finest pushed interval, so it derives nothing either.
  assert.deepEqual(
    agg.add("BTCUSDT", "5m", {
      ...minute(5, "1", "1", "1", "1"),
      closeTime: Date.UTC(2025, 0, 1) + 599_999,
    }),
    [],
  );
});
