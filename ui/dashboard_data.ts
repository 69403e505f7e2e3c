/**
 * Reads what the dashboard shows for one user through the services the API
 * uses: the portfolio service (value, realized/unrealized/today's P&L,
 * positions at live prices — GET /api/v1/portfolio/overview and /positions),
 * the strategies' state (as GET /api/v1/strategies derives it), recent
 * closed trades, the realized equity curve and pipeline health.
 *
 * @module
 */
import { listTradeHistory } from "../db/trades.ts";
import { listStrategyOverviews } from "../db/strategies.ts";
import { type StrategyState, strategyState } from "../services/strategies.ts";
import { portfolioServiceFor } from "../routes/api/portfolio.ts";
import { type CheckResult, healthFromChecks, type PipelineHealth } from "./health.ts";
import type { PageContext, PagesDeps } from "./page.ts";
import type { EquityChartPoint } from "../components/EquityChart.tsx";

export type { StrategyState } from "../services/strategies.ts";

/** An open position as the dashboard island receives it (JSON-safe, decimals as strings). */
export interface PositionView {
  /** Trade id. */
  id: number;
  /** Strategy id. */
  strategyId: number;
  /** Strategy name. */
  strategyName: string;
  /** Symbol. */
  symbol: string;
  /** Entry price. */
  entryPrice: string;
  /** Quantity. */
  quantity: string;
  /** Entry fee (quote), part of the unrealized P&L. */
  entryFee: string;
  /** Take-profit level. */
  takeProfitPrice: string | null;
  /** Stop level. */
  stopLossPrice: string | null;
  /** Entry time, ISO. */
  entryTime: string;
  /** Latest price, when known. */
  price: string | null;
  /** Paper trade. */
  isPaper: boolean;
}

/** A closed trade row. */
export interface TradeView {
  /** Trade id. */
  id: number;
  /** Strategy name. */
  strategyName: string;
  /** Symbol. */
  symbol: string;
  /** Status. */
  status: string;
  /** Entry price. */
  entryPrice: string;
  /** Exit price. */
  exitPrice: string | null;
  /** Net P&L. */
  pnl: string | null;
  /** Exit time, ISO. */
  time: string;
}

/** A strategy row. */
export interface StrategyView {
  /** Id. */
  id: number;
  /** Name. */
  name: string;
  /** Symbol. */
  symbol: string;
  /** Interval. */
  interval: string;
  /** State. */
  state: StrategyState;
  /** Why it halted. */
  haltReason: string | null;
}

/** Everything the dashboard shows. */
export interface DashboardData {
  /** Paper or live. */
  mode: "paper" | "live";
  /** Portfolio value in USDT at render time (balances at latest prices). */
  totalValue: string;
  /** Realized P&L, all time. */
  realizedPnl: string;
  /** Unrealized P&L at render time. */
  unrealizedPnl: string;
  /** Realized P&L since 00:00 UTC. */
  todayPnl: string;
  /** Closed trade count. */
  closedTrades: number;
  /** Open positions. */
  positions: PositionView[];
  /** Latest closed trades. */
  recentTrades: TradeView[];
  /** Strategies. */
  strategies: StrategyView[];
  /** Pipeline health. */
  health: PipelineHealth;
  /** Realized equity over time (starting balance + closed P&L). */
  equity: EquityChartPoint[];
}

/** Runs the app's named health checks (each bounded to 1 s) and maps them for the dashboard. */
export async function pipelineHealth(deps: PagesDeps): Promise<PipelineHealth> {
  if (deps.pipelineHealth) return await deps.pipelineHealth();
  const entries = Object.entries(deps.healthChecks ?? {});
  const results = await Promise.all(entries.map(async ([name, check]) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const r = await Promise.race([
        check(),
        new Promise<CheckResult>((resolve) => {
          timer = setTimeout(() => resolve({ ok: false, detail: "timeout" }), 1_000);
        }),
      ]);
      return [name, r] as const;
    } catch {
      return [name, { ok: false, detail: "failed" }] as const;
    } finally {
      clearTimeout(timer);
    }
  }));
  return healthFromChecks(Object.fromEntries(results));
}

/** Loads the dashboard for the context's user. */
export async function loadDashboard(ctx: PageContext): Promise<DashboardData> {
  const { db } = ctx.deps;
  const userId = ctx.user.id;
  const portfolio = portfolioServiceFor(ctx.deps);
  const [overview, positions, overviews, recent, closed, health] = await Promise.all([
    portfolio.overview(userId),
    portfolio.positions(userId),
    listStrategyOverviews(db, userId),
    listTradeHistory(db, userId, { limit: 10 }),
    listTradeHistory(db, userId, { sort: "exit_timestamp", order: "asc", limit: 500 }),
    pipelineHealth(ctx.deps),
  ]);
  const names = new Map(overviews.map((o) => [o.strategy.id, o.strategy.name]));
  const nameOf = (id: number) => names.get(id) ?? `#${id}`;
  let equity = ctx.deps.config.AURA_PAPER_BALANCE_USDT;
  const curve: EquityChartPoint[] = [];
  if (closed.trades.length) {
    curve.push({ time: closed.trades[0]!.entryTimestamp.getTime(), equity });
  }
  for (const t of closed.trades) {
    equity += Number(t.pnl ?? 0);
    curve.push({ time: (t.exitTimestamp ?? t.entryTimestamp).getTime(), equity });
  }
  return {
    mode: ctx.user.tradingMode,
    totalValue: overview.totalValue,
    realizedPnl: overview.realizedPnl,
    unrealizedPnl: overview.unrealizedPnl,
    todayPnl: overview.todayPnl,
    closedTrades: recent.total,
    positions: positions.map((p) => ({
      id: p.id,
      strategyId: p.strategyId,
      strategyName: nameOf(p.strategyId),
      symbol: p.symbol,
      entryPrice: p.entryPrice,
      quantity: p.quantity,
      entryFee: p.entryFee,
      takeProfitPrice: p.takeProfitPrice,
      stopLossPrice: p.stopLossPrice,
      entryTime: p.entryTimestamp.toISOString(),
      price: p.price,
      isPaper: p.isPaper,
    })),
    recentTrades: recent.trades.map((t) => ({
      id: t.id,
      strategyName: nameOf(t.strategyId),
      symbol: t.symbol,
      status: t.status,
      entryPrice: t.entryPrice,
      exitPrice: t.exitPrice,
      pnl: t.pnl,
      time: (t.exitTimestamp ?? t.entryTimestamp).toISOString(),
    })),
    // The same state derivation as GET /api/v1/strategies.
    strategies: overviews.map((o) => ({
      id: o.strategy.id,
      name: o.strategy.name,
      symbol: o.strategy.symbol,
      interval: o.strategy.interval,
      state: strategyState(o),
      haltReason: o.strategy.haltReason,
    })),
    health,
    equity: curve,
  };
}
