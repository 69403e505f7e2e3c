/**
 * Strategies repository. Every query that reads or changes a user's strategy
 * takes the user id; the engine-side queries (active strategies) say so.
 *
 * @module
 */
import type { Queryable } from "./port.ts";
import { trimDecimal } from "./trades.ts";

/** A strategy as stored: the definition the API accepts, plus state. */
export interface StrategyRecord {
  /** Strategy id. */
  id: number;
  /** Owner. */
  userId: number;
  /** Display name. */
  name: string;
  /** Symbol, e.g. BTCUSDT. */
  symbol: string;
  /** Kline interval, e.g. 1h. */
  interval: string;
  /** Entry conditions (rule language JSON). */
  entryConditions: unknown[];
  /** Exit conditions (rule language JSON). */
  exitConditions: unknown[];
  /** Risk parameters. */
  riskParams: Record<string, unknown>;
  /** Whether the live pipeline runs it. */
  isActive: boolean;
  /** When the drawdown breaker halted it. */
  haltedAt: Date | null;
  /** Why it was halted. */
  haltReason: string | null;
  /** Creation time. */
  createdAt: Date;
  /** Last change. */
  updatedAt: Date;
}

/** The fields a user writes. */
export interface StrategyInput {
  /** Display name. */
  name: string;
  /** Symbol. */
  symbol: string;
  /** Interval. */
  interval: string;
  /** Entry conditions. */
  entryConditions: unknown[];
  /** Exit conditions. */
  exitConditions: unknown[];
  /** Risk parameters. */
  riskParams: Record<string, unknown>;
}

const COLUMNS = `id, user_id, name, symbol, interval, entry_conditions, exit_conditions,
  risk_params, is_active, halted_at, halt_reason, created_at, updated_at`;

function toStrategy(row: Record<string, unknown>): StrategyRecord {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    name: String(row.name),
    symbol: String(row.symbol),
    interval: String(row.interval),
    entryConditions: row.entry_conditions as unknown[],
    exitConditions: row.exit_conditions as unknown[],
    riskParams: row.risk_params as Record<string, unknown>,
    isActive: row.is_active === true,
    haltedAt: (row.halted_at as Date | null) ?? null,
    haltReason: (row.halt_reason as string | null) ?? null,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

/** Creates a strategy for `userId`. */
export async function createStrategy(
  db: Queryable,
  userId: number,
  input: StrategyInput,
): Promise<StrategyRecord> {
  const rows = await db.query(
    `INSERT INTO strategies (user_id, name, symbol, interval, entry_conditions, exit_conditions, risk_params)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [
      userId,
      input.name,
      input.symbol,
      input.interval,
      input.entryConditions,
      input.exitConditions,
      input.riskParams,
    ],
  );
  return toStrategy(rows[0]!);
}

/** Lists a user's strategies, newest first. */
export async function listStrategies(db: Queryable, userId: number): Promise<StrategyRecord[]> {
  const rows = await db.query(
    `SELECT ${COLUMNS} FROM strategies WHERE user_id = $1 ORDER BY id DESC`,
    [userId],
  );
  return rows.map(toStrategy);
}

/** One of a user's strategies; null when it does not exist or is someone else's. */
export async function getStrategy(
  db: Queryable,
  userId: number,
  strategyId: number,
): Promise<StrategyRecord | null> {
  const rows = await db.query(
    `SELECT ${COLUMNS} FROM strategies WHERE id = $1 AND user_id = $2`,
    [strategyId, userId],
  );
  return rows[0] ? toStrategy(rows[0]) : null;
}

/** Replaces a user's strategy definition; null when not found for that user. */
export async function updateStrategy(
  db: Queryable,
  userId: number,
  strategyId: number,
  input: StrategyInput,
): Promise<StrategyRecord | null> {
  const rows = await db.query(
    `UPDATE strategies SET name = $3, symbol = $4, interval = $5, entry_conditions = $6,
       exit_conditions = $7, risk_params = $8, updated_at = NOW()
     WHERE id = $1 AND user_id = $2 RETURNING ${COLUMNS}`,
    [
      strategyId,
      userId,
      input.name,
      input.symbol,
      input.interval,
      input.entryConditions,
      input.exitConditions,
      input.riskParams,
    ],
  );
  return rows[0] ? toStrategy(rows[0]) : null;
}

/** Deletes a user's strategy (its trades and backtests cascade); false when not found. */
export async function deleteStrategy(
  db: Queryable,
  userId: number,
  strategyId: number,
): Promise<boolean> {
  const rows = await db.query(
    "DELETE FROM strategies WHERE id = $1 AND user_id = $2 RETURNING id",
    [strategyId, userId],
  );
  return rows.length > 0;
}

/** Activates or deactivates a user's strategy; activation clears a drawdown halt. */
export async function setStrategyActive(
  db: Queryable,
  userId: number,
  strategyId: number,
  active: boolean,
): Promise<StrategyRecord | null> {
  const rows = await db.query(
    `UPDATE strategies SET is_active = $3, updated_at = NOW(),
       halted_at = CASE WHEN $3 THEN NULL ELSE halted_at END,
       halt_reason = CASE WHEN $3 THEN NULL ELSE halt_reason END
     WHERE id = $1 AND user_id = $2 RETURNING ${COLUMNS}`,
    [strategyId, userId, active],
  );
  return rows[0] ? toStrategy(rows[0]) : null;
}

/** Engine-side: deactivates a strategy because its drawdown breaker tripped. */
export async function haltStrategy(
  db: Queryable,
  strategyId: number,
  reason: string,
): Promise<void> {
  await db.query(
    `UPDATE strategies SET is_active = FALSE, halted_at = NOW(), halt_reason = $2, updated_at = NOW()
     WHERE id = $1`,
    [strategyId, reason],
  );
}

/**
 * Engine-side: every active strategy of every user (the pipeline's work
 * list), or only those of `ids` among them.
 */
export async function listActiveStrategies(
  db: Queryable,
  ids?: readonly number[],
): Promise<StrategyRecord[]> {
  const rows = ids === undefined
    ? await db.query(`SELECT ${COLUMNS} FROM strategies WHERE is_active ORDER BY id`)
    : await db.query(
      `SELECT ${COLUMNS} FROM strategies WHERE is_active AND id = ANY($1::int[]) ORDER BY id`,
      [ids],
    );
  return rows.map(toStrategy);
}

/** A strategy with the figures the strategy list shows (one query, no N+1). */
export interface StrategyOverviewRow {
  /** The strategy. */
  strategy: StrategyRecord;
  /** Close time of the last candle the live runner processed; null before the first. */
  lastCandleCloseTime: number | null;
  /** The open position, if any (prices as decimal strings). */
  openTrade: {
    id: number;
    entryPrice: string;
    quantity: string;
    takeProfitPrice: string | null;
    stopLossPrice: string | null;
    entryTimestamp: Date;
  } | null;
  /** Trades no longer open. */
  closedTrades: number;
  /** Sum of their P&L (decimal string). */
  realizedPnl: string;
  /** The newest backtest's summary, if any. */
  lastBacktest: {
    id: number;
    totalTrades: number;
    totalPnl: string;
    winRate: number;
    maxDrawdown: number;
    sharpeRatio: number | null;
    createdAt: Date;
  } | null;
}

const trim = (v: unknown): string => trimDecimal(String(v));

/**
 * A user's strategies with runtime, open position, realized P&L and last
 * backtest — all of them, or only `strategyId` when given. Newest first.
 */
export async function listStrategyOverviews(
  db: Queryable,
  userId: number,
  strategyId: number | null = null,
): Promise<StrategyOverviewRow[]> {
  const cols = COLUMNS.split(",").map((c) => `s.${c.trim()}`).join(", ");
  const rows = await db.query(
    `SELECT ${cols}, r.last_candle_close_time,
       o.id AS o_id, o.entry_price AS o_entry_price, o.quantity AS o_quantity,
       o.take_profit_price AS o_tp, o.stop_loss_price AS o_sl, o.entry_timestamp AS o_entry_ts,
       t.n AS closed_trades, t.pnl AS realized_pnl,
       b.id AS b_id, b.total_trades AS b_total_trades, b.total_pnl AS b_total_pnl,
       b.win_rate AS b_win_rate, b.max_drawdown AS b_max_drawdown, b.sharpe_ratio AS b_sharpe,
       b.created_at AS b_created_at
     FROM strategies s
     LEFT JOIN strategy_runtime r ON r.strategy_id = s.id
     LEFT JOIN LATERAL (SELECT id, entry_price, quantity, take_profit_price, stop_loss_price,
         entry_timestamp FROM trades WHERE strategy_id = s.id AND status = 'OPEN'
         ORDER BY id DESC LIMIT 1) o ON TRUE
     LEFT JOIN LATERAL (SELECT COUNT(*)::int AS n, COALESCE(SUM(pnl), 0)::text AS pnl
         FROM trades WHERE strategy_id = s.id AND status <> 'OPEN') t ON TRUE
     LEFT JOIN LATERAL (SELECT id, total_trades, total_pnl, win_rate, max_drawdown, sharpe_ratio,
         created_at FROM backtest_results WHERE strategy_id = s.id
         ORDER BY created_at DESC, id DESC LIMIT 1) b ON TRUE
     WHERE s.user_id = $1 AND ($2::int IS NULL OR s.id = $2)
     ORDER BY s.id DESC`,
    [userId, strategyId],
  );
  return rows.map((row) => ({
    strategy: toStrategy(row),
    lastCandleCloseTime: row.last_candle_close_time === null ||
        row.last_candle_close_time === undefined
      ? null
      : Number(row.last_candle_close_time),
    openTrade: row.o_id === null || row.o_id === undefined ? null : {
      id: Number(row.o_id),
      entryPrice: trim(row.o_entry_price),
      quantity: trim(row.o_quantity),
      takeProfitPrice: row.o_tp === null ? null : trim(row.o_tp),
      stopLossPrice: row.o_sl === null ? null : trim(row.o_sl),
      entryTimestamp: row.o_entry_ts as Date,
    },
    closedTrades: Number(row.closed_trades ?? 0),
    realizedPnl: trim(row.realized_pnl ?? "0"),
    lastBacktest: row.b_id === null || row.b_id === undefined ? null : {
      id: Number(row.b_id),
      totalTrades: Number(row.b_total_trades),
      totalPnl: trim(row.b_total_pnl),
      winRate: Number(row.b_win_rate),
      maxDrawdown: Number(row.b_max_drawdown),
      sharpeRatio: row.b_sharpe === null ? null : Number(row.b_sharpe),
      createdAt: row.b_created_at as Date,
    },
  }));
}
