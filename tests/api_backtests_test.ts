import assert from "node:assert/strict";
import { createTestApp, registerUser, type TestApp, type TestUser } from "./helpers/api.ts";
import { strategyServicesFor } from "../routes/api/strategies.ts";
import { upsertKlines } from "../db/klines.ts";
import { type KlineData, toCandle } from "../engine/candle.ts";
import { runBacktest } from "../engine/backtest/backtest.ts";
import { parseKlinesCsv } from "../engine/backtest/csv.ts";
import { parseStrategy } from "../engine/strategy/rules.ts";
import { toDecimalString } from "../engine/orders/decimal.ts";
import type { BacktestReport } from "../engine/backtest/report.ts";
import { importKlinesCsv } from "../services/market_data.ts";
import type { UserEvent } from "../services/events.ts";

const HOUR = 3_600_000;
const START = Date.UTC(2024, 0, 1);

const BODY = {
  name: "RSI swing",
  symbol: "BTCUSDT",
  interval: "1h",
  entryConditions: [{ left: { indicator: "RSI", period: 14 }, op: "<", right: { value: 35 } }],
  exitConditions: [{ left: { indicator: "RSI", period: 14 }, op: ">", right: { value: 65 } }],
  riskParams: {
    positionSizeUsd: 500,
    takeProfitPercent: 3,
    stopLossPercent: 2,
    maxDrawdownPercent: 50,
  },
};

// Binance's BTCUSDT filters, written out here rather than read through the code under test.
const BTC_FILTERS = { stepSize: "0.00001", tickSize: "0.01", minQty: "0.00001", minNotional: "5" };

/** `n` hourly candles: a slow wave plus deterministic noise, decimal strings with 2 places. */
function generate(n: number, start = START): KlineData[] {
  let seed = 42;
  const rnd = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const out: KlineData[] = [];
  let prev = 40_000;
  for (let i = 0; i < n; i++) {
    const close = 40_000 + 2_000 * Math.sin(i / 15) + 600 * (rnd() - 0.5);
    const high = Math.max(prev, close) + 150 * rnd();
    const low = Math.min(prev, close) - 150 * rnd();
    out.push({
      symbol: "BTCUSDT",
      interval: "1h",
      openTime: start + i * HOUR,
      closeTime: start + (i + 1) * HOUR - 1,
      open: prev.toFixed(2),
      high: high.toFixed(2),
      low: low.toFixed(2),
      close: close.toFixed(2),
      volume: (10 + 5 * rnd()).toFixed(4),
    });
    prev = Number(close.toFixed(2));
  }
  return out;
}

// The exchange REST API stand-in: it has no candles at all, so any gap stays a gap.
const rest = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => Response.json([]));
let shared: Promise<TestApp> | null = null;

function app(): Promise<TestApp> {
  shared ??= createTestApp({
    env: { BINANCE_REST_URL: `http://127.0.0.1:${rest.addr.port}` },
  });
  return shared;
}

function apiTest(name: string, fn: (t: TestApp) => Promise<void>): void {
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => fn(await app()),
  });
}

const post = (u: TestUser, body: unknown): RequestInit => ({
  method: "POST",
  headers: u.headers,
  body: JSON.stringify(body),
});

async function createStrategy(t: TestApp, u: TestUser, body: unknown = BODY): Promise<number> {
  const res = await t.app.request("/api/v1/strategies", post(u, body));
  assert.equal(res.status, 201);
  return (await res.json()).id;
}

/** Polls the job until it is done or failed (deadline 60 s). */
async function waitForJob(
  t: TestApp,
  u: TestUser,
  jobId: string,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const res = await t.app.request(`/api/v1/backtests/jobs/${jobId}`, { headers: u.headers });
    assert.equal(res.status, 200);
    const job = await res.json();
    if (job.status === "done" || job.status === "failed") return job;
    await strategyServicesFor(t.deps).backtests.idle();
  }
  throw new Error(`job ${jobId} did not finish in time`);
}

/** Asserts a stored result equals a report computed directly by the engine. */
function assertSameResult(stored: Record<string, unknown>, direct: BacktestReport): void {
  const d = (x: number) => toDecimalString(x, 10);
  assert.equal(stored.totalTrades, direct.totalTrades);
  assert.equal(stored.winningTrades, direct.winningTrades);
  assert.equal(stored.losingTrades, direct.losingTrades);
  assert.equal(stored.totalPnl, d(direct.totalPnl));
  assert.ok(Math.abs((stored.maxDrawdown as number) - direct.maxDrawdown) < 1e-4);
  assert.ok(Math.abs((stored.sharpeRatio as number) - direct.sharpeRatio) < 1e-4);
  assert.ok(Math.abs((stored.winRate as number) - direct.winRate) < 1e-4);
  assert.equal(stored.candles, direct.candles);
  assert.deepEqual(
    stored.trades,
    direct.trades.map((x) => ({
      entryTime: x.entryTime,
      entryPrice: d(x.entryPrice),
      exitTime: x.exitTime,
      exitPrice: d(x.exitPrice),
      quantity: d(x.quantity),
      status: x.status,
      pnl: d(x.pnl),
      fees: d(x.fees),
    })),
  );
  const curve = stored.equityCurve as { time: number; equity: number }[];
  assert.ok(curve.length <= 1000 && curve.length > 1);
  const n = direct.equityCurve.time.length;
  assert.deepEqual(curve[0], {
    time: direct.equityCurve.time[0],
    equity: direct.equityCurve.equity[0],
  });
  assert.deepEqual(curve.at(-1), {
    time: direct.equityCurve.time[n - 1],
    equity: direct.equityCurve.equity[n - 1],
  });
}

apiTest("[api] a backtest runs as a job and stores what runBacktest computes", async (t) => {
  const ann = await registerUser(t.app);
  const klines = generate(1_500);
  await upsertKlines(t.db, klines);
  const id = await createStrategy(t, ann);
  const events: UserEvent[] = [];
  const off = t.deps.events.subscribe(ann.userId, (e) => events.push(e));
  const res = await t.app.request(
    `/api/v1/strategies/${id}/backtest`,
    post(ann, {
      from: new Date(START).toISOString(),
      to: new Date(START + 1_500 * HOUR).toISOString(),
    }),
  );
  assert.equal(res.status, 202);
  const { jobId } = await res.json();
  const job = await waitForJob(t, ann, jobId);
  off();
  assert.equal(job.status, "done", JSON.stringify(job.error));
  assert.equal(job.progress, 1);

  const progress = events.filter((e) => e.type === "backtest_progress").map((e) =>
    e.data.progress as number
  );
  assert.ok(progress.length >= 10);
  assert.deepEqual(progress, [...progress].sort((a, b) => a - b));
  const done = events.find((e) => e.type === "backtest_done");
  assert.equal(done?.data.backtestId, job.resultId);

  const direct = runBacktest(parseStrategy(BODY), klines.map(toCandle), {
    feeRate: 0.001,
    slippageBps: 0,
    initialBalance: 10_000,
    filters: BTC_FILTERS,
    strategyId: String(id),
  });
  assert.ok(direct.totalTrades >= 3, `the fixture should trade (got ${direct.totalTrades})`);
  const stored =
    await (await t.app.request(`/api/v1/backtests/${job.resultId}`, { headers: ann.headers }))
      .json();
  assertSameResult(stored, direct);
  assert.equal(stored.startDate, new Date(START).toISOString());

  const list =
    await (await t.app.request(`/api/v1/strategies/${id}/backtests`, { headers: ann.headers }))
      .json();
  assert.deepEqual(list.backtests.map((b: { id: number }) => b.id), [job.resultId]);
  assert.equal(list.backtests[0].trades, undefined); // summaries only

  const strategy = await (await t.app.request(`/api/v1/strategies/${id}`, { headers: ann.headers }))
    .json();
  assert.equal(strategy.figures.lastBacktest.id, job.resultId);

  const chart = await (
    await t.app.request(`/api/v1/backtests/${job.resultId}/candles?maxPoints=500`, {
      headers: ann.headers,
    })
  ).json();
  assert.equal(chart.candlesPerBar, 3);
  assert.equal(chart.bars.length, 500);
  assert.equal(chart.indicators["RSI:14"].length, 500);
  assert.equal(chart.indicators["RSI:14"][0], null); // warm-up
  assert.equal(chart.markers.length, 2 * direct.totalTrades);
  assert.equal(chart.bars[0].open, Number(klines[0]!.open));
  assert.equal(chart.bars[0].high, Math.max(...klines.slice(0, 3).map((k) => Number(k.high))));
  const full =
    await (await t.app.request(`/api/v1/backtests/${job.resultId}/candles?maxPoints=5000`, {
      headers: ann.headers,
    })).json();
  assert.equal(full.bars.length, 1_500);
  assert.equal(full.markers[0].price, d10(direct.trades[0]!.entryPrice));
});

const d10 = (x: number) => toDecimalString(x, 10);

apiTest("[api] a backtest over a range without candles fails with STRATEGY_003", async (t) => {
  const ann = await registerUser(t.app);
  const id = await createStrategy(t, ann, { ...BODY, symbol: "ETHUSDT" });
  const res = await t.app.request(
    `/api/v1/strategies/${id}/backtest`,
    post(ann, { from: "2020-01-01", to: "2020-01-05" }),
  );
  assert.equal(res.status, 202);
  const job = await waitForJob(t, ann, (await res.json()).jobId);
  assert.equal(job.status, "failed");
  const error = job.error as { code: string; message: string };
  assert.equal(error.code, "STRATEGY_003");
  assert.match(error.message, /no candles/);
});

apiTest("[api] backtest requests are validated with paths", async (t) => {
  const ann = await registerUser(t.app);
  const id = await createStrategy(t, ann);
  const cases: [unknown, string][] = [
    [{ from: "yesterday", to: "2024-01-02" }, "from"],
    [{ from: "2024-01-01", to: "2024-01-02", fee: -1 }, "fee"],
    [{ from: "2024-01-01", to: "2024-01-02", slippageBps: "5" }, "slippageBps"],
    [{ from: "2024-01-02", to: "2024-01-01" }, "to"],
    [{ from: "2000-01-01", to: "2100-01-01" }, "to"], // far above 400k hourly candles
    [{ from: "2024-01-01", to: "2024-01-02", extra: true }, "(root)"], // unknown key "extra"
  ];
  for (const [body, path] of cases) {
    const res = await t.app.request(`/api/v1/strategies/${id}/backtest`, post(ann, body));
    assert.equal(res.status, 400, JSON.stringify(body));
    const { error } = await res.json();
    assert.equal(error.code, "API_004");
    assert.ok(
      error.details.issues.some((i: { path: string }) => i.path === path),
      JSON.stringify(error),
    );
  }
});

apiTest("[api] another user's backtests and jobs answer 404", async (t) => {
  const ann = await registerUser(t.app);
  const bob = await registerUser(t.app);
  await upsertKlines(t.db, generate(200));
  const id = await createStrategy(t, ann);
  const res = await t.app.request(
    `/api/v1/strategies/${id}/backtest`,
    post(ann, {
      from: new Date(START).toISOString(),
      to: new Date(START + 200 * HOUR).toISOString(),
    }),
  );
  const { jobId } = await res.json();
  const job = await waitForJob(t, ann, jobId);
  assert.equal(job.status, "done");
  for (
    const path of [
      `/api/v1/backtests/jobs/${jobId}`,
      `/api/v1/backtests/${job.resultId}`,
      `/api/v1/backtests/${job.resultId}/candles`,
      `/api/v1/strategies/${id}/backtests`,
      "/api/v1/backtests/jobs/not-a-uuid",
    ]
  ) {
    const r = await t.app.request(path, { headers: bob.headers });
    assert.equal(r.status, 404, path);
    assert.equal((await r.json()).error.code, "API_005");
  }
});

const KLINES_DIR = new URL("../../shared/data/klines/", import.meta.url);
const REAL = new URL("BTCUSDT-1h-2022-01.csv", KLINES_DIR);
const hasRealData = (() => {
  try {
    return Deno.statSync(REAL).isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "[api] a backtest on real BTCUSDT 1h data (January 2022) equals runBacktest on the CSV",
  ignore: !hasRealData,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const t = await app();
    const ann = await registerUser(t.app);
    const imported = await importKlinesCsv(t.db, REAL, "BTCUSDT", "1h");
    assert.equal(imported, 744);
    const id = await createStrategy(t, ann);
    const res = await t.app.request(
      `/api/v1/strategies/${id}/backtest`,
      post(ann, { from: "2022-01-01", to: "2022-02-01", slippageBps: 2 }),
    );
    const job = await waitForJob(t, ann, (await res.json()).jobId);
    assert.equal(job.status, "done", JSON.stringify(job.error));
    const series = parseKlinesCsv(await Deno.readTextFile(REAL));
    const direct = runBacktest(parseStrategy(BODY), series, {
      feeRate: 0.001,
      slippageBps: 2,
      initialBalance: 10_000,
      filters: BTC_FILTERS,
      strategyId: String(id),
    });
    const stored =
      await (await t.app.request(`/api/v1/backtests/${job.resultId}`, { headers: ann.headers }))
        .json();
    assertSameResult(stored, direct);
    assert.equal(stored.candles, 744);
  },
});

Deno.test({
  name: "[api] close the backtest test app",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    if (shared) {
      const t = await shared;
      await strategyServicesFor(t.deps).backtests.idle();
      await t.close();
    }
    await rest.shutdown();
  },
});
