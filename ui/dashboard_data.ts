/**
 * Reads what the dashboard shows for one user, through the repositories the
 * API uses: realized P&L (total and today, UTC), open positions with their
 * latest price, recent closed trades, strategies with their state, and the
 * realized equity curve.
 *
 * @module
 */
import { listOpenTrades, listTradeHistory } from "../db/trades.ts";
import { listStrategyOverviews } from "../db/strategies.ts";
import { type StrategyState, strategyState } from "../services/strategies.ts";
import type { PageContext, PipelineHealth } from "./page.ts";
import type { EquityChartPoint } from "../components/EquityChart.tsx";

/** An open position as the dashboard island receives it (JSON-safe). */
export interface PositionView {
  /** Trade id. */
  id: number;
  /** Strategy id. */
  strategyId: number;
  /** Strategy name. */
  strategyName: string;
  /** Symbol. */
  symbol: string;
  /** Entry price (decimal string). */
  entryPrice: string;
  /** Quantity (decimal string). */
  quantity: string;
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
  /** Exit time, ISO (entry time while open). */
  time: string;
}

export type { StrategyState } from "../services/strategies.ts";

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
  /** Starting paper balance (USDT). */
  startingBalance: number;
  /** Realized P&L, all time (decimal string). */
  realizedPnl: string;
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
  /** Realized equity over time. */
  equity: EquityChartPoint[];
}

/** Loads the dashboard for the context's user. */
export async function loadDashboard(ctx: PageContext): Promise<DashboardData> {
  const { db, clock } = ctx.deps;
  const userId = ctx.user.id;
  const now = clock.now();
  const dayStart = new Date(now - (now % 86_400_000));
  const [overviews, open, all, today, closed] = await Promise.all([
    listStrategyOverviews(db, userId),
    listOpenTrades(db, userId),
    listTradeHistory(db, userId, { limit: 10 }),
    listTradeHistory(db, userId, { from: dayStart, limit: 1 }),
    listTradeHistory(db, userId, { sort: "exit_timestamp", order: "asc", limit: 500 }),
  ]);
  const names = new Map(overviews.map((o) => [o.strategy.id, o.strategy.name]));
  const price = ctx.deps.latestPrice;
  const positions = await Promise.all(open.map(async (t): Promise<PositionView> => ({
    id: t.id,
    strategyId: t.strategyId,
    strategyName: names.get(t.strategyId) ?? `#${t.strategyId}`,
    symbol: t.symbol,
    entryPrice: t.entryPrice,
    quantity: t.quantity,
    takeProfitPrice: t.takeProfitPrice,
    stopLossPrice: t.stopLossPrice,
    entryTime: t.entryTimestamp.toISOString(),
    price: price ? await price(t.symbol) : null,
    isPaper: t.isPaper,
  })));
  const startingBalance = ctx.deps.paperBalanceUsd ?? 10_000;
  let equity = startingBalance;
  const curve: EquityChartPoint[] = [];
  if (closed.trades.length) {
    curve.push({ time: closed.trades[0]!.entryTimestamp.getTime(), equity });
  }
  for (const t of closed.trades) {
    equity += Number(t.pnl ?? 0);
    curve.push({ time: (t.exitTimestamp ?? t.entryTimestamp).getTime(), equity });
  }
  const health: PipelineHealth = ctx.deps.health
    ? await ctx.deps.health()
    : { marketData: "unknown", lastCandleTime: null, exchange: "unknown" };
  return {
    mode: ctx.user.tradingMode,
    startingBalance,
    realizedPnl: all.totalPnl,
    todayPnl: today.totalPnl,
    closedTrades: all.total,
    positions,
    recentTrades: all.trades.map((t) => ({
      id: t.id,
      strategyName: names.get(t.strategyId) ?? `#${t.strategyId}`,
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
