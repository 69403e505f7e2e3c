/**
 * Reconciliation: at start-up and periodically, every PENDING order intent
 * and every OPEN trade is checked against the exchange by client id, and the
 * differences are repaired with the execution service's own steps — so
 * start-up after a crash and normal operation are one path.
 *
 * - an entry that filled while we were down (no trade row) is adopted, then protected;
 * - an intent the exchange never saw is marked FAILED (nothing to undo);
 * - a trade whose OCO leg filled is closed (CLOSED_TP / CLOSED_SL), one whose
 *   exit filled is closed as its exit asked;
 * - an unprotected position gets its OCO re-armed (next attempt id), or is
 *   flattened when it cannot be protected; a half-done exit is resumed.
 *
 * Each user's findings go to the log and, when there are any, out as a
 * `reconciliation_report` event.
 *
 * @module
 */

import type { Db } from "../db/port.ts";
import { listAllOpenTrades, listOpenTrades, setTradeOco, type TradeRecord } from "../db/trades.ts";
import type { Clock } from "../engine/clock.ts";
import { createEvent, type OrderEvent as BusEvent } from "../engine/events.ts";
import {
  decideEntryIntent,
  decideOpenTrade,
  type ReconciliationFinding,
} from "../engine/execution/mod.ts";
import type { Order, OrderList } from "../engine/ports/exchange.ts";
import { createLogger } from "../logger.ts";
import {
  findTradeById,
  findTradeBySignal,
  finishIntent,
  type IntentRecord,
  listPendingIntents,
  listTradeIntents,
} from "../db/order_intents.ts";
import type { ExchangeFactory, ExchangeHandle } from "./exchange_factory.ts";
import { type ExecutionService, fillOf } from "./execution.ts";

const log = createLogger("reconcile");

/** What reconciliation needs. */
export interface ReconcileDeps {
  /** Intents and trades. */
  db: Db;
  /** Time source. */
  clock: Clock;
  /** Each user's exchange. */
  exchanges: Pick<ExchangeFactory, "forUser">;
  /** The steps that repair (adopt, protect, close, exit). */
  service: ExecutionService;
  /** Publishes on "orders". */
  publish(event: BusEvent): Promise<void>;
  /** Whether this process executes for a user (its engine shard; default every user). */
  owns?: (userId: number) => boolean;
  /** How long an unseen entry may still be in flight, ms (default {@link IN_FLIGHT_MS}). */
  inFlightMs?: number;
}

/**
 * An order request older than this can no longer reach the exchange: ccxt's
 * recvWindow (5 s) plus a margin for clock offset and the request itself.
 */
export const IN_FLIGHT_MS = 15_000;

/** One user's reconciliation result. */
export interface ReconciliationReport {
  /** User. */
  userId: number;
  /** OPEN trades checked. */
  openTradesChecked: number;
  /** What was found and done. */
  findings: ReconciliationFinding[];
}

/** Reconciles every user (of this shard) with PENDING intents or OPEN trades. */
export async function reconcile(deps: ReconcileDeps): Promise<ReconciliationReport[]> {
  const pending = await listPendingIntents(deps.db);
  const open = await listAllOpenTrades(deps.db);
  const owns = deps.owns ?? (() => true);
  const users = [...new Set([...pending.map((i) => i.userId), ...open.map((t) => t.userId)])]
    .filter(owns);
  const reports: ReconciliationReport[] = [];
  for (const userId of users.sort((a, b) => a - b)) {
    const intents = pending.filter((i) => i.userId === userId);
    const report = await deps.service.exclusive(userId, () => reconcileUser(deps, userId, intents));
    reports.push(report);
  }
  return reports;
}

async function reconcileUser(
  deps: ReconcileDeps,
  userId: number,
  intents: IntentRecord[],
): Promise<ReconciliationReport> {
  const findings: ReconciliationFinding[] = [];
  const note = (symbol: string, tradeId: number | null, kind: string, detail: string) =>
    findings.push({ symbol, tradeId: tradeId === null ? null : String(tradeId), kind, detail });
  const trades = await listOpenTrades(deps.db, userId);
  // Paper and live work is reconciled each on its own exchange, whatever the mode is now.
  const modes = new Set([...intents.map((i) => i.isPaper), ...trades.map((t) => t.isPaper)]);
  for (const paper of [...modes].sort()) {
    try {
      const handle = await deps.exchanges.forUser(userId, paper);
      await reconcileMode(
        deps,
        handle,
        intents.filter((i) => i.isPaper === paper),
        note,
      );
    } catch (error) {
      note("-", null, "error", `${paper ? "paper" : "live"} exchange: ${String(error)}`);
    }
  }
  const report = { userId, openTradesChecked: trades.length, findings };
  if (findings.length > 0) {
    log.info("Reconciliation findings", { userId, findings });
    await deps.publish(createEvent("reconciliation_report", {
      id: `reconciliation_report:${userId}:${deps.clock.now()}`,
      occurredAt: deps.clock.now(),
      userId,
      openTradesChecked: trades.length,
      findings,
    }));
  }
  return report;
}

type Note = (symbol: string, tradeId: number | null, kind: string, detail: string) => void;

async function reconcileMode(
  deps: ReconcileDeps,
  handle: ExchangeHandle,
  intents: IntentRecord[],
  note: Note,
): Promise<void> {
  const { exchange } = handle;
  for (const intent of intents.filter((i) => i.kind === "ENTRY")) {
    try {
      const order = await exchange.getOrder({
        symbol: intent.symbol,
        clientOrderId: intent.clientOrderId,
      });
      const trade = await findTradeBySignal(deps.db, intent.signalId);
      const decision = decideEntryIntent(order, trade !== null, {
        ageMs: intent.ageMs ?? Infinity,
        inFlightMs: deps.inFlightMs ?? IN_FLIGHT_MS,
      });
      if (decision.action === "mark_failed") {
        await finishIntent(deps.db, intent.clientOrderId, "FAILED", { reason: decision.reason });
        await publishEntryFailed(deps, intent, decision.reason);
        note(
          intent.symbol,
          null,
          "marked_failed",
          `entry ${intent.clientOrderId}: ${decision.reason}`,
        );
      } else if (decision.action === "adopt") {
        const rules = await exchange.getSymbolRules(intent.symbol);
        const latency = intent.payload.latency as Record<string, number> | undefined;
        const adopted = await deps.service.adoptEntry(
          handle,
          intent,
          decision.order,
          rules,
          latency,
        );
        note(
          intent.symbol,
          adopted.id,
          "entry_adopted",
          `entry ${intent.clientOrderId} filled while down`,
        );
      } else if (decision.action === "mark_done") {
        await finishIntent(
          deps.db,
          intent.clientOrderId,
          "DONE",
          { order: decision.order },
          trade!.id,
        );
      } else {
        note(intent.symbol, null, "waiting", `entry ${intent.clientOrderId}: ${decision.reason}`);
      }
    } catch (error) {
      note(intent.symbol, null, "error", `entry ${intent.clientOrderId}: ${String(error)}`);
    }
  }

  for (const intent of intents.filter((i) => i.kind === "OCO")) {
    try {
      const list = await exchange.getOrderList({ listClientOrderId: intent.clientOrderId });
      if (list && intent.tradeId !== null) {
        await recordList(deps, intent, list);
      } else {
        await finishIntent(deps.db, intent.clientOrderId, "FAILED", {
          reason: "never reached the exchange",
        });
        note(
          intent.symbol,
          intent.tradeId,
          "marked_failed",
          `OCO ${intent.clientOrderId} never placed`,
        );
      }
    } catch (error) {
      note(intent.symbol, intent.tradeId, "error", `OCO ${intent.clientOrderId}: ${String(error)}`);
    }
  }

  for (const intent of intents.filter((i) => i.kind === "EXIT" || i.kind === "CANCEL")) {
    const trade = intent.tradeId === null ? null : await findTradeById(deps.db, intent.tradeId);
    if (trade?.status === "OPEN") continue; // the open-trade pass resumes or closes it
    await finishIntent(deps.db, intent.clientOrderId, "FAILED", { reason: "trade no longer open" });
  }

  // Read again: entries adopted above are open trades to protect now.
  const open = (await listOpenTrades(deps.db, handle.userId)).filter((t) =>
    t.isPaper === handle.isPaper
  );
  for (const trade of open) {
    try {
      await reconcileTrade(deps, handle, trade, note);
    } catch (error) {
      note(trade.symbol, trade.id, "error", String(error));
    }
  }
  for (const strategyId of new Set(open.map((t) => t.strategyId))) {
    await deps.service.checkBreaker(handle, strategyId, handle.userId).catch((error) =>
      note("-", null, "error", `breaker of strategy ${strategyId}: ${String(error)}`)
    );
  }
}

async function reconcileTrade(
  deps: ReconcileDeps,
  handle: ExchangeHandle,
  trade: TradeRecord,
  note: Note,
): Promise<void> {
  const { exchange } = handle;
  const exits = (await listTradeIntents(deps.db, trade.id, "EXIT")).filter((i) =>
    i.status !== "FAILED"
  );
  const exitIntent = exits.at(-1) ?? null;
  const exitOrder: Order | null = exitIntent
    ? await exchange.getOrder({ symbol: trade.symbol, clientOrderId: exitIntent.clientOrderId })
    : null;
  const ocos = (await listTradeIntents(deps.db, trade.id, "OCO")).filter((i) =>
    i.status !== "FAILED"
  );
  const ocoIntent = ocos.at(-1) ?? null;
  const list = ocoIntent
    ? await exchange.getOrderList({ listClientOrderId: ocoIntent.clientOrderId })
    : null;
  const decision = decideOpenTrade({ exitOrder, list });
  switch (decision.action) {
    case "close_exit":
      await deps.service.closeFromExit(handle, trade, exitIntent!, decision.order);
      note(trade.symbol, trade.id, "closed_while_down", `exit ${exitIntent!.clientOrderId} filled`);
      return;
    case "close_leg": {
      // A list's legs come without fills; the order query carries the commission.
      const leg = await exchange.getOrder({
        symbol: trade.symbol,
        clientOrderId: decision.order.clientOrderId,
      }) ?? decision.order;
      await deps.service.closeFromLeg(handle, trade, decision.leg, fillOf(leg));
      note(trade.symbol, trade.id, "closed_while_down", `${decision.leg} leg filled`);
      return;
    }
    case "protected":
      if (
        ocoIntent!.status === "PENDING" || trade.ocoListClientOrderId !== list!.listClientOrderId
      ) {
        await recordList(deps, ocoIntent!, list!);
        note(trade.symbol, trade.id, "protection_recorded", `OCO ${list!.listClientOrderId}`);
      }
      return;
    case "protect": {
      if (exitIntent && exitIntent.status === "PENDING") {
        await deps.service.exitTrade(handle, trade, {
          clientOrderId: exitIntent.clientOrderId,
          signalId: exitIntent.signalId,
          status: (exitIntent.payload.status ?? "CLOSED_MANUAL") as "CLOSED_MANUAL",
          reason: String(exitIntent.payload.reason ?? "exit resumed"),
        });
        note(trade.symbol, trade.id, "exit_resumed", `exit ${exitIntent.clientOrderId}`);
        return;
      }
      const risk = await deps.service.riskOf(trade);
      await deps.service.protect(handle, trade, risk);
      const after = await findTradeById(deps.db, trade.id);
      note(
        trade.symbol,
        trade.id,
        after?.status === "OPEN" ? "protection_restored" : "flattened",
        after?.status === "OPEN"
          ? decision.reason
          : `${decision.reason}; ${after?.failureReason ?? after?.status}`,
      );
      return;
    }
  }
}

async function recordList(deps: ReconcileDeps, intent: IntentRecord, list: OrderList) {
  const payload = intent.payload as Record<string, string>;
  await setTradeOco(deps.db, intent.tradeId!, {
    orderListId: list.orderListId,
    listClientOrderId: list.listClientOrderId,
    takeProfitPrice: payload.takeProfitPrice ?? list.takeProfit.price,
    stopLossPrice: payload.stopPrice ?? list.stopLoss.stopPrice ?? "0",
    stopLimitPrice: payload.stopLimitPrice ?? list.stopLoss.price,
  });
  await finishIntent(deps.db, intent.clientOrderId, "DONE", { list }, intent.tradeId!);
}

async function publishEntryFailed(deps: ReconcileDeps, intent: IntentRecord, reason: string) {
  await deps.publish(createEvent("trade_failed", {
    id: `trade_failed:${intent.signalId}`,
    occurredAt: deps.clock.now(),
    userId: intent.userId,
    strategyId: String(intent.strategyId ?? 0),
    symbol: intent.symbol,
    signalId: intent.signalId,
    action: "ENTRY",
    code: "TRADE_004",
    message: `Entry "${intent.clientOrderId}" on "${intent.symbol}" failed: ${reason}`,
  }));
}
