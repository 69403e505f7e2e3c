/**
 * The bus events the execution service publishes when a trade opens or a
 * signal fails (closes and halts are built in services/_position_closer.ts).
 * Ids are deterministic, so a republish after a crash is dropped by consumers.
 *
 * @module
 */

import type { TradeRecord } from "../db/trades.ts";
import { isAuraError } from "../engine/errors.ts";
import { createEvent, type TradeSignal } from "../engine/events.ts";
import { multiplyDecimals } from "../engine/orders/decimal.ts";

/** `trade_opened` for a recorded trade; `listClientOrderId` null when no OCO protects it. */
export function tradeOpenedEvent(
  trade: TradeRecord,
  listClientOrderId: string | null,
  levels: { takeProfitPrice: string; stopPrice: string },
  now: number,
) {
  return createEvent("trade_opened", {
    id: `trade_opened:${trade.id}`,
    occurredAt: now,
    userId: trade.userId,
    strategyId: String(trade.strategyId),
    symbol: trade.symbol,
    tradeId: String(trade.id),
    signalId: trade.signalId,
    entryOrderId: trade.binanceOrderIdEntry,
    entryPrice: trade.entryPrice,
    quantity: trade.quantity,
    quoteQty: multiplyDecimals(trade.entryPrice, trade.quantity),
    fees: trade.entryFee,
    takeProfitPrice: levels.takeProfitPrice,
    stopLossPrice: levels.stopPrice,
    listClientOrderId,
  });
}

/** `trade_failed` for a signal that could not be executed (the UI shows `message`). */
export function signalFailedEvent(
  signal: TradeSignal,
  action: "ENTRY" | "EXIT",
  error: unknown,
  now: number,
) {
  return createEvent("trade_failed", {
    id: `trade_failed:${signal.id}`,
    occurredAt: now,
    userId: signal.userId,
    strategyId: signal.strategyId,
    symbol: signal.symbol,
    signalId: signal.id,
    action,
    code: isAuraError(error) ? error.code : "TRADE_004",
    message: error instanceof Error ? error.message : String(error),
  });
}
