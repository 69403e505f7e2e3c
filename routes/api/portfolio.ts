/**
 * /api/v1/portfolio (overview, positions, history with CSV export,
 * performance) and /api/v1/trades/:id. Thin: validate, call the service, map.
 *
 * Mount: `portfolioRoutes(deps)` at `/portfolio`, `tradesRoutes(deps)` at
 * `/trades` (both behind requireAuth).
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppDeps } from "../../app.ts";
import type { TradeRecord } from "../../db/trades.ts";
import { registerRoute } from "../../services/openapi.ts";
import {
  type BalanceProvider,
  ModeBalances,
  PaperBalances,
  PortfolioService,
} from "../../services/portfolio.ts";
import { PriceService, type PriceSource } from "../../services/prices.ts";
import type { ApiEnv } from "./_env.ts";
import { parseId, parseQuery } from "./_validate.ts";

/** What these routes need beyond part A's AppDeps (all optional). */
export interface PortfolioRouteDeps extends AppDeps {
  /** Live prices fed by the pipeline (default: last cached kline closes only). */
  prices?: PriceSource;
  /** Balances (default: paper from trades, live from `exchangeFactory`). */
  balances?: BalanceProvider;
}

const services = new WeakMap<object, PortfolioService>();

/** The portfolio service of `deps` (one per deps object). */
export function portfolioServiceFor(deps: PortfolioRouteDeps): PortfolioService {
  let s = services.get(deps);
  if (!s) {
    const initial = String(deps.config.AURA_PAPER_BALANCE_USDT);
    s = new PortfolioService({
      db: deps.db,
      clock: deps.clock,
      prices: new PriceService({ db: deps.db, clock: deps.clock, source: deps.prices }),
      balances: deps.balances ??
        new ModeBalances(deps.db, new PaperBalances(deps.db, initial), deps.exchangeFactory),
      initialBalance: initial,
    });
    services.set(deps, s);
  }
  return s;
}

const date = z.iso.datetime({ offset: true }).or(z.iso.date());
const SORT = {
  entryTime: "entry_timestamp",
  exitTime: "exit_timestamp",
  pnl: "pnl",
  symbol: "symbol",
} as const;

/** Query of GET /portfolio/history. */
export const HistoryQuery = z.object({
  strategyId: z.coerce.number().int().positive().optional().describe("Only this strategy"),
  symbol: z.string().regex(/^[A-Z0-9]{2,20}$/, "must be a symbol such as BTCUSDT").optional(),
  status: z.enum([
    "OPEN",
    "CLOSED_TP",
    "CLOSED_SL",
    "CLOSED_MANUAL",
    "CLOSED_SIGNAL",
    "CLOSED_DUST",
    "FAILED",
  ])
    .optional().describe("Only this status (default: every closed status)"),
  from: date.optional().describe("Entries at or after (ISO)"),
  to: date.optional().describe("Entries before (ISO)"),
  sort: z.enum(["entryTime", "exitTime", "pnl", "symbol"]).default("exitTime"),
  order: z.enum(["asc", "desc"]).default("desc"),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  format: z.enum(["json", "csv"]).default("json").describe(
    "csv: a download of every matching trade",
  ),
});

const CSV_COLUMNS: [string, (t: TradeRecord) => unknown][] = [
  ["id", (t) => t.id],
  ["strategyId", (t) => t.strategyId],
  ["symbol", (t) => t.symbol],
  ["status", (t) => t.status],
  ["paper", (t) => t.isPaper],
  ["entryTime", (t) => t.entryTimestamp.toISOString()],
  ["exitTime", (t) => t.exitTimestamp?.toISOString() ?? ""],
  ["entryPrice", (t) => t.entryPrice],
  ["exitPrice", (t) => t.exitPrice ?? ""],
  ["quantity", (t) => t.quantity],
  ["takeProfitPrice", (t) => t.takeProfitPrice ?? ""],
  ["stopLossPrice", (t) => t.stopLossPrice ?? ""],
  ["pnl", (t) => t.pnl ?? ""],
  ["fees", (t) => t.fees],
  ["failureReason", (t) => t.failureReason ?? ""],
];

/**
 * One CSV cell: a text starting with `=`, `+`, `-`, `@`, tab or CR gets a
 * leading `'` so spreadsheets do not run it as a formula (a plain negative
 * number is left as it is: it cannot be a formula); quoted when needed.
 */
export function csvCell(value: unknown): string {
  let s = String(value ?? "");
  if (/^[=+\-@\t\r]/.test(s) && !/^-\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Portfolio overview, positions, history and performance (mount at /api/v1/portfolio). */
export function portfolioRoutes(deps: PortfolioRouteDeps): Hono<ApiEnv> {
  const portfolio = portfolioServiceFor(deps);
  const app = new Hono<ApiEnv>();
  app.get("/overview", async (c) => c.json(await portfolio.overview(c.get("auth").userId)));
  app.get("/positions", async (c) => {
    return c.json({ positions: await portfolio.positions(c.get("auth").userId) });
  });
  app.get("/performance", async (c) => c.json(await portfolio.performance(c.get("auth").userId)));
  app.get("/history", async (c) => {
    const q = parseQuery(c, HistoryQuery);
    const userId = c.get("auth").userId;
    const filter = {
      strategyId: q.strategyId,
      symbol: q.symbol,
      status: q.status,
      from: q.from === undefined ? undefined : new Date(q.from),
      to: q.to === undefined ? undefined : new Date(q.to),
      sort: SORT[q.sort],
      order: q.order,
    };
    if (q.format === "csv") {
      const lines = [CSV_COLUMNS.map(([name]) => name).join(",")];
      for await (const t of portfolio.historyRows(userId, filter)) {
        lines.push(CSV_COLUMNS.map(([, get]) => csvCell(get(t))).join(","));
      }
      return c.body(lines.join("\r\n") + "\r\n", 200, {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="aura-trades.csv"',
      });
    }
    const page = await portfolio.history(userId, {
      ...filter,
      limit: q.limit,
      offset: (q.page - 1) * q.limit,
    });
    return c.json({ ...page, page: q.page, limit: q.limit });
  });
  return app;
}

/** One trade with its latency trace and order intents (mount at /api/v1/trades). */
export function tradesRoutes(deps: PortfolioRouteDeps): Hono<ApiEnv> {
  const portfolio = portfolioServiceFor(deps);
  const app = new Hono<ApiEnv>();
  app.get("/:id", async (c) => c.json(await portfolio.trade(c.get("auth").userId, parseId(c))));
  return app;
}

const P = "/api/v1/portfolio";
registerRoute({
  method: "get",
  path: `${P}/overview`,
  summary: "Total value (USDT), realized, unrealized and today's P&L, per-strategy summary",
  auth: true,
});
registerRoute({
  method: "get",
  path: `${P}/positions`,
  summary: "Open trades at live prices",
  auth: true,
});
registerRoute({
  method: "get",
  path: `${P}/history`,
  summary: "Closed trades: filter, sort, page; format=csv downloads every matching trade",
  query: HistoryQuery,
  auth: true,
});
registerRoute({
  method: "get",
  path: `${P}/performance`,
  summary: "Win rate, profit factor, max drawdown, per-trade Sharpe: overall and per strategy",
  auth: true,
});
registerRoute({
  method: "get",
  path: "/api/v1/trades/{id}",
  summary: "A trade with its latency trace and order intents",
  auth: true,
});
