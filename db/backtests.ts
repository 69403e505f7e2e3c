/**
 * Backtest results repository; reads are scoped through the strategy's owner.
 *
 * @module
 */
import type { Queryable } from "./port.ts";
import { trimDecimal } from "./trades.ts";

/** A stored backtest result. */
export interface BacktestRecord {
  /** Row id. */
  id: number;
  /** Strategy. */
  strategyId: number;
  /** First candle time. */
  startDate: Date;
  /** Last candle time. */
  endDate: Date;
  /** Closed trades. */
  totalTrades: number;
  /** Trades with pnl > 0. */
  winningTrades: number;
  /** Other trades. */
  losingTrades: number;
  /** Net P&L (quote) as decimal string. */
  totalPnl: string;
  /** Max drawdown in %. */
  maxDrawdown: number;
  /** Sharpe ratio (annualised); null when undefined. */
  sharpeRatio: number | null;
  /** Win rate 0–1. */
  winRate: number;
  /** Run inputs. */
  params: Record<string, unknown>;
  /** Candles replayed. */
  candles: number;
  /** Creation time. */
  createdAt: Date;
}

/** A result with its trade list and equity curve. */
export interface BacktestDetail extends BacktestRecord {
  /** Trades. */
  trades: unknown[];
  /** Equity curve points. */
  equityCurve: unknown[];
}

const SUMMARY = `b.id, b.strategy_id, b.start_date, b.end_date, b.total_trades, b.winning_trades,
  b.losing_trades, b.total_pnl, b.max_drawdown, b.sharpe_ratio, b.win_rate, b.params, b.candles, b.created_at`;

function toRecord(row: Record<string, unknown>): BacktestRecord {
  return {
    id: Number(row.id),
    strategyId: Number(row.strategy_id),
    startDate: row.start_date as Date,
    endDate: row.end_date as Date,
    totalTrades: Number(row.total_trades),
    winningTrades: Number(row.winning_trades),
    losingTrades: Number(row.losing_trades),
    totalPnl: trimDecimal(String(row.total_pnl)),
    maxDrawdown: Number(row.max_drawdown),
    sharpeRatio: row.sharpe_ratio === null ? null : Number(row.sharpe_ratio),
    winRate: Number(row.win_rate),
    params: (row.params ?? {}) as Record<string, unknown>,
    candles: Number(row.candles),
    createdAt: row.created_at as Date,
  };
}

/** What a finished backtest stores. */
export interface BacktestInsert {
  /** Strategy. */
  strategyId: number;
  /** First candle time. */
  startDate: Date;
  /** Last candle time. */
  endDate: Date;
  /** Closed trades. */
  totalTrades: number;
  /** Winning trades. */
  winningTrades: number;
  /** Losing trades. */
  losingTrades: number;
  /** Net P&L decimal string. */
  totalPnl: string;
  /** Max drawdown %. */
  maxDrawdown: number;
  /** Sharpe. */
  sharpeRatio: number | null;
  /** Win rate 0–1. */
  winRate: number;
  /** Inputs. */
  params: Record<string, unknown>;
  /** Trades. */
  trades: unknown[];
  /** Equity curve. */
  equityCurve: unknown[];
  /** Candles replayed. */
  candles: number;
}

/** Stores a result. DECIMAL(10,4) columns are clamped so extreme ratios never fail the insert. */
export async function insertBacktest(db: Queryable, b: BacktestInsert): Promise<BacktestRecord> {
  const clamp = (x: number) => Math.max(-999_999, Math.min(999_999, x));
  const rows = await db.query(
    `INSERT INTO backtest_results AS b (strategy_id, start_date, end_date, total_trades, winning_trades,
       losing_trades, total_pnl, max_drawdown, sharpe_ratio, win_rate, params, trades, equity_curve, candles)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING ${SUMMARY}`,
    [
      b.strategyId,
      b.startDate,
      b.endDate,
      b.totalTrades,
      b.winningTrades,
      b.losingTrades,
      b.totalPnl,
      clamp(b.maxDrawdown).toFixed(4),
      b.sharpeRatio === null || !Number.isFinite(b.sharpeRatio)
        ? null
        : clamp(b.sharpeRatio).toFixed(4),
      b.winRate.toFixed(4),
      b.params,
      b.trades,
      b.equityCurve,
      b.candles,
    ],
  );
  return toRecord(rows[0]!);
}

/** A user's backtests of one strategy, newest first. */
export async function listBacktests(
  db: Queryable,
  userId: number,
  strategyId: number,
): Promise<BacktestRecord[]> {
  const rows = await db.query(
    `SELECT ${SUMMARY} FROM backtest_results b JOIN strategies s ON s.id = b.strategy_id
     WHERE b.strategy_id = $1 AND s.user_id = $2 ORDER BY b.created_at DESC, b.id DESC`,
    [strategyId, userId],
  );
  return rows.map(toRecord);
}

/** One of a user's backtests with trades and equity; null when missing or someone else's. */
export async function getBacktest(
  db: Queryable,
  userId: number,
  backtestId: number,
): Promise<BacktestDetail | null> {
  const rows = await db.query(
    `SELECT ${SUMMARY}, b.trades, b.equity_curve FROM backtest_results b
     JOIN strategies s ON s.id = b.strategy_id WHERE b.id = $1 AND s.user_id = $2`,
    [backtestId, userId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    ...toRecord(row),
    trades: row.trades as unknown[],
    equityCurve: row.equity_curve as unknown[],
  };
}
