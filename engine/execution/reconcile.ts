/**
 * Reconciliation decisions: given what we recorded (order intents, trades)
 * and what the exchange says about the same client ids, what to do. Pure;
 * services/reconcile.ts asks the exchange and carries the actions out.
 *
 * Start-up and recovery are one path: the same decisions run after a crash
 * at any step, at start-up and periodically.
 *
 * @module
 */

import type { Order, OrderList } from "../ports/exchange.ts";
import type { OcoLeg } from "../ports/exchange.ts";

/** An order intent as reconciliation reads it. */
export interface IntentView {
  /** Deterministic client id (PK). */
  clientOrderId: string;
  /** What was (to be) sent. */
  kind: "ENTRY" | "OCO" | "EXIT" | "CANCEL";
  /** Recorded outcome. */
  status: "PENDING" | "DONE" | "FAILED";
  /** Trade it belongs to, once known. */
  tradeId: number | null;
}

/** What to do with a PENDING entry intent. */
export type EntryAction =
  | { action: "mark_failed"; reason: string }
  | { action: "adopt"; order: Order }
  | { action: "mark_done"; order: Order }
  | { action: "wait"; reason: string };

/**
 * A PENDING entry: the exchange never saw it (and it can no longer arrive:
 * older than `timing.inFlightMs`) → FAILED (nothing to undo); it
 * filled → adopt it (record the trade, then protect it) unless a trade row
 * already exists; it is still working → wait; it ended without a fill → FAILED.
 */
export function decideEntryIntent(
  order: Order | null,
  tradeExists: boolean,
  timing: { ageMs: number; inFlightMs: number } = { ageMs: Infinity, inFlightMs: 0 },
): EntryAction {
  if (order === null) {
    // A request still in flight when the engine died can reach the exchange
    // later; Binance refuses it once its timestamp is older than recvWindow,
    // so "never seen" is final only after that.
    return timing.ageMs < timing.inFlightMs
      ? { action: "wait", reason: "not on the exchange yet, may still be in flight" }
      : { action: "mark_failed", reason: "never reached the exchange" };
  }
  if (order.status === "FILLED" || (isFinal(order) && order.executedQty !== "0")) {
    return tradeExists ? { action: "mark_done", order } : { action: "adopt", order };
  }
  if (isFinal(order)) {
    return { action: "mark_failed", reason: `entry ended ${order.status} without a fill` };
  }
  return { action: "wait", reason: `entry is ${order.status}` };
}

/** What the exchange knows about an OPEN trade's orders. */
export interface OpenTradeState {
  /** The latest exit (market sell) order, when one was intended. */
  exitOrder: Order | null;
  /** The latest OCO list, when one was intended. */
  list: OrderList | null;
}

/** What to do with an OPEN trade. */
export type OpenTradeAction =
  | { action: "close_exit"; order: Order }
  | { action: "close_leg"; leg: OcoLeg; order: Order }
  | { action: "protected"; list: OrderList }
  | { action: "protect"; reason: string };

/**
 * An OPEN trade: an exit that filled closes it; an OCO leg that filled
 * closes it (CLOSED_TP / CLOSED_SL); an executing OCO means it is protected;
 * anything else (no OCO, a cancelled or rejected one) means it must be
 * protected again — or flattened when that is impossible.
 */
export function decideOpenTrade(state: OpenTradeState): OpenTradeAction {
  const exit = state.exitOrder;
  if (exit && exit.status === "FILLED") return { action: "close_exit", order: exit };
  const list = state.list;
  if (list) {
    if (list.takeProfit.status === "FILLED") {
      return { action: "close_leg", leg: "TAKE_PROFIT", order: list.takeProfit };
    }
    if (list.stopLoss.status === "FILLED") {
      return { action: "close_leg", leg: "STOP_LOSS", order: list.stopLoss };
    }
    if (list.status === "EXECUTING") return { action: "protected", list };
    return { action: "protect", reason: `OCO "${list.listClientOrderId}" ended without a fill` };
  }
  return { action: "protect", reason: "no OCO on the exchange" };
}

function isFinal(order: Order): boolean {
  return order.status !== "NEW" && order.status !== "PARTIALLY_FILLED" &&
    order.status !== "PENDING_CANCEL";
}

/** One line of a reconciliation report. */
export interface ReconciliationFinding {
  /** Symbol. */
  symbol: string;
  /** Trade concerned, when there is one. */
  tradeId: string | null;
  /** e.g. `entry_adopted`, `closed_while_down`, `protection_restored`, `flattened`, `marked_failed`. */
  kind: string;
  /** Human detail. */
  detail: string;
}
