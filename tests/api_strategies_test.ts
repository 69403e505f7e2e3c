import assert from "node:assert/strict";
import type { AppDeps } from "../app.ts";
import { createTestApp, registerUser, type TestApp } from "./helpers/api.ts";
import { closeTrade, insertOpenTrade } from "../db/trades.ts";
import { setTradingMode } from "../db/users.ts";
import type { UserEvent } from "../services/events.ts";

// A valid strategy body.
const BODY = {
  name: "RSI dip",
  symbol: "BTCUSDT",
  interval: "1h",
  entryConditions: [{ left: { indicator: "RSI", period: 14 }, op: "<", right: { value: 30 } }],
  exitConditions: [{ left: { indicator: "RSI", period: 14 }, op: ">", right: { value: 70 } }],
  riskParams: {
    positionSizeUsd: 100,
    takeProfitPercent: 2,
    stopLossPercent: 1,
    maxDrawdownPercent: 20,
  },
};

const changed: number[] = [];
let shared: Promise<TestApp> | null = null;

function app(): Promise<TestApp> {
  const engine = { onStrategyChanged: (id: number) => void changed.push(id) };
  shared ??= createTestApp({ overrides: { engine } as Partial<AppDeps> });
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

const json = (headers: Record<string, string>, method: string, body?: unknown): RequestInit => ({
  method,
  headers,
  body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
});

apiTest("[api] strategies: create, list, get, update, activate, deactivate, delete", async (t) => {
  const ann = await registerUser(t.app);
  const seen: UserEvent[] = [];
  const off = t.deps.events.subscribe(ann.userId, (e) => seen.push(e));
  const created = await t.app.request(
    "/api/v1/strategies",
    json(ann.headers, "POST", { ...BODY, name: "  RSI dip  " }),
  );
  assert.equal(created.status, 201);
  const s = await created.json();
  assert.equal(s.name, "RSI dip");
  assert.equal(s.state, "inactive");
  assert.equal(s.riskParams.positionSizeUsd, 100);

  const list = await (await t.app.request("/api/v1/strategies", { headers: ann.headers })).json();
  assert.deepEqual(list.strategies.map((x: { id: number }) => x.id), [s.id]);
  assert.equal(list.strategies[0].figures.realizedPnl, "0");

  const one = await t.app.request(`/api/v1/strategies/${s.id}`, { headers: ann.headers });
  assert.equal((await one.json()).symbol, "BTCUSDT");

  const put = await t.app.request(
    `/api/v1/strategies/${s.id}`,
    json(ann.headers, "PUT", { ...BODY, symbol: "ETHUSDT" }),
  );
  assert.equal(put.status, 200);
  assert.equal((await put.json()).symbol, "ETHUSDT");

  const act = await t.app.request(
    `/api/v1/strategies/${s.id}/activate`,
    json(ann.headers, "POST"),
  );
  assert.equal(act.status, 200);
  assert.equal((await act.json()).state, "warming_up");

  const refused = await t.app.request(
    `/api/v1/strategies/${s.id}`,
    json(ann.headers, "PUT", BODY),
  );
  assert.equal(refused.status, 409);
  const err = await refused.json();
  assert.equal(err.error.code, "API_006");
  assert.match(err.error.message, /deactivate it first/);

  const deact = await t.app.request(
    `/api/v1/strategies/${s.id}/deactivate`,
    json(ann.headers, "POST"),
  );
  assert.equal((await deact.json()).state, "inactive");

  const del = await t.app.request(`/api/v1/strategies/${s.id}`, json(ann.headers, "DELETE"));
  assert.equal(del.status, 204);
  const gone = await t.app.request(`/api/v1/strategies/${s.id}`, { headers: ann.headers });
  assert.equal(gone.status, 404);
  assert.equal((await gone.json()).error.code, "API_005");
  off();

  assert.deepEqual(
    seen.filter((e) => e.type === "strategy").map((e) => e.data.change),
    ["created", "updated", "activated", "deactivated", "deleted"],
  );
  assert.equal(changed.filter((id) => id === s.id).length, 5);
  const audits = await t.db.query<{ message: string }>(
    "SELECT message FROM system_logs WHERE user_id = $1 AND service = 'audit' AND message LIKE 'audit: strategy.%' ORDER BY id",
    [ann.userId],
  );
  assert.deepEqual(audits.map((a) => a.message), [
    "audit: strategy.create",
    "audit: strategy.update",
    "audit: strategy.activate",
    "audit: strategy.deactivate",
    "audit: strategy.delete",
  ]);
});

apiTest("[api] POST /api/v1/strategies rejects invalid definitions with JSON paths", async (t) => {
  const ann = await registerUser(t.app);
  const bad = {
    ...BODY,
    name: "",
    entryConditions: [{ left: { indicator: "RSI", period: 0 }, op: "<", right: { value: 30 } }],
    riskParams: { ...BODY.riskParams, stopLossPercent: 150 },
  };
  const res = await t.app.request("/api/v1/strategies", json(ann.headers, "POST", bad));
  assert.equal(res.status, 400);
  const { error } = await res.json();
  assert.equal(error.code, "STRATEGY_001");
  const paths = error.details.issues.map((i: { path: string }) => i.path).sort();
  assert.deepEqual(paths, [
    "entryConditions[0].left.period",
    "name",
    "riskParams.stopLossPercent",
  ]);

  const unknown = await t.app.request(
    "/api/v1/strategies",
    json(ann.headers, "POST", { ...BODY, extra: 1 }),
  );
  assert.equal((await unknown.json()).error.details.issues[0].path, "extra");

  const malformed = await t.app.request(
    "/api/v1/strategies",
    json(ann.headers, "POST", "{not json"),
  );
  assert.equal(malformed.status, 400);
  assert.equal((await malformed.json()).error.code, "API_004");

  const put = await t.app.request("/api/v1/strategies/1", json(ann.headers, "PUT", bad));
  assert.equal(put.status, 404); // the strategy does not exist: nothing to validate against
});

apiTest("[api] strategy names with SQL and HTML are stored and returned inertly", async (t) => {
  const ann = await registerUser(t.app);
  const names = [
    "'; DROP TABLE strategies; --",
    "<script>alert(1)</script>",
    "Robert'); DELETE FROM trades;--",
  ];
  for (const name of names) {
    const res = await t.app.request(
      "/api/v1/strategies",
      json(ann.headers, "POST", { ...BODY, name }),
    );
    assert.equal(res.status, 201);
    assert.equal((await res.json()).name, name);
  }
  const res = await t.app.request("/api/v1/strategies", { headers: ann.headers });
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  const list = await res.json();
  assert.deepEqual(
    list.strategies.map((s: { name: string }) => s.name).sort(),
    [...names].sort(),
  );
});

apiTest("[api] strategy endpoints need a session", async (t) => {
  const calls: [string, string][] = [
    ["GET", "/api/v1/strategies"],
    ["POST", "/api/v1/strategies"],
    ["GET", "/api/v1/strategies/1"],
    ["PUT", "/api/v1/strategies/1"],
    ["DELETE", "/api/v1/strategies/1"],
    ["POST", "/api/v1/strategies/1/activate"],
    ["POST", "/api/v1/strategies/1/deactivate"],
    ["POST", "/api/v1/strategies/1/backtest"],
    ["GET", "/api/v1/strategies/1/backtests"],
    ["GET", "/api/v1/backtests/1"],
    ["GET", "/api/v1/backtests/1/candles"],
    ["GET", `/api/v1/backtests/jobs/${crypto.randomUUID()}`],
  ];
  for (const [method, path] of calls) {
    const res = await t.app.request(path, {
      method,
      headers: { "Content-Type": "application/json" },
      body: method === "GET" ? undefined : JSON.stringify(BODY),
    });
    assert.equal(res.status, 401, `${method} ${path}`);
    assert.match((await res.json()).error.code, /^AUTH_00[12]$/);
  }
});

apiTest("[api] another user's strategy answers 404 everywhere", async (t) => {
  const ann = await registerUser(t.app);
  const bob = await registerUser(t.app);
  const s = await (await t.app.request("/api/v1/strategies", json(ann.headers, "POST", BODY)))
    .json();
  const calls: [string, string, unknown?][] = [
    ["GET", `/api/v1/strategies/${s.id}`],
    ["PUT", `/api/v1/strategies/${s.id}`, BODY],
    ["DELETE", `/api/v1/strategies/${s.id}`],
    ["POST", `/api/v1/strategies/${s.id}/activate`],
    ["POST", `/api/v1/strategies/${s.id}/deactivate`],
    ["POST", `/api/v1/strategies/${s.id}/backtest`, { from: "2024-01-01", to: "2024-01-02" }],
    ["GET", `/api/v1/strategies/${s.id}/backtests`],
  ];
  for (const [method, path, body] of calls) {
    const res = await t.app.request(path, json(bob.headers, method, body));
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.equal((await res.json()).error.code, "API_005");
  }
  const still = await t.app.request(`/api/v1/strategies/${s.id}`, { headers: ann.headers });
  assert.equal(still.status, 200);
  const bobs = await (await t.app.request("/api/v1/strategies", { headers: bob.headers })).json();
  assert.deepEqual(bobs.strategies, []);
  for (const bad of ["abc", "0", "-1", "99999999999"]) {
    const res = await t.app.request(`/api/v1/strategies/${bad}`, { headers: ann.headers });
    assert.equal(res.status, 404, bad);
  }
});

apiTest("[api] a strategy with an open trade cannot be deleted", async (t) => {
  const ann = await registerUser(t.app);
  const s = await (await t.app.request("/api/v1/strategies", json(ann.headers, "POST", BODY)))
    .json();
  const trade = await insertOpenTrade(t.db, {
    userId: ann.userId,
    strategyId: s.id,
    symbol: "BTCUSDT",
    isPaper: true,
    signalId: `${s.id}:1:ENTRY`,
    clientOrderIdEntry: "e1",
    binanceOrderIdEntry: "11",
    entryPrice: "60000",
    quantity: "0.001",
    entryFee: "0.06",
    entryTimestamp: new Date("2024-01-01T00:00:00Z"),
  });
  const listed = await (await t.app.request("/api/v1/strategies", { headers: ann.headers }))
    .json();
  assert.equal(listed.strategies[0].state, "in_position");
  assert.equal(listed.strategies[0].figures.openPosition.quantity, "0.001");
  const res = await t.app.request(`/api/v1/strategies/${s.id}`, json(ann.headers, "DELETE"));
  assert.equal(res.status, 409);
  const { error } = await res.json();
  assert.match(error.message, /trade \d+ on "BTCUSDT" is still open/);
  await closeTrade(t.db, trade.id, {
    status: "CLOSED_TP",
    exitPrice: "61200",
    exitTimestamp: new Date("2024-01-02T00:00:00Z"),
    pnl: "1.0788",
    exitFee: "0.0612",
  });
  const after = await (await t.app.request(`/api/v1/strategies/${s.id}`, { headers: ann.headers }))
    .json();
  assert.equal(after.figures.realizedPnl, "1.0788");
  assert.equal(after.figures.tradeCount, 1);
  const ok = await t.app.request(`/api/v1/strategies/${s.id}`, json(ann.headers, "DELETE"));
  assert.equal(ok.status, 204);
});

apiTest("[api] live mode activation without keys is refused", async (t) => {
  const ann = await registerUser(t.app);
  await setTradingMode(t.db, ann.userId, "live");
  const s = await (await t.app.request("/api/v1/strategies", json(ann.headers, "POST", BODY)))
    .json();
  const res = await t.app.request(
    `/api/v1/strategies/${s.id}/activate`,
    json(ann.headers, "POST"),
  );
  assert.equal(res.status, 400);
  const { error } = await res.json();
  assert.equal(error.code, "API_001");
  assert.match(error.message, /live mode/);
  await setTradingMode(t.db, ann.userId, "paper");
  const paper = await t.app.request(
    `/api/v1/strategies/${s.id}/activate`,
    json(ann.headers, "POST"),
  );
  assert.equal(paper.status, 200);
});

apiTest(
  "[api] the OpenAPI document describes the strategy, backtest, portfolio and event routes",
  async (t) => {
    // Importing the route modules registers their operations.
    await import("../routes/api/portfolio.ts");
    await import("../routes/api/events.ts");
    const doc = await (await t.app.request("/api/v1/openapi.json")).json();
    const paths = doc.paths as Record<string, Record<string, Record<string, unknown>>>;
    for (
      const [path, method] of [
        ["/api/v1/strategies", "get"],
        ["/api/v1/strategies", "post"],
        ["/api/v1/strategies/{id}", "put"],
        ["/api/v1/strategies/{id}", "delete"],
        ["/api/v1/strategies/{id}/activate", "post"],
        ["/api/v1/strategies/{id}/deactivate", "post"],
        ["/api/v1/strategies/{id}/backtest", "post"],
        ["/api/v1/strategies/{id}/backtests", "get"],
        ["/api/v1/backtests/jobs/{jobId}", "get"],
        ["/api/v1/backtests/{id}", "get"],
        ["/api/v1/backtests/{id}/candles", "get"],
        ["/api/v1/portfolio/overview", "get"],
        ["/api/v1/portfolio/positions", "get"],
        ["/api/v1/portfolio/history", "get"],
        ["/api/v1/portfolio/performance", "get"],
        ["/api/v1/trades/{id}", "get"],
        ["/api/v1/events", "get"],
      ] as const
    ) {
      assert.ok(paths[path]?.[method], `${method} ${path}`);
    }
    const body = paths["/api/v1/strategies"]!.post!.requestBody as {
      content: { "application/json": { schema: { properties: Record<string, unknown> } } };
    };
    assert.deepEqual(
      Object.keys(body.content["application/json"].schema.properties).sort(),
      ["entryConditions", "exitConditions", "interval", "name", "riskParams", "symbol"],
    );
    const params = paths["/api/v1/portfolio/history"]!.get!.parameters as { name: string }[];
    assert.ok(
      ["strategyId", "symbol", "status", "from", "to", "sort", "order", "page", "limit", "format"]
        .every((n) => params.some((p) => p.name === n)),
    );
  },
);

Deno.test({
  name: "[api] close the strategies test app",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    if (shared) await (await shared).close();
  },
});
