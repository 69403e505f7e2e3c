/**
 * SQL of the strategy_runtime table as the strategy stage uses it: the last
 * processed candle and the indicator snapshot per strategy (the breaker's
 * peak equity in the same rows is db/order_intents.ts's).
 *
 * @module
 */

import type { Queryable } from "./port.ts";
import type { LiveStrategyState } from "../engine/live/live_strategy.ts";

/** One strategy's persisted runtime. */
export interface RuntimeRow {
  /** Strategy id. */
  strategyId: number;
  /** Close time of the last processed candle (null before the first). */
  lastCandleCloseTime: number | null;
  /** The snapshot (null when the next start must warm up). */
  state: LiveStrategyState | null;
}

/** The runtime rows of `strategyIds`, by id. */
export async function loadRuntime(
  db: Queryable,
  strategyIds: readonly number[],
): Promise<Map<number, RuntimeRow>> {
  if (strategyIds.length === 0) return new Map();
  const rows = await db.query(
    `SELECT strategy_id, last_candle_close_time, state FROM strategy_runtime
     WHERE strategy_id = ANY($1::int[])`,
    [strategyIds],
  );
  return new Map(rows.map((r) => {
    const id = Number(r.strategy_id);
    const t = r.last_candle_close_time;
    return [id, {
      strategyId: id,
      lastCandleCloseTime: t === null || t === undefined ? null : Number(t),
      state: (r.state ?? null) as LiveStrategyState | null,
    }];
  }));
}

/** Upserts many rows in one statement. */
export async function saveRuntime(db: Queryable, rows: readonly RuntimeRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    const batch = rows.slice(i, i + 500);
    const params: unknown[] = [];
    const values = batch.map((row) => {
      params.push(row.strategyId, row.lastCandleCloseTime, row.state);
      const n = params.length;
      return `($${n - 2}::int, $${n - 1}::bigint, $${n}::jsonb)`;
    });
    // A strategy deleted meanwhile is skipped rather than failing the whole batch.
    await db.query(
      `INSERT INTO strategy_runtime (strategy_id, last_candle_close_time, state, updated_at)
       SELECT v.id, v.t, v.s, NOW() FROM (VALUES ${values.join(", ")}) AS v(id, t, s)
       WHERE EXISTS (SELECT 1 FROM strategies WHERE id = v.id)
       ON CONFLICT (strategy_id) DO UPDATE SET last_candle_close_time = EXCLUDED.last_candle_close_time,
         state = EXCLUDED.state, updated_at = EXCLUDED.updated_at`,
      params,
    );
  }
}

/** Drops the snapshot of a deactivated strategy (its next activation warms up afresh). */
export async function clearRuntimeState(db: Queryable, strategyId: number): Promise<void> {
  await db.query(
    "UPDATE strategy_runtime SET state = NULL, updated_at = NOW() WHERE strategy_id = $1",
    [strategyId],
  );
}
