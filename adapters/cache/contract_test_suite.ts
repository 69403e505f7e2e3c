/**
 * The one contract every {@link Cache} adapter passes. Adapter tests call
 * {@link cacheContractSuite}.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Candle } from "../../engine/candle.ts";
import { isAuraError } from "../../engine/errors.ts";
import type { Cache } from "../../engine/ports/cache.ts";
import { parseStrategy } from "../../engine/strategy/rules.ts";
import { StrategyRunner } from "../../engine/strategy/runner.ts";
import { waitFor } from "../bus/_wait.ts";

/** How to run the suite against one adapter. */
export interface CacheContractOptions {
  /** Adapter name shown in test names, e.g. `"redis"`. */
  name: string;
  /** Creates a fresh, isolated cache and a cleanup run after it was closed. */
  open: () => Promise<{ cache: Cache; cleanup?: () => Promise<void> }>;
  /** Skip every case (e.g. Redis absent). */
  ignore?: boolean;
}

const STRATEGY = parseStrategy({
  name: "contract",
  symbol: "BTCUSDT",
  interval: "1m",
  // Crosses compare with the previous candle, so they only match if the restored state is exact.
  entryConditions: [{
    any: [
      {
        left: { indicator: "EMA", period: 9 },
        op: "crosses_above",
        right: { indicator: "SMA", period: 20 },
      },
      { left: { indicator: "RSI", period: 14 }, op: "crosses_below", right: { value: 40 } },
      {
        left: { indicator: "MACD", output: "histogram" },
        op: "crosses_above",
        right: { value: 0 },
      },
    ],
  }],
  riskParams: {
    positionSizeUsd: 100,
    takeProfitPercent: 2,
    stopLossPercent: 1,
    maxDrawdownPercent: 20,
  },
});

function candles(from: number, count: number): Candle[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const close = 100 + 10 * Math.sin(i / 5) + (i % 7) / 3;
    const openTime = 1_700_000_000_000 + i * 60_000;
    return {
      openTime,
      closeTime: openTime + 59_999,
      open: close - 0.5,
      high: close + 1,
      low: close - 1,
      close,
      volume: 10 + (i % 3),
    };
  });
}

/** Registers the contract tests for one adapter. */
export function cacheContractSuite(options: CacheContractOptions): void {
  const test = (name: string, fn: (cache: Cache) => Promise<void>) =>
    Deno.test({
      name: `[cache:${options.name}] ${name}`,
      ignore: options.ignore ?? false,
      fn: async () => {
        const { cache, cleanup } = await options.open();
        try {
          await fn(cache);
        } finally {
          await cache.close();
          await cleanup?.();
        }
      },
    });

  test("round-trips JSON values and answers null for missing keys", async (cache) => {
    assert.equal(await cache.get("missing"), null);
    const value = { symbol: "BTCUSDT", qty: "0.00123", levels: [1, 2.5], nested: { ok: true } };
    await cache.set("k", value);
    assert.deepEqual(await cache.get("k"), value);
    await cache.set("k", "replaced");
    assert.equal(await cache.get("k"), "replaced");
    await cache.delete("k");
    await cache.delete("k");
    assert.equal(await cache.get("k"), null);
  });

  test("forgets a value after its TTL but keeps one without", async (cache) => {
    await cache.set("short", { v: 1 }, 150);
    await cache.set("long", { v: 2 });
    assert.deepEqual(await cache.get("short"), { v: 1 });
    await waitFor(async () => (await cache.get("short")) === null, "the TTL to pass");
    assert.deepEqual(await cache.get("long"), { v: 2 });
  });

  test("keeps the newest live price and ignores older updates", async (cache) => {
    assert.equal(await cache.getPrice("BTCUSDT"), null);
    await cache.setPrice("BTCUSDT", "64000.12", 2_000);
    await cache.setPrice("BTCUSDT", "63000.00", 1_000);
    assert.deepEqual(await cache.getPrice("BTCUSDT"), {
      symbol: "BTCUSDT",
      price: "64000.12",
      timestamp: 2_000,
    });
    await cache.setPrice("BTCUSDT", "64100.5", 3_000);
    await cache.setPrice("ETHUSDT", "3000.1", 3_000);
    assert.equal((await cache.getPrice("BTCUSDT"))?.price, "64100.5");
    assert.equal((await cache.getPrice("ETHUSDT"))?.price, "3000.1");
  });

  test("restores a runner's state so it continues exactly as the original", async (cache) => {
    const original = new StrategyRunner(STRATEGY, { strategyId: "7" });
    original.warmUp(candles(0, 60));
    const snapshot = original.snapshot();
    await cache.saveStrategyState("7", { snapshot, lastUpdate: snapshot.lastCloseTime });
    assert.equal(await cache.loadStrategyState("8"), null);
    const loaded = await cache.loadStrategyState("7");
    assert.ok(loaded);
    assert.equal(loaded.strategyId, "7");
    assert.deepEqual(loaded.snapshot, snapshot);
    const resumed = new StrategyRunner(STRATEGY, { strategyId: "7" });
    resumed.restore(loaded.snapshot);
    const next = candles(60, 40);
    const expected = next.map((c) => original.evaluate(c));
    assert.ok(expected.some((bits) => bits !== 0), "the strategy signals on these candles");
    assert.deepEqual(next.map((c) => resumed.evaluate(c)), expected);
  });

  test("closes idempotently and refuses use afterwards", async (cache) => {
    await cache.close();
    await cache.close();
    await assert.rejects(cache.get("k"), (e) => isAuraError(e, "SYS_002"));
    await assert.rejects(cache.setPrice("BTCUSDT", "1", 1), (e) => isAuraError(e, "SYS_002"));
  });
}
