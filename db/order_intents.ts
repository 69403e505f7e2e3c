/**
 * SQL of the execution stage's own tables: order intents (every order is
 * recorded with its deterministic client id before it is sent), the batched
 * entry claim that also reads the strategy's context, the breaker's inputs
 * (strategy_runtime.peak_equity, realized P&L) and the trade look-ups the
 * engine needs by id and signal.
 *
 * @module
 */

import type { Queryable } from "./port.ts";
import { toTrade, type TradeRecord, trimDecimal } from "./trades.ts";

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
  /** Close time of the signal's candle (ENTRY intents; the entry gate's watermark). */
  candleCloseTime?: number | null;
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
       status, symbol, is_paper, payload, candle_close_time)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
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
      intent.candleCloseTime ?? null,
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

/** An intent as a row of `jsonb_to_recordset` (the batched statements' input). */
function intentRow(intent: NewIntent) {
  return {
    client_order_id: intent.clientOrderId,
    user_id: intent.userId,
    strategy_id: intent.strategyId,
    trade_id: intent.tradeId,
    signal_id: intent.signalId,
    kind: intent.kind,
    status: intent.status ?? "PENDING",
    symbol: intent.symbol,
    is_paper: intent.isPaper,
    payload: intent.payload,
    candle_close_time: intent.candleCloseTime ?? null,
  };
}

/**
 * Records many intents in one statement (the hot path's group commit), each
 * idempotent on its client id as in {@link recordIntent}. Results are in the
 * order of `intents`.
 */
export async function recordIntents(
  db: Queryable,
  intents: readonly NewIntent[],
): Promise<{ created: boolean; intent: IntentRecord }[]> {
  if (intents.length === 0) return [];
  const rows = await db.query(
    `INSERT INTO order_intents (client_order_id, user_id, strategy_id, trade_id, signal_id, kind,
       status, symbol, is_paper, payload, candle_close_time)
     SELECT x.client_order_id, x.user_id, x.strategy_id, x.trade_id, x.signal_id, x.kind,
       x.status, x.symbol, x.is_paper, x.payload, x.candle_close_time
     FROM jsonb_to_recordset($1::jsonb) AS x(client_order_id text, user_id int, strategy_id int,
       trade_id int, signal_id text, kind text, status text, symbol text, is_paper boolean,
       payload jsonb, candle_close_time bigint)
     ON CONFLICT (client_order_id) DO NOTHING RETURNING *`,
    [intents.map(intentRow)],
  );
  const created = new Map(rows.map((row) => [String(row.client_order_id), toIntent(row)]));
  const existing = new Map<string, IntentRecord>();
  const missing = intents.filter((i) => !created.has(i.clientOrderId)).map((i) => i.clientOrderId);
  if (missing.length > 0) {
    const found = await db.query(
      "SELECT * FROM order_intents WHERE client_order_id = ANY($1::text[])",
      [missing],
    );
    for (const row of found) existing.set(String(row.client_order_id), toIntent(row));
  }
  return intents.map((i) => {
    const mine = created.get(i.clientOrderId);
    if (mine) return { created: true, intent: mine };
    return { created: false, intent: existing.get(i.clientOrderId)! };
  });
}

/** An intent kept elsewhere first (the execution stage's journal), with when it was made. */
export type RestoredIntent = NewIntent & { journaledAt: number };

/**
 * Copies intents kept first in the execution stage's journal into
 * `order_intents`, idempotent on the client id; `created_at` is when each
 * was journaled (reconciliation's in-flight rule counts from then). An
 * intent whose strategy was deleted meanwhile keeps no strategy; one whose
 * user is gone is skipped. Returns the client ids now stored (`stored`) and
 * those of them this call inserted (`created`).
 */
export async function restoreIntents(
  db: Queryable,
  intents: readonly RestoredIntent[],
): Promise<{ stored: string[]; created: string[] }> {
  if (intents.length === 0) return { stored: [], created: [] };
  const rows = await db.query(
    `WITH x AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(client_order_id text, user_id int,
         strategy_id int, trade_id int, signal_id text, kind text, status text, symbol text,
         is_paper boolean, payload jsonb, candle_close_time bigint, journaled_at float8)
     ), ins AS (
       INSERT INTO order_intents (client_order_id, user_id, strategy_id, trade_id, signal_id,
         kind, status, symbol, is_paper, payload, candle_close_time, created_at, updated_at)
       SELECT x.client_order_id, x.user_id,
         (SELECT s.id FROM strategies s WHERE s.id = x.strategy_id),
         (SELECT t.id FROM trades t WHERE t.id = x.trade_id),
         x.signal_id, x.kind, x.status, x.symbol, x.is_paper, x.payload, x.candle_close_time,
         to_timestamp(x.journaled_at / 1000.0), NOW()
       FROM x WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = x.user_id)
       ON CONFLICT (client_order_id) DO NOTHING RETURNING client_order_id
     )
     SELECT client_order_id, TRUE AS created FROM ins
     UNION ALL SELECT i.client_order_id, FALSE FROM order_intents i JOIN x USING (client_order_id)`,
    [intents.map((intent) => ({ ...intentRow(intent), journaled_at: intent.journaledAt }))],
  );
  // The outer SELECT sees the table before the insert: a row is either new or was there.
  return {
    stored: rows.map((row) => String(row.client_order_id)),
    created: rows.filter((row) => row.created === true).map((row) => String(row.client_order_id)),
  };
}

/** What the execution service asks about one signal before acting on it. */
export interface SignalLookup {
  /** The signal's user. */
  userId: number;
  /** The signal's strategy. */
  strategyId: number;
  /** The client id the signal's own order would carry (entry or exit). */
  clientOrderId: string;
}

/** What the database says about a signal's strategy and user, in one row. */
export interface SignalContext {
  /** Whether the strategy exists for this user. */
  found: boolean;
  /** Active. */
  isActive: boolean;
  /** Halted by the breaker. */
  halted: boolean;
  /** The OPEN trade of the strategy, if any. */
  openTradeId: number | null;
  /** An earlier ENTRY intent of the strategy is still PENDING (its outcome unknown). */
  pendingEntry: boolean;
  /** The newest candle close time among the strategy's ENTRY intents, null when none. */
  lastEntryCandle: number | null;
  /** Status of the intent under the signal's own client id, null when none (not handled yet). */
  ownIntentStatus: IntentStatus | null;
  /** The user's trading mode. */
  tradingMode: "paper" | "live";
  /** The user's active API key id, null when none. */
  activeKeyId: number | null;
}

/**
 * The signal context of each row of a CTE `x(ord, user_id, strategy_id,
 * client_order_id)`: the strategy's flags and open trade, its user's mode and
 * active key, and the status of the intent under the signal's own client id.
 */
const CONTEXT_OF_X = `SELECT x.ord, x.client_order_id, s.id IS NOT NULL AS found,
     COALESCE(s.is_active, FALSE) AS is_active, s.halted_at IS NOT NULL AS halted,
     u.trading_mode,
     (SELECT k.id FROM user_api_keys k WHERE k.user_id = s.user_id AND k.is_active LIMIT 1)
       AS active_key_id,
     (SELECT t.id FROM trades t WHERE t.strategy_id = s.id AND t.status = 'OPEN'
       ORDER BY t.id DESC LIMIT 1) AS open_trade_id,
     (SELECT i.status FROM order_intents i WHERE i.client_order_id = x.client_order_id)
       AS own_status,
     EXISTS (SELECT 1 FROM order_intents p WHERE p.status = 'PENDING' AND p.kind = 'ENTRY'
       AND p.strategy_id = s.id AND p.client_order_id <> x.client_order_id) AS pending_entry,
     (SELECT max(e.candle_close_time) FROM order_intents e WHERE e.strategy_id = s.id
       AND e.kind = 'ENTRY') AS last_entry_candle
   FROM x
   LEFT JOIN strategies s ON s.id = x.strategy_id AND s.user_id = x.user_id
   LEFT JOIN users u ON u.id = s.user_id`;

/**
 * Loads the context of many signals in one statement: each strategy's
 * flags and open trade, its user's mode and active key, and whether the
 * signal's own intent exists already. Results are in the order of `lookups`;
 * a strategy that is not the user's comes back `found: false`.
 */
export async function loadSignalContexts(
  db: Queryable,
  lookups: readonly SignalLookup[],
): Promise<SignalContext[]> {
  if (lookups.length === 0) return [];
  const rows = await db.query(
    `WITH x AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(ord int, user_id int, strategy_id int,
         client_order_id text)
     )
     ${CONTEXT_OF_X}`,
    [lookups.map((l, ord) => ({
      ord,
      user_id: l.userId,
      strategy_id: l.strategyId,
      client_order_id: l.clientOrderId,
    }))],
  );
  const byOrd = new Map(rows.map((row) => [Number(row.ord), row]));
  return lookups.map((_, ord) => toContext(byOrd.get(ord)));
}

/** What recording an entry found. */
export interface ClaimResult {
  /** True when this call recorded the intent (false: the signal was handled before). */
  created: boolean;
  /** The strategy and user as they were just before the intent was recorded. */
  context: SignalContext;
}

/**
 * Records entry intents and reads their signals' context in one statement
 * (the entry's only round trip before it is sent): each intent is inserted
 * unless its client id exists, and the strategy's flags, open trade and the
 * user's account come back as they were just before. The caller decides
 * with engine/execution `decideSignal` and drops a recorded intent when the
 * decision is to skip ({@link dropUnsentIntent}), so the rule lives in one place.
 */
export async function claimEntries(
  db: Queryable,
  intents: readonly NewIntent[],
): Promise<ClaimResult[]> {
  if (intents.length === 0) return [];
  const rows = await db.query(
    `WITH x AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(ord int, client_order_id text,
         user_id int, strategy_id int, signal_id text, symbol text, is_paper boolean,
         payload jsonb, candle_close_time bigint)
     ), ctx AS (
       ${CONTEXT_OF_X}
     ), ins AS (
       INSERT INTO order_intents (client_order_id, user_id, strategy_id, signal_id, kind, status,
         symbol, is_paper, payload, candle_close_time)
       SELECT x.client_order_id, x.user_id, x.strategy_id, x.signal_id, 'ENTRY', 'PENDING',
         x.symbol, x.is_paper, x.payload, x.candle_close_time
       FROM x JOIN ctx USING (ord) WHERE ctx.found
       ON CONFLICT (client_order_id) DO NOTHING RETURNING client_order_id
     )
     SELECT ctx.*, ins.client_order_id IS NOT NULL AS created
     FROM ctx LEFT JOIN ins USING (client_order_id)`,
    [intents.map((intent, ord) => ({ ord, ...intentRow(intent) }))],
  );
  const byOrd = new Map(rows.map((row) => [Number(row.ord), row]));
  return intents.map((_, ord) => {
    const row = byOrd.get(ord);
    return { created: row?.created === true, context: toContext(row) };
  });
}

function toContext(row: Record<string, unknown> | undefined): SignalContext {
  return {
    found: row?.found === true,
    isActive: row?.is_active === true,
    halted: row?.halted === true,
    openTradeId: row?.open_trade_id == null ? null : Number(row.open_trade_id),
    pendingEntry: row?.pending_entry === true,
    lastEntryCandle: row?.last_entry_candle == null ? null : Number(row.last_entry_candle),
    ownIntentStatus: (row?.own_status as IntentStatus | null | undefined) ?? null,
    tradingMode: row?.trading_mode === "live" ? "live" : "paper",
    activeKeyId: row?.active_key_id == null ? null : Number(row.active_key_id),
  };
}

/** Deletes an ENTRY intent that was recorded but never sent (still PENDING). */
export async function dropUnsentIntent(db: Queryable, clientOrderId: string): Promise<void> {
  await db.query(
    "DELETE FROM order_intents WHERE client_order_id = $1 AND status = 'PENDING' AND kind = 'ENTRY'",
    [clientOrderId],
  );
}

/** What the drawdown breaker reads of a strategy, in one statement. */
export interface BreakerInputs {
  /** Strategy name (for the halt message). */
  name: string;
  /** Symbol. */
  symbol: string;
  /** Halted already. */
  halted: boolean;
  /** Stored risk parameters. */
  riskParams: Record<string, unknown>;
  /** Persisted peak equity, null when never evaluated. */
  peakEquity: number | null;
  /** Realized P&L of its closed trades (decimal string). */
  realizedPnl: string;
  /** Its OPEN trade, if any. */
  openTradeId: number | null;
}

/** The breaker's inputs of a user's strategy; null when it is not theirs. */
export async function loadBreakerInputs(
  db: Queryable,
  userId: number,
  strategyId: number,
): Promise<BreakerInputs | null> {
  const rows = await db.query(
    `SELECT s.name, s.symbol, s.halted_at IS NOT NULL AS halted, s.risk_params,
       (SELECT r.peak_equity::text FROM strategy_runtime r WHERE r.strategy_id = s.id) AS peak,
       (SELECT COALESCE(SUM(t.pnl), 0)::text FROM trades t
         WHERE t.strategy_id = s.id AND t.status <> 'OPEN' AND t.pnl IS NOT NULL) AS realized,
       (SELECT t.id FROM trades t WHERE t.strategy_id = s.id AND t.status = 'OPEN'
         ORDER BY t.id DESC LIMIT 1) AS open_trade_id
     FROM strategies s WHERE s.id = $1 AND s.user_id = $2`,
    [strategyId, userId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    name: String(row.name),
    symbol: String(row.symbol),
    halted: row.halted === true,
    riskParams: row.risk_params as Record<string, unknown>,
    peakEquity: row.peak == null ? null : Number(row.peak),
    realizedPnl: trimDecimal(String(row.realized ?? "0")),
    openTradeId: row.open_trade_id == null ? null : Number(row.open_trade_id),
  };
}
