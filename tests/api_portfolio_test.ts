import assert from "node:assert/strict";
import type { AppDeps } from "../app.ts";
import { createTestApp, registerUser, type TestApp, type TestUser } from "./helpers/api.ts";
import { createStrategy } from "../db/strategies.ts";
import { closeTrade, failTrade, insertOpenTrade, setTradeOco } from "../db/trades.ts";
import { upsertKlines } from "../db/klines.ts";
import { LivePrices } from "../services/prices.ts";

const DAY = 86_400_000;
const prices = new LivePrices();
let shared: Promise<TestApp> | null = null;

function app(): Promise<TestApp> {
  shared ??= createTestApp({
    env: { AURA_PAPER_BALANCE_USDT: "10000" },
    overrides: { prices } as Partial<AppDeps>,
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

const RISK = {
  positionSizeUsd: 100,
  takeProfitPercent: 2,
  stopLossPercent: 1,
  maxDrawdownPercent: 20,
};
const RULES = [{ left: { indicator: "RSI", period: 14 }, op: "<", right: { value: 30 } }];

let seq = 0;
/** Opens (and optionally closes) a paper trade directly in the store, as the execution engine would. */
async function trade(
  t: TestApp,
  u: TestUser,
  strategyId: number,
  o: {
    symbol: string;
    entry: string;
    qty: string;
    fee: string;
    at: number;
    close?: {
      status: "CLOSED_TP" | "CLOSED_SL" | "CLOSED_SIGNAL";
      price: string;
      fee: string;
      pnl: string;
      at: number;
    };
  },
): Promise<number> {
  const n = ++seq;
  const rec = await insertOpenTrade(t.db, {
    userId: u.userId,
    strategyId,
    symbol: o.symbol,
    isPaper: true,
    signalId: `${strategyId}:${n}:ENTRY`,
    clientOrderIdEntry: `pt-${n}-${u.userId}`,
    binanceOrderIdEntry: String(1_000_000 + n),
    entryPrice: o.entry,
    quantity: o.qty,
    entryFee: o.fee,
    entryTimestamp: new Date(o.at),
    latency: { candleClose: o.at, signal: o.at + 3, entryAck: o.at + 40 },
  });
  if (o.close) {
    await closeTrade(t.db, rec.id, {
      status: o.close.status,
      exitPrice: o.close.price,
      exitTimestamp: new Date(o.close.at),
      pnl: o.close.pnl,
      exitFee: o.close.fee,
    });
  }
  return rec.id;
}

async function strategy(t: TestApp, u: TestUser, name: string, symbol: string): Promise<number> {
  const s = await createStrategy(t.db, u.userId, {
    name,
    symbol,
    interval: "1h",
    entryConditions: RULES,
    exitConditions: [],
    riskParams: RISK,
  });
  return s.id;
}

const get = async (t: TestApp, u: TestUser, path: string) => {
  const res = await t.app.request(path, { headers: u.headers });
  assert.equal(res.status, 200, `${path}: ${res.status}`);
  return await res.json();
};

/** Ann's book: a BTC win closed today, an ETH loss closed yesterday, an open BTC position. */
async function annsBook(t: TestApp) {
  const ann = await registerUser(t.app);
  const now = t.deps.clock.now();
  const today = Math.floor(now / DAY) * DAY;
  const a = await strategy(t, ann, "BTC dip", "BTCUSDT");
  const b = await strategy(t, ann, "ETH dip", "ETHUSDT");
  // 0.01 BTC bought at 40,000 (fee 0.4), sold at 41,000 (fee 0.41): 410 − 0.41 − 400 − 0.4 = 9.19
  const win = await trade(t, ann, a, {
    symbol: "BTCUSDT",
    entry: "40000",
    qty: "0.01",
    fee: "0.4",
    at: today - DAY,
    close: { status: "CLOSED_TP", price: "41000", fee: "0.41", pnl: "9.19", at: today + 1 },
  });
  // 0.5 ETH bought at 2,000 (fee 1), sold at 1,900 (fee 0.95): 950 − 0.95 − 1000 − 1 = −51.95
  const loss = await trade(t, ann, b, {
    symbol: "ETHUSDT",
    entry: "2000",
    qty: "0.5",
    fee: "1",
    at: today - 2 * DAY,
    close: { status: "CLOSED_SL", price: "1900", fee: "0.95", pnl: "-51.95", at: today - DAY },
  });
  // Open: 0.002 BTC at 42,000 (fee 0.084).
  const open = await trade(t, ann, a, {
    symbol: "BTCUSDT",
    entry: "42000",
    qty: "0.002",
    fee: "0.084",
    at: today,
  });
  await setTradeOco(t.db, open, {
    orderListId: "77",
    listClientOrderId: "oco-1",
    takeProfitPrice: "42840",
    stopLossPrice: "41580",
    stopLimitPrice: "41560",
  });
  return { ann, a, b, win, loss, open };
}

apiTest("[api] GET /portfolio/overview values paper balances at live prices", async (t) => {
  const { ann, a, b } = await annsBook(t);
  prices.update("BTCUSDT", "43000", t.deps.clock.now());
  const o = await get(t, ann, "/api/v1/portfolio/overview");
  // USDT: 10000 + 9.19 − 51.95 − (42000 × 0.002 + 0.084) = 9873.156; BTC 0.002 × 43000 = 86.
  assert.deepEqual(o.holdings, [
    { asset: "USDT", amount: "9873.156", price: "1", value: "9873.156" },
    { asset: "BTC", amount: "0.002", price: "43000", value: "86" },
  ]);
  assert.equal(o.totalValue, "9959.156");
  assert.equal(o.realizedPnl, "-42.76");
  assert.equal(o.unrealizedPnl, "1.916"); // (43000 − 42000) × 0.002 − 0.084
  assert.equal(o.todayPnl, "9.19");
  assert.equal(o.openPositions, 1);
  const byId = Object.fromEntries(
    o.strategies.map((s: { strategyId: number }) => [s.strategyId, s]),
  );
  assert.equal(byId[a].realizedPnl, "9.19");
  assert.equal(byId[a].unrealizedPnl, "1.916");
  assert.equal(byId[a].openTrades, 1);
  assert.equal(byId[b].realizedPnl, "-51.95");
  assert.equal(byId[b].todayPnl, "0");
  assert.equal(byId[b].winRate, 0);
});

apiTest(
  "[api] GET /portfolio/positions shows TP/SL and falls back to the last kline close",
  async (t) => {
    const { ann, a, open } = await annsBook(t);
    prices.update("BTCUSDT", "41000", t.deps.clock.now());
    const sol = await strategy(t, ann, "SOL", "SOLUSDT");
    await trade(t, ann, sol, {
      symbol: "SOLUSDT",
      entry: "150",
      qty: "2",
      fee: "0.3",
      at: t.deps.clock.now(),
    });
    await upsertKlines(t.db, [{
      symbol: "SOLUSDT",
      interval: "1h",
      openTime: 1_700_000_000_000,
      closeTime: 1_700_003_599_999,
      open: "150",
      high: "156",
      low: "149",
      close: "155.5",
      volume: "10",
    }]);
    const { positions } = await get(t, ann, "/api/v1/portfolio/positions");
    assert.equal(positions.length, 2);
    const btc = positions.find((p: { id: number }) => p.id === open);
    assert.equal(btc.strategyId, a);
    assert.equal(btc.price, "41000");
    assert.equal(btc.priceSource, "live");
    assert.equal(btc.unrealizedPnl, "-2.084"); // (41000 − 42000) × 0.002 − 0.084
    assert.equal(btc.takeProfitPrice, "42840");
    assert.equal(btc.stopLossPrice, "41580");
    const solPos = positions.find((p: { symbol: string }) => p.symbol === "SOLUSDT");
    assert.equal(solPos.price, "155.5");
    assert.equal(solPos.priceSource, "kline");
    assert.equal(solPos.unrealizedPnl, "10.7"); // 5.5 × 2 − 0.3
  },
);

apiTest("[api] GET /portfolio/history filters, sorts, pages and totals", async (t) => {
  const { ann, a, b, win, loss } = await annsBook(t);
  const all = await get(t, ann, "/api/v1/portfolio/history");
  assert.equal(all.total, 2);
  assert.equal(all.totalPnl, "-42.76");
  assert.deepEqual(all.trades.map((x: { id: number }) => x.id), [win, loss]); // newest exit first
  const asc = await get(t, ann, "/api/v1/portfolio/history?sort=pnl&order=asc");
  assert.deepEqual(asc.trades.map((x: { id: number }) => x.id), [loss, win]);
  const onlyA = await get(t, ann, `/api/v1/portfolio/history?strategyId=${a}`);
  assert.deepEqual(onlyA.trades.map((x: { id: number }) => x.id), [win]);
  const eth = await get(t, ann, "/api/v1/portfolio/history?symbol=ETHUSDT&status=CLOSED_SL");
  assert.deepEqual(eth.trades.map((x: { strategyId: number }) => x.strategyId), [b]);
  const open = await get(t, ann, "/api/v1/portfolio/history?status=OPEN");
  assert.equal(open.total, 1);
  const page2 = await get(t, ann, "/api/v1/portfolio/history?limit=1&page=2");
  assert.deepEqual(page2.trades.map((x: { id: number }) => x.id), [loss]);
  assert.equal(page2.total, 2);
  const windowed = await get(
    t,
    ann,
    `/api/v1/portfolio/history?from=${
      new Date(Math.floor(t.deps.clock.now() / DAY) * DAY - DAY).toISOString()
    }`,
  );
  assert.deepEqual(windowed.trades.map((x: { id: number }) => x.id), [win]);

  for (
    const [q, path] of [
      ["limit=0", "limit"],
      ["status=LOST", "status"],
      ["from=yesterday", "from"],
      ["sort=id", "sort"],
    ]
  ) {
    const res = await t.app.request(`/api/v1/portfolio/history?${q}`, { headers: ann.headers });
    assert.equal(res.status, 400, q);
    const { error } = await res.json();
    assert.equal(error.code, "API_004");
    assert.ok(error.details.issues.some((i: { path: string }) => i.path === path), q);
  }
});

apiTest("[api] GET /portfolio/history?format=csv exports exact, injection-safe rows", async (t) => {
  const { ann, a, win, loss } = await annsBook(t);
  const bad = await trade(t, ann, a, {
    symbol: "BTCUSDT",
    entry: "40000.123456789",
    qty: "0.00012",
    fee: "0.0048",
    at: 1_700_000_000_000,
  });
  await failTrade(t.db, bad, '=HYPERLINK("http://evil.example","click"), @me');
  const res = await t.app.request("/api/v1/portfolio/history?format=csv&sort=pnl&order=asc", {
    headers: ann.headers,
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/csv/);
  assert.match(
    res.headers.get("content-disposition") ?? "",
    /attachment; filename="aura-trades\.csv"/,
  );
  const lines = (await res.text()).trimEnd().split("\r\n");
  assert.equal(
    lines[0],
    "id,strategyId,symbol,status,paper,entryTime,exitTime,entryPrice,exitPrice,quantity,takeProfitPrice,stopLossPrice,pnl,fees,failureReason",
  );
  assert.equal(lines.length, 4); // header + 3 closed (FAILED counts as not open)
  const rows = lines.slice(1);
  const lossRow = rows.find((r) => r.startsWith(`${loss},`))!;
  assert.match(lossRow, /,2000,1900,0\.5,,,-51\.95,1\.95,$/); // a negative number stays a number
  const winRow = rows.find((r) => r.startsWith(`${win},`))!;
  assert.match(winRow, /,CLOSED_TP,true,/);
  const badRow = rows.find((r) => r.startsWith(`${bad},`))!;
  assert.ok(badRow.includes(",40000.123456789,"), badRow);
  assert.ok(badRow.endsWith(`,"'=HYPERLINK(""http://evil.example"",""click""), @me"`), badRow);
});

apiTest("[api] GET /portfolio/performance reports overall and per-strategy metrics", async (t) => {
  const { ann, a, b } = await annsBook(t);
  const p = await get(t, ann, "/api/v1/portfolio/performance");
  assert.equal(p.overall.trades, 2);
  assert.equal(p.overall.winRate, 0.5);
  assert.equal(p.overall.netPnl, "-42.76");
  assert.equal(p.overall.fees, "2.76"); // 0.4 + 0.41 + 1 + 0.95 (the open trade is not counted)
  assert.equal(p.overall.profitFactor, 9.19 / 51.95);
  // Realized equity: 10000 → 9948.05 (ETH loss closed first) → 9957.24; worst fall 51.95 from 10000.
  assert.equal(p.overall.maxDrawdown, "51.95");
  assert.deepEqual(p.strategies.map((s: { strategyId: number }) => s.strategyId), [a, b]);
  assert.equal(p.strategies[0].netPnl, "9.19");
  assert.equal(p.strategies[1].netPnl, "-51.95");
});

apiTest("[api] GET /trades/:id returns the latency trace and order intents", async (t) => {
  const { ann, open, a } = await annsBook(t);
  const bob = await registerUser(t.app);
  const signalId =
    (await t.db.query<{ signal_id: string }>("SELECT signal_id FROM trades WHERE id = $1", [open]))[
      0
    ]!
      .signal_id;
  await t.db.query(
    `INSERT INTO order_intents (client_order_id, user_id, strategy_id, trade_id, signal_id, kind, status, symbol, is_paper, payload)
     VALUES ('entry-1', $1, $2, NULL, $3, 'ENTRY', 'DONE', 'BTCUSDT', TRUE, $4),
            ('oco-1', $1, $2, $5, $3, 'OCO', 'DONE', 'BTCUSDT', TRUE, $6)`,
    [ann.userId, a, signalId, { quoteOrderQty: "84" }, open, { takeProfit: "42840" }],
  );
  const detail = await get(t, ann, `/api/v1/trades/${open}`);
  assert.equal(detail.id, open);
  assert.equal(detail.latency.entryAck - detail.latency.candleClose, 40);
  assert.deepEqual(detail.intents.map((i: { kind: string }) => i.kind).sort(), ["ENTRY", "OCO"]);
  const other = await t.app.request(`/api/v1/trades/${open}`, { headers: bob.headers });
  assert.equal(other.status, 404);
  assert.equal((await other.json()).error.code, "API_005");
});

apiTest("[api] portfolio endpoints need a session and hide other users' data", async (t) => {
  const { ann } = await annsBook(t);
  for (const path of ["overview", "positions", "history", "history?format=csv", "performance"]) {
    const res = await t.app.request(`/api/v1/portfolio/${path}`);
    assert.equal(res.status, 401, path);
    await res.body?.cancel();
  }
  const anon = await t.app.request("/api/v1/trades/1");
  assert.equal(anon.status, 401);
  await anon.body?.cancel();
  const bob = await registerUser(t.app);
  const o = await get(t, bob, "/api/v1/portfolio/overview");
  assert.equal(o.totalValue, "10000");
  assert.deepEqual(o.strategies, []);
  assert.equal((await get(t, bob, "/api/v1/portfolio/history")).total, 0);
  assert.equal((await get(t, bob, "/api/v1/portfolio/performance")).overall.trades, 0);
  assert.ok(ann.userId !== bob.userId);
});

Deno.test({
  name: "[api] close the portfolio test app",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    if (shared) await (await shared).close();
  },
});
