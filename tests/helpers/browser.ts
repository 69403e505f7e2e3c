/**
 * UI test harness: the real app (API + pages) over PGlite, in process or on
 * 127.0.0.1:0, cookie sessions for `app.request`, seed data through the
 * repositories, and headless Chromium via playwright-core (skipped with a
 * notice when /usr/bin/chromium is absent, unless AURA_REQUIRE_SERVICES=1).
 *
 * @module
 */
import type { Hono } from "hono";
import type { Browser } from "playwright-core";
import { createTestApp, type TestApp, type TestAppOptions } from "./api.ts";
import { createStrategy, type StrategyInput } from "../../db/strategies.ts";
import { closeTrade, insertOpenTrade, setTradeOco } from "../../db/trades.ts";
import { insertBacktest } from "../../db/backtests.ts";
import { finishIntent, recordIntent } from "../../db/order_intents.ts";
import type { Db } from "../../db/port.ts";

/** Where Debian installs Chromium. */
export const CHROMIUM_PATH = Deno.env.get("AURA_CHROMIUM") ?? "/usr/bin/chromium";

/** Whether a Chromium binary is present. */
export const chromiumAvailable: boolean = (() => {
  try {
    return Deno.statSync(CHROMIUM_PATH).isFile;
  } catch {
    return false;
  }
})();

if (!chromiumAvailable && Deno.env.get("AURA_REQUIRE_SERVICES") === "1") {
  throw new Error(`AURA_REQUIRE_SERVICES=1 but Chromium is missing at ${CHROMIUM_PATH}`);
}

/** `true` when browser tests must be skipped (and says so once). */
export function skipWithoutChromium(): boolean {
  if (chromiumAvailable) return false;
  console.warn(`NOTICE: Chromium is not installed at ${CHROMIUM_PATH}; browser tests are skipped`);
  return true;
}

/**
 * The whole app (API + pages, as app.ts mounts them) over a fresh in-memory
 * PGlite; see createTestApp for the options.
 */
export function createUiTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  return createTestApp(opts);
}

/** A user signed in through the API, as a browser would be: its cookies. */
export interface SessionUser {
  /** User id. */
  userId: number;
  /** Username. */
  username: string;
  /** Password. */
  password: string;
  /** `Cookie` header value carrying the session. */
  cookie: string;
  /** Value of the CSRF cookie. */
  csrf: string;
}

/** Registers a user through the API and keeps the session cookies it set. */
export async function registerSession(app: Hono, username: string): Promise<SessionUser> {
  const password = "correct horse 42 battery";
  const res = await app.request("/api/v1/auth/register", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, email: `${username}@example.com`, password }),
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  const body = await res.json() as { user: { id: number } };
  const jar = res.headers.getSetCookie().map((c) => c.split(";")[0]!);
  const csrf = jar.find((c) => c.startsWith("aura_csrf="))?.slice("aura_csrf=".length) ?? "";
  return { userId: body.user.id, username, password, cookie: jar.join("; "), csrf };
}

/** A valid strategy definition for seeding. */
export function sampleStrategy(name = "RSI dip buyer"): StrategyInput {
  return {
    name,
    symbol: "BTCUSDT",
    interval: "1h",
    entryConditions: [{
      left: { indicator: "RSI", period: 14 },
      op: "<",
      right: { value: 30 },
    }],
    exitConditions: [{ left: { indicator: "RSI", period: 14 }, op: ">", right: { value: 70 } }],
    riskParams: {
      positionSizeUsd: 100,
      takeProfitPercent: 3,
      stopLossPercent: 1.5,
      maxDrawdownPercent: 20,
    },
  };
}

/** Seeds a strategy with one closed and one open trade and a backtest; returns their ids. */
export async function seedTrading(db: Db, userId: number, now: number) {
  const strategy = await createStrategy(db, userId, sampleStrategy());
  const hour = 3_600_000;
  const mk = async (n: number, entryPrice: string) => {
    const t = await insertOpenTrade(db, {
      userId,
      strategyId: strategy.id,
      symbol: "BTCUSDT",
      isPaper: true,
      signalId: `${strategy.id}:${now - n * hour}:ENTRY`,
      clientOrderIdEntry: `aura-e-${strategy.id}-${n}`,
      binanceOrderIdEntry: String(strategy.id * 100 + n),
      entryPrice,
      quantity: "0.001",
      entryFee: "0.1",
      entryTimestamp: new Date(now - n * hour),
      latency: { candleClosed: now - n * hour, signal: now - n * hour + 3 },
    });
    await setTradeOco(db, t.id, {
      orderListId: String(strategy.id * 100 + 50 + n),
      listClientOrderId: `aura-o-${strategy.id}-${n}`,
      takeProfitPrice: (Number(entryPrice) * 1.03).toFixed(2),
      stopLossPrice: (Number(entryPrice) * 0.985).toFixed(2),
      stopLimitPrice: (Number(entryPrice) * 0.984).toFixed(2),
      latency: {
        candleClosed: now - n * hour,
        signal: now - n * hour + 3,
        ocoAck: now - n * hour + 41,
      },
    });
    return t;
  };
  const closed = await mk(5, "60000");
  // The execution worker records each order before sending it, then its answer.
  for (
    const [kind, id, result] of [
      ["ENTRY", `aura-e-${strategy.id}-5`, { orderId: strategy.id * 100 + 5, status: "FILLED" }],
      ["OCO", `aura-o-${strategy.id}-5`, {
        orderListId: strategy.id * 100 + 55,
        listOrderStatus: "EXEC_STARTED",
      }],
    ] as const
  ) {
    await recordIntent(db, {
      clientOrderId: id,
      userId,
      strategyId: strategy.id,
      tradeId: closed.id,
      signalId: closed.signalId,
      kind,
      symbol: "BTCUSDT",
      isPaper: true,
      payload: { kind },
    });
    await finishIntent(db, id, "DONE", { ...result });
  }
  await closeTrade(db, closed.id, {
    status: "CLOSED_TP",
    exitPrice: "61800",
    exitTimestamp: new Date(now - 2 * hour),
    pnl: "1.6782",
    exitFee: "0.1218",
  });
  const open = await mk(1, "62000");
  const backtest = await insertBacktest(db, {
    strategyId: strategy.id,
    startDate: new Date(now - 30 * 24 * hour),
    endDate: new Date(now),
    totalTrades: 1,
    winningTrades: 1,
    losingTrades: 0,
    totalPnl: "12.5",
    maxDrawdown: 1.2,
    sharpeRatio: 1.4,
    winRate: 1,
    params: { initialBalance: 10_000 },
    trades: [{
      entryTime: now - 20 * 24 * hour,
      entryPrice: "60000",
      exitTime: now - 19 * 24 * hour,
      exitPrice: "61800",
      quantity: "0.0016",
      status: "CLOSED_TP",
      pnl: "12.5",
      fees: "0.2",
    }],
    equityCurve: [
      { time: now - 30 * 24 * hour, equity: 10_000 },
      { time: now - 20 * 24 * hour, equity: 9_990 },
      { time: now, equity: 10_012.5 },
    ],
    candles: 720,
  });
  return {
    strategyId: strategy.id,
    closedTradeId: closed.id,
    openTradeId: open.id,
    backtestId: backtest.id,
  };
}

/** Chromium flags that keep a headless run quiet and offline. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Launches headless Chromium. playwright's `launch` gives every run a fresh
 * temporary profile (its own --user-data-dir) and removes it on close.
 */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}
