/**
 * Trades repository. Prices, quantities, fees and P&L are decimal strings in
 * and out (DECIMAL(20,10) columns); every user-facing query takes the user id.
 *
 * @module
 */
import type { Queryable } from "./port.ts";

/**
 * A trade's status: the design's list plus CLOSED_SIGNAL (the exit conditions
 * closed it) and CLOSED_DUST (too small to sell: written off at the last price).
 */
export type TradeStatus =
  | "OPEN"
  | "CLOSED_TP"
  | "CLOSED_SL"
  | "CLOSED_MANUAL"
  | "CLOSED_SIGNAL"
  | "CLOSED_DUST"
  | "FAILED";

/** A stored trade. */
export interface TradeRecord {
  /** Trade id. */
  id: number;
  /** Owner. */
  userId: number;
  /** Strategy that opened it. */
  strategyId: number;
  /** Symbol. */
  symbol: string;
  /** Status. */
  status: TradeStatus;
  /** Whether it was made on the paper exchange. */
  isPaper: boolean;
  /** Signal id that opened it. */
  signalId: string;
  /** Client order id of the entry. */
  clientOrderIdEntry: string;
  /** Exchange order id of the entry. */
  binanceOrderIdEntry: string;
  /** Exchange order list id of the OCO. */
  binanceOrderIdOco: string | null;
  /** Client id of the OCO list. */
  ocoListClientOrderId: string | null;
  /** Client id of the exit order (signal exit or flatten). */
  clientOrderIdExit: string | null;
  /** Average entry price. */
  entryPrice: string;
  /** Average exit price. */
  exitPrice: string | null;
  /** Base quantity bought. */
  quantity: string;
  /** Take-profit price of the OCO. */
  takeProfitPrice: string | null;
  /** Stop trigger price of the OCO. */
  stopLossPrice: string | null;
  /** Stop-limit price of the OCO. */
  stopLimitPrice: string | null;
  /** Entry time. */
  entryTimestamp: Date;
  /** Exit time. */
  exitTimestamp: Date | null;
  /** P&L net of fees, quote asset. */
  pnl: string | null;
  /** Total fees, quote asset. */
  fees: string;
  /** Entry fee, quote asset. */
  entryFee: string;
  /** Exit fee, quote asset. */
  exitFee: string;
  /** Why it failed or was flattened. */
  failureReason: string | null;
  /** Latency trace (ms timestamps per step). */
  latency: Record<string, number> | null;
  /** Creation time. */
  createdAt: Date;
}

const COLUMNS = `id, user_id, strategy_id, symbol, status, is_paper, signal_id,
  client_order_id_entry, binance_order_id_entry, binance_order_id_oco, oco_list_client_order_id,
  client_order_id_exit, entry_price, exit_price, quantity, take_profit_price, stop_loss_price,
  stop_limit_price, entry_timestamp, exit_timestamp, pnl, fees, entry_fee, exit_fee,
  failure_reason, latency, created_at`;

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** Strips the trailing zeros DECIMAL(20,10) pads with: "1.5000000000" → "1.5". */
export function trimDecimal(value: string): string {
  if (!value.includes(".")) return value;
  const trimmed = value.replace(/0+$/, "");
  return trimmed.endsWith(".") ? trimmed.slice(0, -1) : trimmed;
}

const dec = (
  v: unknown,
): string | null => (v === null || v === undefined ? null : trimDecimal(String(v)));

/** Maps a row of `trades` to a record. */
export function toTrade(row: Record<string, unknown>): TradeRecord {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    strategyId: Number(row.strategy_id),
    symbol: String(row.symbol),
    status: row.status as TradeStatus,
    isPaper: row.is_paper === true,
    signalId: String(row.signal_id),
    clientOrderIdEntry: String(row.client_order_id_entry),
    binanceOrderIdEntry: String(row.binance_order_id_entry),
    binanceOrderIdOco: str(row.binance_order_id_oco),
    ocoListClientOrderId: str(row.oco_list_client_order_id),
    clientOrderIdExit: str(row.client_order_id_exit),
    entryPrice: dec(row.entry_price)!,
    exitPrice: dec(row.exit_price),
    quantity: dec(row.quantity)!,
    takeProfitPrice: dec(row.take_profit_price),
    stopLossPrice: dec(row.stop_loss_price),
    stopLimitPrice: dec(row.stop_limit_price),
    entryTimestamp: row.entry_timestamp as Date,
    exitTimestamp: (row.exit_timestamp as Date | null) ?? null,
    pnl: dec(row.pnl),
    fees: dec(row.fees) ?? "0",
    entryFee: dec(row.entry_fee) ?? "0",
    exitFee: dec(row.exit_fee) ?? "0",
    failureReason: str(row.failure_reason),
    latency: (row.latency as Record<string, number> | null) ?? null,
    createdAt: row.created_at as Date,
  };
}

/** What the execution engine records once the entry is filled. */
export interface OpenTradeInput {
  /** Owner. */
  userId: number;
  /** Strategy. */
  strategyId: number;
  /** Symbol. */
  symbol: string;
  /** Paper or live. */
  isPaper: boolean;
  /** Signal id (unique: a signal opens at most one trade). */
  signalId: string;
  /** Entry client order id. */
  clientOrderIdEntry: string;
  /** Exchange order id of the entry. */
  binanceOrderIdEntry: string;
  /** Average fill price. */
  entryPrice: string;
  /** Executed base quantity. */
  quantity: string;
  /** Entry fee in quote. */
  entryFee: string;
  /** Fill time. */
  entryTimestamp: Date;
  /** Latency trace so far. */
  latency?: Record<string, number>;
}

/**
 * An order intent marked DONE by the same statement that records its outcome
 * in `trades` (a single statement is atomic: no transaction, one round trip).
 */
export interface IntentDone {
  /** The intent's client id. */
  clientOrderId: string;
  /** The exchange's answer, stored as the intent's result. */
  result: Record<string, unknown>;
}

// `$n` of the intent's client id and result: the statement's last two parameters.
function doneCte(first: number, tradeId: string): string {
  return `done AS (UPDATE order_intents SET status = 'DONE', result = $${first + 1},
       trade_id = COALESCE(${tradeId}, trade_id), updated_at = NOW()
     WHERE client_order_id = $${first} RETURNING 1)`;
}

/**
 * Records an OPEN trade. Idempotent on the signal id: recording the same
 * entry twice returns the existing row. With `done`, the entry intent is
 * marked DONE (with the trade's id) in the same statement.
 */
export async function insertOpenTrade(
  db: Queryable,
  t: OpenTradeInput,
  done?: IntentDone,
): Promise<TradeRecord> {
  const rows = await db.query(
    `WITH ins AS (
       INSERT INTO trades (user_id, strategy_id, symbol, status, is_paper, signal_id,
         client_order_id_entry, binance_order_id_entry, entry_price, quantity, entry_fee, fees,
         entry_timestamp, latency)
       VALUES ($1, $2, $3, 'OPEN', $4, $5, $6, $7, $8, $9, $10, $10, $11, $12)
       ON CONFLICT (signal_id) DO NOTHING RETURNING ${COLUMNS}
     ), row AS (
       SELECT * FROM ins
       UNION ALL
       SELECT ${COLUMNS} FROM trades WHERE signal_id = $5 AND NOT EXISTS (SELECT 1 FROM ins)
     )${done ? `, ${doneCte(13, "(SELECT id FROM row)")}` : ""}
     SELECT * FROM row`,
    [
      t.userId,
      t.strategyId,
      t.symbol,
      t.isPaper,
      t.signalId,
      t.clientOrderIdEntry,
      t.binanceOrderIdEntry,
      t.entryPrice,
      t.quantity,
      t.entryFee,
      t.entryTimestamp,
      t.latency ?? null,
      ...(done ? [done.clientOrderId, done.result] : []),
    ],
  );
  return toTrade(rows[0]!);
}

/** Records the OCO that protects an open trade. */
export async function setTradeOco(
  db: Queryable,
  tradeId: number,
  oco: {
    orderListId: string;
    listClientOrderId: string;
    takeProfitPrice: string;
    stopLossPrice: string;
    stopLimitPrice: string;
    latency?: Record<string, number>;
  },
  done?: IntentDone,
): Promise<void> {
  await db.query(
    `${done ? `WITH ${doneCte(8, "$1::int")} ` : ""}UPDATE trades SET binance_order_id_oco = $2,
       oco_list_client_order_id = $3, take_profit_price = $4, stop_loss_price = $5,
       stop_limit_price = $6, latency = COALESCE($7, latency), updated_at = NOW()
     WHERE id = $1`,
    [
      tradeId,
      oco.orderListId,
      oco.listClientOrderId,
      oco.takeProfitPrice,
      oco.stopLossPrice,
      oco.stopLimitPrice,
      oco.latency ?? null,
      ...(done ? [done.clientOrderId, done.result] : []),
    ],
  );
}

/**
 * Closes an OPEN trade; returns false when it was not OPEN (idempotent
 * close). With `done`, the exit intent is marked DONE in the same statement.
 */
export async function closeTrade(
  db: Queryable,
  tradeId: number,
  close: {
    status: Exclude<TradeStatus, "OPEN">;
    exitPrice: string | null;
    exitTimestamp: Date;
    pnl: string | null;
    exitFee: string;
    clientOrderIdExit?: string | null;
    binanceOrderIdExit?: string | null;
    failureReason?: string | null;
  },
  done?: IntentDone,
): Promise<boolean> {
  const rows = await db.query(
    `${
      done ? `WITH ${doneCte(10, "NULL::int")} ` : ""
    }UPDATE trades SET status = $2, exit_price = $3, exit_timestamp = $4, pnl = $5,
       exit_fee = $6, fees = entry_fee + $6::numeric, client_order_id_exit = COALESCE($7, client_order_id_exit),
       binance_order_id_exit = COALESCE($8, binance_order_id_exit),
       failure_reason = COALESCE($9, failure_reason), updated_at = NOW()
     WHERE id = $1 AND status = 'OPEN' RETURNING id`,
    [
      tradeId,
      close.status,
      close.exitPrice,
      close.exitTimestamp,
      close.pnl,
      close.exitFee,
      close.clientOrderIdExit ?? null,
      close.binanceOrderIdExit ?? null,
      close.failureReason ?? null,
      ...(done ? [done.clientOrderId, done.result] : []),
    ],
  );
  return rows.length > 0;
}

/** A user's trade by id; null when missing or someone else's. */
export async function getTrade(
  db: Queryable,
  userId: number,
  tradeId: number,
): Promise<TradeRecord | null> {
  const rows = await db.query(`SELECT ${COLUMNS} FROM trades WHERE id = $1 AND user_id = $2`, [
    tradeId,
    userId,
  ]);
  return rows[0] ? toTrade(rows[0]) : null;
}

/** A user's open trades, newest first. */
export async function listOpenTrades(db: Queryable, userId: number): Promise<TradeRecord[]> {
  const rows = await db.query(
    `SELECT ${COLUMNS} FROM trades WHERE user_id = $1 AND status = 'OPEN' ORDER BY entry_timestamp DESC, id DESC`,
    [userId],
  );
  return rows.map(toTrade);
}

/** Engine-side: every OPEN trade of every user (reconciliation's work list). */
export async function listAllOpenTrades(db: Queryable): Promise<TradeRecord[]> {
  const rows = await db.query(
    `SELECT ${COLUMNS} FROM trades WHERE status = 'OPEN' ORDER BY id`,
  );
  return rows.map(toTrade);
}

/** Engine-side: the OPEN trade of a strategy, if any (one position per strategy). */
export async function findOpenTradeForStrategy(
  db: Queryable,
  strategyId: number,
): Promise<TradeRecord | null> {
  const rows = await db.query(
    `SELECT ${COLUMNS} FROM trades WHERE strategy_id = $1 AND status = 'OPEN' ORDER BY id DESC LIMIT 1`,
    [strategyId],
  );
  return rows[0] ? toTrade(rows[0]) : null;
}

/** Filters for a user's trade history. */
export interface TradeHistoryFilter {
  /** Only this strategy. */
  strategyId?: number | undefined;
  /** Only this symbol. */
  symbol?: string | undefined;
  /** Only this status. */
  status?: TradeStatus | undefined;
  /** Entry at or after. */
  from?: Date | undefined;
  /** Entry before. */
  to?: Date | undefined;
  /** Sort column. */
  sort?: "entry_timestamp" | "exit_timestamp" | "pnl" | "symbol" | undefined;
  /** Sort direction. */
  order?: "asc" | "desc" | undefined;
  /** Page size (max 500). */
  limit?: number | undefined;
  /** Rows to skip. */
  offset?: number | undefined;
}

/** A page of a user's trades plus totals over the whole filtered set. */
export async function listTradeHistory(
  db: Queryable,
  userId: number,
  filter: TradeHistoryFilter = {},
): Promise<{ trades: TradeRecord[]; total: number; totalPnl: string; totalFees: string }> {
  const where = ["user_id = $1"];
  const params: unknown[] = [userId];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace("?", `$${params.length}`));
  };
  if (filter.strategyId !== undefined) add("strategy_id = ?", filter.strategyId);
  if (filter.symbol !== undefined) add("symbol = ?", filter.symbol);
  if (filter.status !== undefined) add("status = ?", filter.status);
  else where.push("status <> 'OPEN'");
  if (filter.from !== undefined) add("entry_timestamp >= ?", filter.from);
  if (filter.to !== undefined) add("entry_timestamp < ?", filter.to);
  const sort = filter.sort ?? "entry_timestamp";
  const order = filter.order === "asc" ? "ASC" : "DESC";
  const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
  const offset = Math.max(filter.offset ?? 0, 0);
  const clause = where.join(" AND ");
  const totals = await db.query(
    `SELECT COUNT(*)::int AS n, COALESCE(SUM(pnl), 0)::text AS pnl, COALESCE(SUM(fees), 0)::text AS fees
     FROM trades WHERE ${clause}`,
    params,
  );
  const rows = await db.query(
    `SELECT ${COLUMNS} FROM trades WHERE ${clause}
     ORDER BY ${sort} ${order} NULLS LAST, id ${order} LIMIT ${limit} OFFSET ${offset}`,
    params,
  );
  const t = totals[0]!;
  return {
    trades: rows.map(toTrade),
    total: Number(t.n),
    totalPnl: trimDecimal(String(t.pnl)),
    totalFees: trimDecimal(String(t.fees)),
  };
}

/** Marks a trade FAILED with a reason (e.g. OCO could not be placed and the position was rolled back). */
export async function failTrade(
  db: Queryable,
  tradeId: number,
  reason: string,
  exit?: { exitPrice: string; exitTimestamp: Date; pnl: string; exitFee: string },
): Promise<void> {
  await db.query(
    `UPDATE trades SET status = 'FAILED', failure_reason = $2, exit_price = $3, exit_timestamp = $4,
       pnl = $5, exit_fee = COALESCE($6::numeric, 0), fees = entry_fee + COALESCE($6::numeric, 0), updated_at = NOW()
     WHERE id = $1 AND status = 'OPEN'`,
    [
      tradeId,
      reason,
      exit?.exitPrice ?? null,
      exit?.exitTimestamp ?? null,
      exit?.pnl ?? null,
      exit?.exitFee ?? null,
    ],
  );
}

/** Per-symbol paper position and realized P&L of a user (for paper balances). */
export interface PaperHoldingRow {
  /** Symbol. */
  symbol: string;
  /** Base quantity held by OPEN paper trades. */
  openQuantity: string;
  /** Quote spent on them (entry notional + entry fee). */
  openCost: string;
  /** Realized P&L of closed paper trades. */
  realizedPnl: string;
}

/** A user's paper holdings by symbol, aggregated in SQL. */
export async function paperHoldings(db: Queryable, userId: number): Promise<PaperHoldingRow[]> {
  const rows = await db.query(
    `SELECT symbol,
       COALESCE(SUM(quantity) FILTER (WHERE status = 'OPEN'), 0)::text AS open_qty,
       COALESCE(SUM(entry_price * quantity + entry_fee) FILTER (WHERE status = 'OPEN'), 0)::text AS open_cost,
       COALESCE(SUM(pnl) FILTER (WHERE status <> 'OPEN'), 0)::text AS realized
     FROM trades WHERE user_id = $1 AND is_paper GROUP BY symbol ORDER BY symbol`,
    [userId],
  );
  return rows.map((r) => ({
    symbol: String(r.symbol),
    openQuantity: trimDecimal(String(r.open_qty)),
    openCost: trimDecimal(String(r.open_cost)),
    realizedPnl: trimDecimal(String(r.realized)),
  }));
}

/** Per-strategy trade figures of a user. */
export interface StrategyTradeStatsRow {
  /** Strategy. */
  strategyId: number;
  /** Its name. */
  name: string;
  /** Its symbol. */
  symbol: string;
  /** Whether it runs. */
  isActive: boolean;
  /** Closed trades. */
  closedTrades: number;
  /** Closed trades with pnl > 0. */
  winningTrades: number;
  /** Open trades. */
  openTrades: number;
  /** Realized P&L. */
  realizedPnl: string;
  /** Realized P&L of trades closed at or after `since`. */
  realizedPnlSince: string;
  /** Fees paid. */
  fees: string;
}

/** Every strategy of a user with its trade figures, aggregated in SQL (one row per strategy). */
export async function strategyTradeStats(
  db: Queryable,
  userId: number,
  since: Date,
): Promise<StrategyTradeStatsRow[]> {
  const rows = await db.query(
    `SELECT s.id, s.name, s.symbol, s.is_active,
       COUNT(t.id) FILTER (WHERE t.status <> 'OPEN')::int AS closed,
       COUNT(t.id) FILTER (WHERE t.status <> 'OPEN' AND t.pnl > 0)::int AS wins,
       COUNT(t.id) FILTER (WHERE t.status = 'OPEN')::int AS open,
       COALESCE(SUM(t.pnl) FILTER (WHERE t.status <> 'OPEN'), 0)::text AS realized,
       COALESCE(SUM(t.pnl) FILTER (WHERE t.status <> 'OPEN' AND t.exit_timestamp >= $2), 0)::text AS realized_since,
       COALESCE(SUM(t.fees), 0)::text AS fees
     FROM strategies s LEFT JOIN trades t ON t.strategy_id = s.id
     WHERE s.user_id = $1 GROUP BY s.id ORDER BY s.id`,
    [userId, since],
  );
  return rows.map((r) => ({
    strategyId: Number(r.id),
    name: String(r.name),
    symbol: String(r.symbol),
    isActive: r.is_active === true,
    closedTrades: Number(r.closed),
    winningTrades: Number(r.wins),
    openTrades: Number(r.open),
    realizedPnl: trimDecimal(String(r.realized)),
    realizedPnlSince: trimDecimal(String(r.realized_since)),
    fees: trimDecimal(String(r.fees)),
  }));
}

/** The fields performance metrics read from a closed trade. */
export interface ClosedTradeResult {
  /** Strategy. */
  strategyId: number;
  /** Net P&L. */
  pnl: string;
  /** Fees. */
  fees: string;
  /** Entry price. */
  entryPrice: string;
  /** Quantity. */
  quantity: string;
  /** Exit time. */
  exitTimestamp: Date;
}

/** A user's closed trades with a P&L, in exit order (performance metrics). */
export async function listClosedTradeResults(
  db: Queryable,
  userId: number,
): Promise<ClosedTradeResult[]> {
  const rows = await db.query(
    `SELECT strategy_id, pnl::text AS pnl, fees::text AS fees, entry_price::text AS entry_price,
       quantity::text AS quantity, exit_timestamp
     FROM trades WHERE user_id = $1 AND status <> 'OPEN' AND pnl IS NOT NULL
     ORDER BY exit_timestamp, id`,
    [userId],
  );
  return rows.map((r) => ({
    strategyId: Number(r.strategy_id),
    pnl: trimDecimal(String(r.pnl)),
    fees: trimDecimal(String(r.fees ?? "0")),
    entryPrice: trimDecimal(String(r.entry_price)),
    quantity: trimDecimal(String(r.quantity)),
    exitTimestamp: r.exit_timestamp as Date,
  }));
}

/** An order intent as the trade detail shows it. */
export interface OrderIntentRecord {
  /** Client order id. */
  clientOrderId: string;
  /** ENTRY, OCO, EXIT or CANCEL. */
  kind: string;
  /** PENDING, DONE or FAILED. */
  status: string;
  /** What was sent. */
  payload: unknown;
  /** What came back. */
  result: unknown;
  /** When it was recorded. */
  createdAt: Date;
  /** Last change. */
  updatedAt: Date;
}

/**
 * The order intents of one of a user's trades, oldest first: those linked by
 * trade id plus the entry intent, recorded before the trade existed (same signal id).
 */
export async function listOrderIntentsForTrade(
  db: Queryable,
  userId: number,
  tradeId: number,
): Promise<OrderIntentRecord[]> {
  const rows = await db.query(
    `SELECT client_order_id, kind, status, payload, result, created_at, updated_at
     FROM order_intents WHERE user_id = $2 AND (trade_id = $1
       OR signal_id = (SELECT signal_id FROM trades WHERE id = $1 AND user_id = $2))
     ORDER BY created_at, client_order_id`,
    [tradeId, userId],
  );
  return rows.map((r) => ({
    clientOrderId: String(r.client_order_id),
    kind: String(r.kind),
    status: String(r.status),
    payload: r.payload,
    result: r.result ?? null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  }));
}
