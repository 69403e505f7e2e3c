/**
 * SQL of the execution worker's own tables: order intents (every order is
 * recorded with its deterministic client id before it is sent), the
 * breaker's peak equity (strategy_runtime.peak_equity) and the trade
 * look-ups the engine needs by id and signal. Kept in one place, as
 * workers/_strategy_runtime.ts does for the strategy stage.
 *
 * @module
 */

import type { Queryable } from "../db/port.ts";
import { toTrade, type TradeRecord, trimDecimal } from "../db/trades.ts";

/** Kinds of order intents. */
export type IntentKind = "ENTRY" | "OCO" | "EXIT" | "CANCEL";
/** Intent outcome. */
export type IntentStatus = "PENDING" | "DONE" | "FAILED";

/** A stored order intent. */
export interface IntentRecord {
  /** Deterministic client id (list client id for an OCO). */
  clientOrderId: string;
  /** Owner. */
  userId: number;
  /** Strategy. */
  strategyId: number | null;
  /** Trade, once it exists. */
  tradeId: number | null;
  /** Signal the ids derive from. */
  signalId: string;
  /** What is sent. */
  kind: IntentKind;
  /** Outcome. */
  status: IntentStatus;
  /** Symbol. */
  symbol: string;
  /** Paper or live. */
  isPaper: boolean;
  /** The command and its context. */
  payload: Record<string, unknown>;
  /** The exchange's answer or the failure. */
  result: Record<string, unknown> | null;
  /** Age in ms by the database clock (only from {@link listPendingIntents}). */
  ageMs?: number;
}

/** A new intent. */
export type NewIntent = Omit<IntentRecord, "status" | "result" | "ageMs"> & {
  status?: IntentStatus;
};

function toIntent(row: Record<string, unknown>): IntentRecord {
  return {
    clientOrderId: String(row.client_order_id),
    userId: Number(row.user_id),
    strategyId: row.strategy_id === null ? null : Number(row.strategy_id),
    tradeId: row.trade_id === null ? null : Number(row.trade_id),
    signalId: String(row.signal_id),
    kind: row.kind as IntentKind,
    status: row.status as IntentStatus,
    symbol: String(row.symbol),
    isPaper: row.is_paper === true,
    payload: (row.payload ?? {}) as Record<string, unknown>,
    result: (row.result as Record<string, unknown> | null) ?? null,
    ...(row.age_ms === undefined ? {} : { ageMs: Number(row.age_ms) }),
  };
}

/**
 * Records an intent before its order is sent. Idempotent on the client id:
 * returns `{ created: false }` with the stored row when it already exists.
 */
export async function recordIntent(
  db: Queryable,
  intent: NewIntent,
): Promise<{ created: boolean; intent: IntentRecord }> {
  const rows = await db.query(
    `INSERT INTO order_intents (client_order_id, user_id, strategy_id, trade_id, signal_id, kind,
       status, symbol, is_paper, payload)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (client_order_id) DO NOTHING RETURNING *`,
    [
      intent.clientOrderId,
      intent.userId,
      intent.strategyId,
      intent.tradeId,
      intent.signalId,
      intent.kind,
      intent.status ?? "PENDING",
      intent.symbol,
      intent.isPaper,
      intent.payload,
    ],
  );
  if (rows[0]) return { created: true, intent: toIntent(rows[0]) };
  return { created: false, intent: (await getIntent(db, intent.clientOrderId))! };
}

/** The intent with this client id, or null. */
export async function getIntent(
  db: Queryable,
  clientOrderId: string,
): Promise<IntentRecord | null> {
  const rows = await db.query("SELECT * FROM order_intents WHERE client_order_id = $1", [
    clientOrderId,
  ]);
  return rows[0] ? toIntent(rows[0]) : null;
}

/** Sets an intent's outcome (and its trade, when it is now known). */
export async function finishIntent(
  db: Queryable,
  clientOrderId: string,
  status: IntentStatus,
  result: Record<string, unknown> | null,
  tradeId?: number,
): Promise<void> {
  await db.query(
    `UPDATE order_intents SET status = $2, result = $3, trade_id = COALESCE($4, trade_id),
       updated_at = NOW() WHERE client_order_id = $1`,
    [clientOrderId, status, result, tradeId ?? null],
  );
}

/** Every PENDING intent, oldest first (reconciliation's work list). */
export async function listPendingIntents(db: Queryable): Promise<IntentRecord[]> {
  const rows = await db.query(
    `SELECT *, (EXTRACT(EPOCH FROM (NOW() - created_at)) * 1000)::float8 AS age_ms
     FROM order_intents WHERE status = 'PENDING' ORDER BY created_at, client_order_id`,
  );
  return rows.map(toIntent);
}

/** A trade's intents of one kind, oldest first. */
export async function listTradeIntents(
  db: Queryable,
  tradeId: number,
  kind: IntentKind,
): Promise<IntentRecord[]> {
  const rows = await db.query(
    `SELECT * FROM order_intents WHERE trade_id = $1 AND kind = $2
     ORDER BY created_at, client_order_id`,
    [tradeId, kind],
  );
  return rows.map(toIntent);
}

/** A trade by id (engine-side, any user). */
export async function findTradeById(db: Queryable, tradeId: number): Promise<TradeRecord | null> {
  const rows = await db.query("SELECT * FROM trades WHERE id = $1", [tradeId]);
  return rows[0] ? toTrade(rows[0]) : null;
}

/** The trade a signal opened, if any. */
export async function findTradeBySignal(
  db: Queryable,
  signalId: string,
): Promise<TradeRecord | null> {
  const rows = await db.query("SELECT * FROM trades WHERE signal_id = $1", [signalId]);
  return rows[0] ? toTrade(rows[0]) : null;
}

/** Realized P&L of a strategy's closed trades (decimal string). */
export async function realizedPnlOf(db: Queryable, strategyId: number): Promise<string> {
  const rows = await db.query(
    `SELECT COALESCE(SUM(pnl), 0)::text AS pnl FROM trades
     WHERE strategy_id = $1 AND status <> 'OPEN' AND pnl IS NOT NULL`,
    [strategyId],
  );
  return trimDecimal(String(rows[0]?.pnl ?? "0"));
}

/** The breaker's persisted peak equity, null when never evaluated. */
export async function loadPeakEquity(db: Queryable, strategyId: number): Promise<number | null> {
  const rows = await db.query(
    "SELECT peak_equity::text AS peak FROM strategy_runtime WHERE strategy_id = $1",
    [strategyId],
  );
  const peak = rows[0]?.peak;
  return peak === null || peak === undefined ? null : Number(peak);
}

/** Persists the breaker's peak equity (the strategy stage owns the other columns). */
export async function savePeakEquity(
  db: Queryable,
  strategyId: number,
  peak: number,
): Promise<void> {
  await db.query(
    `INSERT INTO strategy_runtime (strategy_id, peak_equity, updated_at) VALUES ($1, $2, NOW())
     ON CONFLICT (strategy_id) DO UPDATE SET peak_equity = EXCLUDED.peak_equity, updated_at = NOW()`,
    [strategyId, peak.toFixed(10)],
  );
}
