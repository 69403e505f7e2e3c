/**
 * Test helpers: a seeded random-walk candle series and a strategy that trades
 * often, shared by the live-strategy unit tests and the pipeline tests.
 *
 * @module
 */

import type { Candle } from "../candle.ts";
import { parseStrategy, type StrategyDefinition } from "../strategy/rules.ts";

/** `n` 1m candles of a seeded random walk starting at `startTime` (aligned). */
export function walkCandles(n: number, seed = 7, startTime = Date.UTC(2025, 0, 1)): Candle[] {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  const out: Candle[] = [];
  let price = 60_000;
  for (let i = 0; i < n; i++) {
    const open = price;
    const close = Math.round(open * (1 + (random() - 0.5) * 0.006) * 100) / 100;
    const high = Math.round(Math.max(open, close) * (1 + random() * 0.002) * 100) / 100;
    const low = Math.round(Math.min(open, close) * (1 - random() * 0.002) * 100) / 100;
    const openTime = startTime + i * 60_000;
    out.push({ openTime, closeTime: openTime + 59_999, open, high, low, close, volume: 1 + i % 5 });
    price = close;
  }
  return out;
}

/** A strategy on BTCUSDT 1m that enters and exits often (EMA cross, RSI exit, tight TP/SL). */
export function busyStrategy(overrides: Partial<Record<string, unknown>> = {}): StrategyDefinition {
  return parseStrategy({
    name: "Busy EMA cross",
    symbol: "BTCUSDT",
    interval: "1m",
    entryConditions: [{
      left: { indicator: "EMA", period: 3 },
      op: "crosses_above",
      right: { indicator: "EMA", period: 8 },
    }],
    exitConditions: [{ left: { indicator: "RSI", period: 5 }, op: ">", right: { value: 75 } }],
    riskParams: {
      positionSizeUsd: 100,
      takeProfitPercent: 0.4,
      stopLossPercent: 0.3,
      maxDrawdownPercent: 90,
    },
    ...overrides,
  });
}
