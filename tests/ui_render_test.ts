/**
 * Server-side rendering of every page, in process (`app.request`) against the
 * real API and PGlite: status, landmarks, island markers with their props,
 * empty states, no secrets in the HTML, redirects without a session, and the
 * JavaScript each page downloads (gzipped, printed and bounded).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Hono } from "hono";
import { createUiTestApp, registerSession, seedTrading } from "./helpers/browser.ts";
import { clientBundle } from "../ui/assets.ts";
import { filesForIslands, gzipSize } from "../ui/bundler.ts";
import { recordApiKeyStatus, saveApiKey } from "../db/api_keys.ts";
import { createStrategy } from "../db/strategies.ts";
import { closeTrade, insertOpenTrade } from "../db/trades.ts";
import { sampleStrategy } from "./helpers/browser.ts";
import type { TestApp } from "./helpers/api.ts";
import { answerOf, latencySteps } from "../routes/trade.tsx";
import { csvQuery, filterFromQuery } from "../routes/history.tsx";

const opts = { sanitizeOps: false, sanitizeResources: false };

let harness: TestApp | null = null;
async function setup(): Promise<TestApp> {
  harness ??= await createUiTestApp();
  return harness;
}

async function page(app: Hono, path: string, cookie?: string) {
  const res = await app.request(path, { headers: cookie ? { Cookie: cookie } : {} });
  return { res, html: await res.text() };
}

/** Island markers in `html`: name → parsed props. */
function islands(html: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const re = /<div data-island="([A-Za-z]+)" data-props="([^"]*)"/g;
  for (const m of html.matchAll(re)) {
    const json = m[2]!.replaceAll("&quot;", '"').replaceAll("&lt;", "<").replaceAll("&gt;", ">")
      .replaceAll("&#39;", "'").replaceAll("&amp;", "&");
    out.set(m[1]!, JSON.parse(json));
  }
  return out;
}

const PAGES = [
  "/",
  "/strategies",
  "/strategies/new",
  "/strategies/1",
  "/backtests/1",
  "/history",
  "/history/1",
  "/settings",
];

Deno.test({
  name: "[ui] every page redirects to /login without a session, keeping the target",
  ...opts,
  async fn() {
    const { app } = await setup();
    for (const path of PAGES) {
      const res = await app.request(path);
      await res.body?.cancel();
      assert.equal(res.status, 303, path);
      const location = res.headers.get("location") ?? "";
      assert.ok(location.startsWith("/login"), `${path} → ${location}`);
      if (path !== "/") assert.equal(new URL(location, "http://x").searchParams.get("next"), path);
    }
  },
});

Deno.test({
  name: "[ui] login and register render their forms as islands",
  ...opts,
  async fn() {
    const { app } = await setup();
    const login = await page(app, "/login?next=/history");
    assert.equal(login.res.status, 200);
    assert.match(login.html, /^<!DOCTYPE html>/);
    assert.match(login.html, /<label for="login-username">/);
    assert.deepEqual(islands(login.html).get("LoginForm"), { next: "/history" });
    const evil = await page(app, "/login?next=//evil.example");
    assert.deepEqual(islands(evil.html).get("LoginForm"), { next: "/" });
    const register = await page(app, "/register");
    assert.equal(register.res.status, 200);
    assert.ok(islands(register.html).has("RegisterForm"));
    assert.match(register.html, /At least 10 characters/);
  },
});

Deno.test({
  name: "[ui] a signed-in user visiting /login is sent to the dashboard",
  ...opts,
  async fn() {
    const { app } = await setup();
    const user = await registerSession(app, "ui_already_in");
    const res = await app.request("/login", { headers: { Cookie: user.cookie } });
    await res.body?.cancel();
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/");
  },
});

Deno.test({
  name: "[ui] a new user sees empty states, not errors",
  ...opts,
  async fn() {
    const { app } = await setup();
    const user = await registerSession(app, "ui_newcomer");
    const dash = await page(app, "/", user.cookie);
    assert.equal(dash.res.status, 200);
    assert.match(dash.html, /No open positions/);
    assert.match(dash.html, /No active strategies/);
    assert.match(dash.html, /Create your first strategy/);
    const strategies = await page(app, "/strategies", user.cookie);
    assert.match(strategies.html, /No strategies yet/);
    const history = await page(app, "/history", user.cookie);
    assert.match(history.html, /No closed trades match/);
    const settings = await page(app, "/settings", user.cookie);
    assert.deepEqual(
      (islands(settings.html).get("ApiKeyForm") as { maskedKey: unknown }).maskedKey,
      null,
    );
    assert.match(settings.html, /No keys stored yet/);
  },
});

Deno.test({
  name: "[ui] every page renders the user's real data with landmarks and island props",
  ...opts,
  async fn() {
    const t = await setup();
    const user = await registerSession(t.app, "ui_trader");
    const ids = await seedTrading(t.db, user.userId, t.deps.clock.now());

    const dash = await page(t.app, "/", user.cookie);
    assert.equal(dash.res.status, 200);
    assert.match(dash.html, /<main id="main"/);
    assert.match(dash.html, /<nav aria-label="Main"/);
    assert.match(dash.html, /aria-current="page"[^>]*>Dashboard</);
    assert.match(dash.html, />PAPER</);
    const live = islands(dash.html).get("LiveDashboard") as {
      positions: { id: number; entryPrice: string; takeProfitPrice: string }[];
      recentTrades: { id: number; pnl: string }[];
      realizedPnl: string;
      strategies: { state: string }[];
    };
    assert.equal(live.positions.length, 1);
    assert.equal(live.positions[0]!.id, ids.openTradeId);
    assert.equal(live.positions[0]!.takeProfitPrice, "63860");
    assert.equal(live.recentTrades[0]!.id, ids.closedTradeId);
    assert.equal(live.realizedPnl, "1.6782");
    assert.equal(live.strategies[0]!.state, "in_position");
    assert.match(dash.html, /63,860/); // TP level rendered on the server
    assert.match(dash.html, /Equity \(realized\)/);

    const list = await page(t.app, "/strategies", user.cookie);
    assert.match(list.html, /RSI dip buyer/);
    assert.match(list.html, /In position/);
    assert.match(list.html, new RegExp(`/backtests/${ids.backtestId}`));

    const edit = await page(t.app, `/strategies/${ids.strategyId}`, user.cookie);
    assert.equal(edit.res.status, 200);
    const found = islands(edit.html);
    const editor = found.get("StrategyEditor") as {
      id: number;
      initial: { riskParams: { positionSizeUsd: number } };
      symbols: { symbol: string; minNotional: string; minQty: string }[];
    };
    assert.equal(editor.id, ids.strategyId);
    assert.equal(editor.initial.riskParams.positionSizeUsd, 100);
    const btc = editor.symbols.find((s) => s.symbol === "BTCUSDT");
    assert.deepEqual(btc && [btc.minNotional, btc.minQty], ["5", "0.00001"]);
    assert.match(edit.html, /Minimum order: 5 USDT and 0.00001 BTC/);
    assert.deepEqual(
      Object.keys(found.get("BacktestPanel") as object).sort(),
      ["defaultFrom", "defaultTo", "strategyId"],
    );
    assert.equal((found.get("StrategyControls") as { mode: string }).mode, "paper");

    const fresh = await page(t.app, "/strategies/new", user.cookie);
    assert.equal((islands(fresh.html).get("StrategyEditor") as { id: unknown }).id, null);

    const bt = await page(t.app, `/backtests/${ids.backtestId}`, user.cookie);
    assert.equal(bt.res.status, 200);
    assert.match(bt.html, /data-testid="backtest-metrics"/);
    assert.match(bt.html, /\+12\.50 USDT/);
    assert.match(bt.html, /<svg[^>]*aria-label="Equity of backtest/);
    assert.deepEqual(islands(bt.html).get("CandleChart"), {
      backtestId: ids.backtestId,
      symbol: "BTCUSDT",
      interval: "1h",
    });

    const history = await page(t.app, "/history?status=CLOSED_TP&sort=pnl&order=asc", user.cookie);
    assert.match(history.html, /data-testid="history-total">1</);
    assert.match(history.html, /Take-profit/);
    // The export link speaks the API's query language (sort names, ISO dates).
    assert.match(
      history.html,
      /portfolio\/history\?format=csv&amp;status=CLOSED_TP&amp;sort=pnl&amp;order=asc/,
    );
    assert.match(history.html, /aria-sort="ascending"/);
    const none = await page(t.app, "/history?status=CLOSED_SL", user.cookie);
    assert.match(none.html, /data-testid="history-total">0</);

    const trade = await page(t.app, `/history/${ids.closedTradeId}`, user.cookie);
    assert.equal(trade.res.status, 200);
    assert.match(trade.html, /Latency trace/);
    assert.match(trade.html, /ocoAck/);
    assert.match(trade.html, /aura-o-/);
    assert.match(trade.html, /data-testid="intents"/);
    assert.match(trade.html, /FILLED/);
    assert.match(trade.html, /EXEC_STARTED/);

    // Pages carry no island for what needs no JavaScript.
    assert.equal(islands(history.html).size, 1); // the log-out button only
  },
});

Deno.test({
  name: "[ui] history pages through 30 trades, 25 at a time, with totals over all of them",
  ...opts,
  async fn() {
    const t = await setup();
    const user = await registerSession(t.app, "ui_pager");
    const strategy = await createStrategy(t.db, user.userId, sampleStrategy("Pager"));
    const start = Date.UTC(2024, 0, 1);
    for (let i = 0; i < 30; i++) {
      const trade = await insertOpenTrade(t.db, {
        userId: user.userId,
        strategyId: strategy.id,
        symbol: i % 2 ? "ETHUSDT" : "BTCUSDT",
        isPaper: true,
        signalId: `pager:${i}:ENTRY`,
        clientOrderIdEntry: `aura-pager-${i}`,
        binanceOrderIdEntry: String(700_000 + i),
        entryPrice: "100",
        quantity: "1",
        entryFee: "0",
        entryTimestamp: new Date(start + i * 3_600_000),
      });
      await closeTrade(t.db, trade.id, {
        status: i % 3 ? "CLOSED_TP" : "CLOSED_SL",
        exitPrice: "101",
        exitTimestamp: new Date(start + i * 3_600_000 + 60_000),
        pnl: "1",
        exitFee: "0",
      });
    }
    const rows = (html: string) => html.match(/<tr>/g)?.length ?? 0;
    const first = await page(t.app, "/history", user.cookie);
    assert.match(first.html, /data-testid="history-total">30</);
    assert.match(first.html, /\+30\.00/);
    assert.match(first.html, /Page 1 of 2/);
    assert.equal(rows(first.html) - 1, 25); // minus the header row
    assert.match(first.html, /href="\/history\?page=2"/);
    const second = await page(t.app, "/history?page=2", user.cookie);
    assert.match(second.html, /Page 2 of 2/);
    assert.equal(rows(second.html) - 1, 5);
    const eth = await page(t.app, "/history?symbol=ethusdt&status=CLOSED_TP", user.cookie);
    assert.match(eth.html, /data-testid="history-total">10</);
    const range = await page(t.app, "/history?from=2024-01-01&to=2024-01-01", user.cookie);
    assert.match(range.html, /data-testid="history-total">24</);
    const junk = await page(t.app, "/history?page=-3&sort=DROP&status=nope&from=x", user.cookie);
    assert.equal(junk.res.status, 200);
    assert.match(junk.html, /data-testid="history-total">30</);
  },
});

Deno.test({
  name: "[ui] another user's strategy, backtest and trade are 404 pages",
  ...opts,
  async fn() {
    const t = await setup();
    const owner = await registerSession(t.app, "ui_owner");
    const ids = await seedTrading(t.db, owner.userId, t.deps.clock.now());
    const other = await registerSession(t.app, "ui_other");
    for (
      const path of [
        `/strategies/${ids.strategyId}`,
        `/backtests/${ids.backtestId}`,
        `/history/${ids.closedTradeId}`,
        "/strategies/abc",
        "/history/0",
      ]
    ) {
      const { res, html } = await page(t.app, path, other.cookie);
      assert.equal(res.status, 404, path);
      assert.match(html, /Not found/);
      assert.doesNotMatch(html, /RSI dip buyer/);
    }
  },
});

Deno.test({
  name: "[ui] no secret reaches the HTML: passwords, tokens, key secrets",
  ...opts,
  async fn() {
    const t = await setup();
    const user = await registerSession(t.app, "ui_secretive");
    const secret = "SECRETsecret0123456789abcdef";
    const apiKey = "PUBLICkeyABCDEFGH12345678wxyz";
    await saveApiKey(t.db, user.userId, apiKey, `k1:iv:${secret}`);
    await recordApiKeyStatus(t.db, user.userId, {
      valid: true,
      canTrade: true,
      withdrawalsEnabled: true,
    });
    await createStrategy(t.db, user.userId, sampleStrategy("<script>alert(1)</script>"));
    const tokens = user.cookie.split("; ").map((c) => c.slice(c.indexOf("=") + 1));
    for (const path of ["/", "/strategies", "/settings", "/history"]) {
      const { res, html } = await page(t.app, path, user.cookie);
      assert.equal(res.status, 200, path);
      for (
        const needle of [
          secret,
          apiKey,
          user.password,
          ...tokens.filter((x) => x.length > 20),
        ]
      ) {
        assert.ok(!html.includes(needle), `${path} leaks ${needle.slice(0, 8)}…`);
      }
      assert.ok(!html.includes("<script>alert(1)"), `${path} renders a name as markup`);
    }
    const settings = await page(t.app, "/settings", user.cookie);
    const keyProps = islands(settings.html).get("ApiKeyForm") as {
      maskedKey: string;
      status: { withdrawalsEnabled: boolean };
    };
    assert.equal(keyProps.maskedKey, "PUBL…wxyz");
    assert.equal(keyProps.status.withdrawalsEnabled, true);
    assert.match(settings.html, /Withdrawals are enabled/);
  },
});

Deno.test({
  name: "[ui] assets are content-hashed with long caching and each page stays under 150 KB of JS",
  ...opts,
  async fn() {
    const t = await setup();
    const user = await registerSession(t.app, "ui_assets");
    const ids = await seedTrading(t.db, user.userId, t.deps.clock.now());
    const dash = await page(t.app, "/", user.cookie);
    const script = /<script type="module" src="([^"]+)"/.exec(dash.html)?.[1];
    const css = /<link rel="stylesheet" href="([^"]+)"/.exec(dash.html)?.[1];
    assert.ok(script?.startsWith("/static/build/client-"), script);
    assert.match(css ?? "", /^\/static\/app-[0-9a-f]{10}\.css$/);
    const assets: [string, string][] = [[script!, "text/javascript"], [css!, "text/css"]];
    for (const [url, type] of assets) {
      const res = await t.app.request(url);
      assert.equal(res.status, 200, url);
      assert.ok(res.headers.get("content-type")?.startsWith(type));
      assert.match(res.headers.get("cache-control") ?? "", /max-age=31536000, immutable/);
      assert.ok((await res.arrayBuffer()).byteLength > 100);
    }
    const icon = await t.app.request("/favicon.ico");
    await icon.body?.cancel();
    assert.equal(icon.status, 301);
    const svg = await t.app.request(icon.headers.get("location")!);
    assert.equal(svg.headers.get("content-type"), "image/svg+xml");
    assert.match(await svg.text(), /^<svg/);
    const missing = await t.app.request("/static/build/nope-123.js");
    await missing.body?.cancel();
    assert.equal(missing.status, 404);

    const bundle = await clientBundle();
    const report: string[] = [];
    const paths = {
      "/login": "/login",
      "/": "/",
      "/strategies/:id": `/strategies/${ids.strategyId}`,
      "/backtests/:id": `/backtests/${ids.backtestId}`,
      "/history": "/history",
      "/settings": "/settings",
    };
    let chartOnly = 0;
    for (const [label, path] of Object.entries(paths)) {
      const cookie = path === "/login" ? undefined : user.cookie;
      const { html } = await page(t.app, path, cookie);
      const names = [...islands(html).keys()];
      const files = filesForIslands(bundle, names);
      let raw = 0;
      let gz = 0;
      for (const f of files) {
        raw += f.contents.byteLength;
        gz += await gzipSize(f.contents);
      }
      report.push(
        `${label.padEnd(16)} ${String(files.length).padStart(2)} files ${
          (raw / 1024).toFixed(1).padStart(7)
        } KB raw ${(gz / 1024).toFixed(1).padStart(6)} KB gzip  [${names.join(", ")}]`,
      );
      assert.ok(gz < 150 * 1024, `${label}: ${gz} bytes gzipped`);
      if (label === "/backtests/:id") chartOnly = gz;
      else assert.ok(gz < 40 * 1024, `${label} loads no chart library`);
    }
    console.log(`JavaScript per page (gzipped, CompressionStream):\n${report.join("\n")}`);
    assert.ok(chartOnly > 40 * 1024, "the chart page loads lightweight-charts");
  },
});

Deno.test({
  name: "[ui] with the database down a page says AURA is unavailable (503), not a stack trace",
  ...opts,
  async fn() {
    const t = await createUiTestApp();
    try {
      const user = await registerSession(t.app, "ui_db_down");
      await t.db.close();
      const { res, html } = await page(t.app, "/", user.cookie);
      assert.equal(res.status, 503);
      assert.match(html, /AURA is unavailable/);
      assert.doesNotMatch(html, /at \w+ \(|Error:/);
    } finally {
      await t.close();
    }
  },
});

Deno.test("[ui] page helpers: exchange answers, latency steps and the history filter", () => {
  assert.equal(
    answerOf({ order: { orderId: 12, status: "FILLED", executedQty: "0.001" } }),
    "12 · FILLED · qty 0.001",
  );
  assert.equal(
    answerOf({ list: { orderListId: 5, listOrderStatus: "EXECUTING" } }),
    "5 · EXECUTING",
  );
  assert.equal(
    answerOf({ code: -2010, msg: "Account has insufficient balance" }),
    "-2010 · Account has insufficient balance",
  );
  assert.equal(answerOf(null), "—");
  assert.deepEqual(latencySteps({ signalAt: 1003, candleCloseTime: 1000, ocoAckAt: 1041 }), [
    { step: "candleCloseTime", at: 1000, deltaMs: 0, totalMs: 0 },
    { step: "signalAt", at: 1003, deltaMs: 3, totalMs: 3 },
    { step: "ocoAckAt", at: 1041, deltaMs: 38, totalMs: 41 },
  ]);
  const f = filterFromQuery(
    new URLSearchParams("strategyId=3&symbol=btcusdt&to=2024-01-31&page=2"),
  );
  assert.equal(f.symbol, "BTCUSDT");
  assert.equal(f.offset, 25);
  assert.equal(f.to?.toISOString(), "2024-02-01T00:00:00.000Z"); // "to" includes its day
  assert.equal(
    csvQuery(f).toString(),
    "format=csv&strategyId=3&symbol=BTCUSDT&to=2024-02-01T00%3A00%3A00.000Z&sort=exitTime&order=desc",
  );
});

Deno.test({
  name: "[ui] close the test app",
  ...opts,
  async fn() {
    await harness?.close();
    harness = null;
  },
});
