/**
 * Strategies repository. Every query that reads or changes a user's strategy
 * takes the user id; the engine-side queries (active strategies) say so.
 *
 * @module
 */
import type { Queryable } from "./port.ts";

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

/** Engine-side: every active strategy of every user (the pipeline's work list). */
export async function listActiveStrategies(db: Queryable): Promise<StrategyRecord[]> {
  const rows = await db.query(
    `SELECT ${COLUMNS} FROM strategies WHERE is_active ORDER BY id`,
  );
  return rows.map(toStrategy);
}
