import assert from "node:assert/strict";
import { dbSuite } from "./helpers/db.ts";
import { listKlines, upsertKlines } from "../db/klines.ts";
import { ManualClock } from "../engine/clock.ts";
import { isAuraError } from "../engine/errors.ts";
import type { KlineData } from "../engine/candle.ts";
import { importKlinesCsv, MarketData, missingRanges } from "../services/market_data.ts";
import { startSimulator } from "../sim/server.ts";

const MIN = 60_000;
const START = Date.UTC(2024, 4, 1);

/** Binance's kline array for minute `i` (prices exact, with Binance's 8 decimals). */
function row(i: number): unknown[] {
  const open = 100 + (i % 50) / 10;
  const close = open + 0.05;
  return [
    START + i * MIN,
    open.toFixed(8),
    (close + 0.1).toFixed(8),
    (open - 0.1).toFixed(8),
    close.toFixed(8),
    "1.50000000",
    START + (i + 1) * MIN - 1,
    "150.0",
    10,
    "0.7",
    "70.0",
    "0",
  ];
}

/**
 * A stand-in for Binance's GET /api/v3/klines serving 3,000 minutes from
 * START (startTime/endTime/limit as Binance reads them); counts its calls.
 */
function fakeExchange(total = 3_000, corrupt = false) {
  const calls: URLSearchParams[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const q = new URL(req.url).searchParams;
    calls.push(q);
    const start = Number(q.get("startTime"));
    const end = Number(q.get("endTime"));
    const limit = Number(q.get("limit"));
    const out: unknown[] = [];
    for (
      let i = Math.max(0, Math.ceil((start - START) / MIN));
      i < total && out.length < limit;
      i++
    ) {
      if (START + i * MIN > end) break;
      const r = row(i);
      if (corrupt && i === 5) r[3] = "-1";
      out.push(r);
    }
    return Response.json(out);
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, calls, close: () => server.shutdown() };
}

Deno.test("missingRanges finds the holes of a cached range", () => {
  const k = (t: number) => ({ openTime: t }) as KlineData;
  assert.deepEqual(missingRanges([], 0, 300, 60), [[0, 300]]);
  assert.deepEqual(missingRanges([k(0), k(60), k(180)], 0, 300, 60), [[120, 180], [240, 300]]);
  assert.deepEqual(missingRanges([k(0), k(60)], 0, 120, 60), []);
  assert.deepEqual(missingRanges([k(60)], 30, 120, 60), []); // from rounds up to the grid
});

const suite = dbSuite(["pglite"]);

suite.test("getHistory fetches missing ranges in pages of 1,000 and caches only closed candles", async (db) => {
  const ex = fakeExchange();
  try {
    // "Now" is inside minute 2,500: that candle is still open and must not be cached.
    const clock = new ManualClock(START + 2_500 * MIN + 30_000);
    const md = new MarketData({ db, clock, restUrl: ex.url });
    // Pre-cache minutes 1,000–1,099 so the request has two gaps around them.
    await upsertKlines(db, Array.from({ length: 100 }, (_, j) => toKline(row(1_000 + j))));
    const got = await md.getHistory("BTCUSDT", "1m", START, START + 3_000 * MIN);
    assert.equal(got.length, 2_500);
    assert.equal(got[0]!.openTime, START);
    assert.equal(got.at(-1)!.openTime, START + 2_499 * MIN);
    assert.equal(got[7]!.close, (100 + 0.7 + 0.05).toFixed(8).replace(/0+$/, ""));
    // Two gaps: minutes 0–999 (one page) and 1,100–2,500 (two pages).
    assert.ok(ex.calls.length <= 4, `calls: ${ex.calls.length}`);
    assert.ok(ex.calls.every((q) => q.get("limit") === "1000" && q.get("symbol") === "BTCUSDT"));
    const calls = ex.calls.length;
    const again = await md.getHistory("BTCUSDT", "1m", START, START + 2_500 * MIN);
    assert.equal(again.length, 2_500);
    assert.equal(ex.calls.length, calls, "a fully cached range costs no REST call");
  } finally {
    await ex.close();
  }
});

suite.test("getHistory refuses malformed exchange rows with STRATEGY_003", async (db) => {
  const ex = fakeExchange(100, true);
  try {
    const md = new MarketData({ db, clock: new ManualClock(START + 1_000 * MIN), restUrl: ex.url });
    await assert.rejects(
      md.getHistory("ETHUSDT", "1m", START, START + 100 * MIN),
      (e) => isAuraError(e, "STRATEGY_003") && /row 5/.test(e.message),
    );
    assert.equal((await listKlines(db, "ETHUSDT", "1m", 0, 8_000_000_000_000)).length, 0);
  } finally {
    await ex.close();
  }
});

suite.test("getHistory reports an unreachable exchange as STRATEGY_003", async (db) => {
  const ex = fakeExchange();
  await ex.close();
  const md = new MarketData({ db, clock: new ManualClock(START + 10 * MIN), restUrl: ex.url });
  await assert.rejects(
    md.getHistory("BTCUSDT", "1m", START, START + 5 * MIN),
    (e) => isAuraError(e, "STRATEGY_003") && /Cannot load "BTCUSDT" 1m klines/.test(e.message),
  );
});

const REAL = new URL("../../shared/data/klines/BTCUSDT-1h-2022-01.csv", import.meta.url);
let hasReal = false;
try {
  hasReal = Deno.statSync(REAL).isFile;
} catch { /* absent: skipped */ }

suite.test("importKlinesCsv seeds the cache with the CSV's exact decimals", async (db) => {
  if (!hasReal) return;
  const n = await importKlinesCsv(db, REAL, "BTCUSDT", "1h");
  assert.equal(n, 744);
  const rows = await listKlines(db, "BTCUSDT", "1h", 0, 8_000_000_000_000);
  assert.equal(rows.length, 744);
  assert.deepEqual(rows[0], {
    symbol: "BTCUSDT",
    interval: "1h",
    openTime: 1640995200000,
    closeTime: 1640998799999,
    open: "46216.93",
    high: "46731.39",
    low: "46208.37",
    close: "46656.13",
    volume: "1503.33095",
  });
});

suite.test("getHistory reads klines from the Binance simulator's REST API", async (db) => {
  const sim = await startSimulator({ port: 0 });
  try {
    for (let i = 0; i < 2_500; i++) {
      const open = (60_000 + i).toFixed(2);
      const close = (60_000 + i + 0.5).toFixed(2);
      sim.pushCandle("BTCUSDT", {
        openTime: START + i * MIN,
        closeTime: START + (i + 1) * MIN - 1,
        open,
        high: (60_001 + i).toFixed(2),
        low: (59_999 + i).toFixed(2),
        close,
        volume: "2.5",
      });
    }
    const md = new MarketData({
      db,
      clock: new ManualClock(START + 2_500 * MIN),
      restUrl: sim.url,
    });
    const got = await md.getHistory("BTCUSDT", "1m", START, START + 2_500 * MIN);
    assert.equal(got.length, 2_500);
    assert.deepEqual(got[1_234], {
      symbol: "BTCUSDT",
      interval: "1m",
      openTime: START + 1_234 * MIN,
      closeTime: START + 1_235 * MIN - 1,
      open: "61234",
      high: "61235",
      low: "61233",
      close: "61234.5",
      volume: "2.5",
    });
    const calls = sim.requestLog.filter((r) => JSON.stringify(r).includes("/api/v3/klines")).length;
    assert.equal(calls, 3); // 1,000 + 1,000 + 500
  } finally {
    await sim.close();
  }
});

suite.end();

function toKline(r: unknown[]): KlineData {
  return {
    symbol: "BTCUSDT",
    interval: "1m",
    openTime: r[0] as number,
    closeTime: r[6] as number,
    open: r[1] as string,
    high: r[2] as string,
    low: r[3] as string,
    close: r[4] as string,
    volume: r[5] as string,
  };
}
