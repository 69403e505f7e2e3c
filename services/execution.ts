/**
 * The execution service: the imperative shell that turns trade signals into
 * orders on the user's exchange and keeps the `trades` table true to it.
 *
 * ENTRY: skip unless the strategy is active, not halted and flat; plan the
 * market buy (TRADE_001/002/003 refuse before anything is sent); record the
 * intent under its deterministic client id; send; record the OPEN trade
 * (average fill price, executed quantity, fee in quote); then protect it with
 * a fee-aware OCO (TP LIMIT_MAKER, SL STOP_LOSS_LIMIT). When the price is
 * already past a leg the position exits at market; when the OCO keeps
 * failing it is rolled back (market sell) and the trade marked FAILED.
 *
 * EXIT (documented choice): cancel the OCO, market sell the position's
 * sellable quantity under the EXIT signal's client id, close CLOSED_SIGNAL.
 * The bus event says `CLOSED_MANUAL` because engine/events.ts has no
 * `CLOSED_SIGNAL` yet; the trade row says CLOSED_SIGNAL.
 *
 * Every step is recorded (order_intents) before the order leaves, so a crash
 * at any point is recovered by services/reconcile.ts asking the exchange by
 * client id. Work is serialized per user.
 *
 * @module
 */

import type { Db } from "../db/port.ts";
import { getStrategy, haltStrategy } from "../db/strategies.ts";
import {
  closeTrade,
  failTrade,
  findOpenTradeForStrategy,
  insertOpenTrade,
  setTradeOco,
  type TradeRecord,
  type TradeStatus,
} from "../db/trades.ts";
import type { Clock } from "../engine/clock.ts";
import { AuraError, isAuraError } from "../engine/errors.ts";
import { createEvent, type OrderEvent as BusEvent, type TradeSignal } from "../engine/events.ts";
import {
  closeStatusOf,
  decideSignal,
  evaluateBreaker,
  feeInQuote,
  sellableQuantity,
  toEventLeg,
  tradePnl,
  unrealizedPnl,
} from "../engine/execution/mod.ts";
import { clientOrderId, stableHash, tradeClientIds } from "../engine/orders/client_ids.ts";
import {
  addDecimals,
  floorToTick,
  multiplyDecimals,
  toDecimalString,
} from "../engine/orders/decimal.ts";
import type { SymbolRules } from "../engine/orders/filters.ts";
import { planEntry, planOco } from "../engine/orders/plan.ts";
import type { OcoLeg, Order, OrderEvent } from "../engine/ports/exchange.ts";
import type { RiskParams } from "../engine/strategy/rules.ts";
import { createLogger } from "../logger.ts";
import {
  findTradeById,
  finishIntent,
  getIntent,
  type IntentRecord,
  listTradeIntents,
  loadPeakEquity,
  realizedPnlOf,
  recordIntent,
  savePeakEquity,
} from "./_order_intents.ts";
import type { ExchangeFactory, ExchangeHandle } from "./exchange_factory.ts";

const log = createLogger("execution");

/** The named steps a crash test can kill the process at. */
export type CrashStep =
  | "signal_received"
  | "entry_sent"
  | "entry_acked"
  | "entry_recorded"
  | "oco_sent";

/** What the service needs. */
export interface ExecutionDeps {
  /** Trades, intents, strategies. */
  db: Db;
  /** Time source. */
  clock: Clock;
  /** Each user's exchange. */
  exchanges: Pick<ExchangeFactory, "forUser">;
  /** Publishes on the "orders" topic. */
  publish(event: BusEvent): Promise<void>;
  /** Test hook: called at each {@link CrashStep} (the crash fixture kills itself there). */
  crashPoint?: (step: CrashStep) => void | Promise<void>;
  /** OCO placements tried before a rollback (default 3). */
  ocoAttempts?: number;
}

/** How a position is closed by us (not by an OCO leg). */
export interface ExitRequest {
  /** Client id of the market sell. */
  clientOrderId: string;
  /** Signal the id derives from. */
  signalId: string;
  /** Status the trade closes with (FAILED for a rollback). */
  status: Exclude<TradeStatus, "OPEN">;
  /** Why. */
  reason: string;
}

/** A fill that closes a trade. */
interface ExitFill {
  price: string;
  quantity: string;
  quoteQty: string;
  commission: string;
  commissionAsset: string;
  orderId: string;
  clientOrderId: string;
}

/** The execution service (see the module doc). */
export class ExecutionService {
  readonly #d: ExecutionDeps;
  readonly #queues = new Map<number, Promise<unknown>>();

  /** Creates the service. */
  constructor(deps: ExecutionDeps) {
    this.#d = deps;
  }

  /** Runs `work` after every earlier piece of work of `userId`. */
  serialize<T>(userId: number, work: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(userId) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(work);
    this.#queues.set(userId, next.catch(() => {}));
    return next;
  }

  /** Handles one `trade_signal` (idempotent: a redelivery finds its intents). */
  handleSignal(signal: TradeSignal): Promise<void> {
    return this.serialize(signal.userId, () => this.#signal(signal));
  }

  /** Handles an exchange order event of `userId` (OCO leg fills close trades). */
  handleOrderEvent(userId: number, event: OrderEvent): Promise<void> {
    if (event.type !== "oco_leg_filled") return Promise.resolve();
    return this.serialize(userId, async () => {
      const intent = await getIntent(this.#d.db, event.listClientOrderId);
      if (!intent?.tradeId) return;
      const trade = await this.#trade(intent.tradeId);
      if (!trade || trade.status !== "OPEN") return;
      const handle = await this.#d.exchanges.forUser(userId);
      await this.closeFromLeg(handle, trade, event.leg, {
        price: event.price,
        quantity: event.quantity,
        quoteQty: event.quoteQty,
        commission: event.commission,
        commissionAsset: event.commissionAsset,
        orderId: event.orderId,
        clientOrderId: event.clientOrderId,
      });
    });
  }

  async #signal(signal: TradeSignal): Promise<void> {
    await this.#crash("signal_received");
    const strategy = await getStrategy(this.#d.db, signal.userId, Number(signal.strategyId));
    if (!strategy) return log.warn("Signal for an unknown strategy", { signalId: signal.id });
    const ids = tradeClientIds(signal.id);
    const own = await getIntent(this.#d.db, signal.action === "ENTRY" ? ids.entry : ids.exit);
    if (own) {
      // A redelivery: the first delivery (or reconciliation) owns the outcome.
      return log.info("Signal already handled", { signalId: signal.id, status: own.status });
    }
    const open = await findOpenTradeForStrategy(this.#d.db, strategy.id);
    const decision = decideSignal({
      action: signal.action,
      isActive: strategy.isActive,
      halted: strategy.haltedAt !== null,
      openTradeId: open?.id ?? null,
    });
    if (decision.kind === "skip") {
      return log.info("Signal skipped", { signalId: signal.id, reason: decision.reason });
    }
    const handle = await this.#d.exchanges.forUser(signal.userId);
    if (decision.kind === "exit") {
      await this.exitTrade(handle, open!, {
        clientOrderId: ids.exit,
        signalId: signal.id,
        status: "CLOSED_SIGNAL",
        reason: "exit conditions met",
      });
      return;
    }
    await this.#enter(handle, signal, strategy.riskParams as RiskParams);
  }

  async #enter(handle: ExchangeHandle, signal: TradeSignal, risk: RiskParams): Promise<void> {
    const { exchange } = handle;
    const latency: Record<string, number> = { ...signal.trace, receivedAt: this.#now() };
    if (handle.paper) {
      const known = await exchange.getLastPrice(signal.symbol).catch(() => null);
      if (known === null) handle.paper.setPrice(signal.symbol, signal.signalPrice);
    }
    let plan;
    let rules: SymbolRules;
    try {
      rules = await exchange.getSymbolRules(signal.symbol);
      const [balances, lastPrice] = await Promise.all([
        exchange.getBalances(),
        exchange.getLastPrice(signal.symbol),
      ]);
      plan = planEntry({
        signal: { id: signal.id, symbol: signal.symbol, ...risk },
        rules,
        quoteBalance: balances[rules.quoteAsset]?.free ?? "0",
        positionSizeUsd: risk.positionSizeUsd,
        lastPrice,
      });
    } catch (error) {
      if (!isAuraError(error) || !error.code.startsWith("TRADE_")) throw error;
      await recordIntent(this.#d.db, {
        ...this.#intentBase(handle, signal, tradeClientIds(signal.id).entry, "ENTRY", null),
        status: "FAILED",
        payload: { refused: error.message, code: error.code },
      });
      return await this.#failed(signal, "ENTRY", error);
    }
    const { created } = await recordIntent(this.#d.db, {
      ...this.#intentBase(handle, signal, plan.clientOrderId, "ENTRY", null),
      payload: { ...plan, risk, trace: signal.trace, latency },
    });
    if (!created) return;
    latency.entrySentAt = this.#now();
    const sent = exchange.marketBuyQuote(plan);
    sent.catch(() => {});
    await this.#crash("entry_sent");
    let order: Order;
    try {
      order = await sent;
    } catch (error) {
      if (outcomeUnknown(error)) {
        // Reconciliation asks the exchange by client id; never resend blindly.
        return log.warn("Entry outcome unknown", { signalId: signal.id, error: String(error) });
      }
      await finishIntent(this.#d.db, plan.clientOrderId, "FAILED", errorResult(error));
      return await this.#failed(signal, "ENTRY", error);
    }
    latency.entryAckAt = this.#now();
    await this.#crash("entry_acked");
    const intent = (await getIntent(this.#d.db, plan.clientOrderId))!;
    const trade = await this.adoptEntry(handle, intent, order, rules, latency);
    await this.#crash("entry_recorded");
    await this.protect(handle, trade, risk);
  }

  /**
   * Records the OPEN trade of a filled entry and marks its intent DONE, in
   * one transaction (idempotent: the trade is unique per signal).
   */
  async adoptEntry(
    handle: ExchangeHandle,
    intent: IntentRecord,
    order: Order,
    rules: SymbolRules,
    latency: Record<string, number> | undefined,
  ): Promise<TradeRecord> {
    const trade = await this.#d.db.transaction(async (tx) => {
      const trade = await insertOpenTrade(tx, {
        userId: intent.userId,
        strategyId: intent.strategyId!,
        symbol: order.symbol,
        isPaper: handle.isPaper,
        signalId: intent.signalId,
        clientOrderIdEntry: order.clientOrderId,
        binanceOrderIdEntry: handle.isPaper ? paperOrderNumber(order.clientOrderId) : order.orderId,
        entryPrice: order.avgPrice,
        quantity: order.executedQty,
        entryFee: feeInQuote(order.commission, order.commissionAsset, order.avgPrice, rules),
        entryTimestamp: new Date(order.updateTime || this.#now()),
        ...(latency ? { latency } : {}),
      });
      await finishIntent(tx, intent.clientOrderId, "DONE", { order }, trade.id);
      return trade;
    });
    return trade;
  }

  /**
   * Protects an OPEN trade with an OCO (a new attempt number per placement),
   * exits at market when the price is already past a leg or the position
   * cannot be protected, and rolls back after {@link ExecutionDeps.ocoAttempts} failures.
   */
  async protect(handle: ExchangeHandle, trade: TradeRecord, risk: RiskParams): Promise<void> {
    const { exchange } = handle;
    const rules = await exchange.getSymbolRules(trade.symbol);
    const entry = await this.entryOrderOf(trade);
    const tries = this.#d.ocoAttempts ?? 3;
    let lastError: unknown = null;
    for (let i = 0; i < tries; i++) {
      const attempt = (await listTradeIntents(this.#d.db, trade.id, "OCO")).length;
      const lastPrice = await exchange.getLastPrice(trade.symbol);
      let plan;
      try {
        plan = planOco({
          rules,
          executedQty: entry.executedQty,
          commission: entry.commission,
          commissionAsset: entry.commissionAsset,
          entryPrice: trade.entryPrice,
          lastPrice,
          takeProfitPercent: risk.takeProfitPercent,
          stopLossPercent: risk.stopLossPercent,
        });
      } catch (error) {
        if (!isAuraError(error, "TRADE_002")) throw error;
        return await this.flatten(handle, trade, "FAILED", `cannot be protected: ${error.message}`);
      }
      if (plan.action === "EXIT_AT_MARKET") {
        const status = plan.reason.startsWith("take-profit") ? "CLOSED_TP" : "CLOSED_SL";
        await this.#publishOpened(trade, null, risk, lastPrice, rules);
        return await this.flatten(
          handle,
          trade,
          status,
          `price already past a leg: ${plan.reason}`,
        );
      }
      const ids = tradeClientIds(trade.signalId, attempt);
      await recordIntent(this.#d.db, {
        clientOrderId: ids.ocoList,
        userId: trade.userId,
        strategyId: trade.strategyId,
        tradeId: trade.id,
        signalId: trade.signalId,
        kind: "OCO",
        symbol: trade.symbol,
        isPaper: handle.isPaper,
        payload: { ...plan, attempt },
      });
      const command = {
        symbol: trade.symbol,
        quantity: plan.quantity,
        takeProfitPrice: plan.takeProfitPrice,
        stopPrice: plan.stopPrice,
        stopLimitPrice: plan.stopLimitPrice,
        listClientOrderId: ids.ocoList,
        aboveClientOrderId: ids.takeProfit,
        belowClientOrderId: ids.stopLoss,
      };
      let list;
      try {
        list = await exchange.placeOco(command);
      } catch (error) {
        list = outcomeUnknown(error)
          ? await exchange.getOrderList({ listClientOrderId: ids.ocoList }).catch(() => null)
          : null;
        if (!list || list.status !== "EXECUTING") {
          lastError = error;
          await finishIntent(this.#d.db, ids.ocoList, "FAILED", errorResult(error));
          log.warn("OCO placement failed", { tradeId: trade.id, attempt, error: String(error) });
          continue;
        }
      }
      await this.#crash("oco_sent");
      const latency = { ...(trade.latency ?? {}), ocoAckAt: this.#now() };
      await this.#d.db.transaction(async (tx) => {
        await setTradeOco(tx, trade.id, {
          orderListId: list.orderListId,
          listClientOrderId: ids.ocoList,
          takeProfitPrice: plan.takeProfitPrice,
          stopLossPrice: plan.stopPrice,
          stopLimitPrice: plan.stopLimitPrice,
          latency,
        });
        await finishIntent(tx, ids.ocoList, "DONE", { list }, trade.id);
      });
      await this.#publishOpened(trade, ids.ocoList, risk, lastPrice, rules, plan);
      return;
    }
    const reason = `OCO could not be placed after ${tries} attempts: ${
      lastError instanceof Error ? lastError.message : String(lastError)
    }`;
    await this.flatten(handle, trade, "FAILED", reason);
  }

  /** Market-sells an unprotected position under the trade's next exit client id. */
  async flatten(
    handle: ExchangeHandle,
    trade: TradeRecord,
    status: Exclude<TradeStatus, "OPEN">,
    reason: string,
  ): Promise<void> {
    const attempt = (await listTradeIntents(this.#d.db, trade.id, "EXIT")).length;
    await this.exitTrade(handle, trade, {
      clientOrderId: clientOrderId(trade.signalId, "X", attempt),
      signalId: trade.signalId,
      status,
      reason,
    });
  }

  /**
   * Closes a position ourselves: cancels its OCO (a leg that filled meanwhile
   * closes the trade instead), then market-sells the sellable quantity.
   */
  async exitTrade(handle: ExchangeHandle, trade: TradeRecord, request: ExitRequest): Promise<void> {
    const { exchange } = handle;
    const ocos = await listTradeIntents(this.#d.db, trade.id, "OCO");
    for (const oco of ocos.filter((o) => o.status !== "FAILED")) {
      const list = await exchange.getOrderList({ listClientOrderId: oco.clientOrderId });
      if (!list) continue;
      for (
        const [leg, order] of [["TAKE_PROFIT", list.takeProfit], [
          "STOP_LOSS",
          list.stopLoss,
        ]] as const
      ) {
        if (order.status === "FILLED") {
          return await this.closeFromLeg(handle, trade, leg, fillOf(order));
        }
      }
      if (list.status === "EXECUTING") {
        await exchange.cancelOrderList({
          symbol: trade.symbol,
          listClientOrderId: oco.clientOrderId,
        });
      }
    }
    const rules = await exchange.getSymbolRules(trade.symbol);
    const quantity = sellableQuantity(await this.entryOrderOf(trade), rules);
    const { created, intent } = await recordIntent(this.#d.db, {
      clientOrderId: request.clientOrderId,
      userId: trade.userId,
      strategyId: trade.strategyId,
      tradeId: trade.id,
      signalId: request.signalId,
      kind: "EXIT",
      symbol: trade.symbol,
      isPaper: handle.isPaper,
      payload: { quantity, status: request.status, reason: request.reason },
    });
    if (!created && intent.status !== "PENDING") return;
    let order: Order | null = created ? null : await exchange.getOrder({
      symbol: trade.symbol,
      clientOrderId: request.clientOrderId,
    });
    if (!order) {
      order = await exchange.marketSell({
        symbol: trade.symbol,
        quantity,
        clientOrderId: request.clientOrderId,
      });
    }
    await this.closeFromExit(handle, trade, intent, order);
  }

  /** Closes a trade from its filled exit order, as the EXIT intent asked. */
  async closeFromExit(
    handle: ExchangeHandle,
    trade: TradeRecord,
    intent: IntentRecord,
    order: Order,
  ): Promise<void> {
    const status = (intent.payload.status ?? "CLOSED_MANUAL") as Exclude<TradeStatus, "OPEN">;
    const reason = String(intent.payload.reason ?? "");
    await this.#close(handle, trade, status, fillOf(order), reason, intent.clientOrderId, order);
  }

  /** Closes a trade whose OCO leg filled: CLOSED_TP or CLOSED_SL. */
  async closeFromLeg(
    handle: ExchangeHandle,
    trade: TradeRecord,
    leg: OcoLeg,
    fill: ExitFill,
  ): Promise<void> {
    await this.#close(handle, trade, closeStatusOf(leg), fill, null, null, null);
    await this.#d.publish(createEvent("oco_leg_filled", {
      id: `oco_leg_filled:${trade.ocoListClientOrderId ?? fill.clientOrderId}`,
      occurredAt: this.#now(),
      userId: trade.userId,
      strategyId: String(trade.strategyId),
      symbol: trade.symbol,
      leg: toEventLeg(leg),
      orderListId: trade.binanceOrderIdOco ?? "0",
      listClientOrderId: trade.ocoListClientOrderId ?? fill.clientOrderId,
      orderId: fill.orderId,
      clientOrderId: fill.clientOrderId,
      price: fill.price,
      quantity: fill.quantity,
      quoteQty: fill.quoteQty,
      commission: fill.commission,
      commissionAsset: fill.commissionAsset,
    }));
  }

  async #close(
    handle: ExchangeHandle,
    trade: TradeRecord,
    status: Exclude<TradeStatus, "OPEN">,
    fill: ExitFill,
    reason: string | null,
    exitIntentId: string | null,
    exitOrder: Order | null,
  ): Promise<void> {
    const rules = await handle.exchange.getSymbolRules(trade.symbol);
    const exitFee = feeInQuote(fill.commission, fill.commissionAsset, fill.price, rules);
    const pnl = tradePnl({
      entryPrice: trade.entryPrice,
      entryFee: trade.entryFee,
      exitQuantity: fill.quantity,
      exitQuote: fill.quoteQty,
      exitFee,
    });
    const exitTimestamp = new Date(this.#now());
    const closed = await this.#d.db.transaction(async (tx) => {
      let changed: boolean;
      if (status === "FAILED") {
        changed = (await tx.query(
          "SELECT 1 FROM trades WHERE id = $1 AND status = 'OPEN'",
          [trade.id],
        )).length > 0;
        await failTrade(tx, trade.id, reason ?? "failed", {
          exitPrice: fill.price,
          exitTimestamp,
          pnl,
          exitFee,
        });
      } else {
        changed = await closeTrade(tx, trade.id, {
          status,
          exitPrice: fill.price,
          exitTimestamp,
          pnl,
          exitFee,
          clientOrderIdExit: fill.clientOrderId,
          binanceOrderIdExit: handle.isPaper ? null : fill.orderId,
          failureReason: reason,
        });
      }
      if (exitIntentId) await finishIntent(tx, exitIntentId, "DONE", { order: exitOrder });
      return changed;
    });
    if (!closed) return;
    log.info("Trade closed", { tradeId: trade.id, status, pnl });
    const owner = {
      userId: trade.userId,
      strategyId: String(trade.strategyId),
      symbol: trade.symbol,
    };
    if (status === "FAILED") {
      await this.#d.publish(createEvent("trade_failed", {
        id: `trade_failed:${trade.signalId}`,
        occurredAt: this.#now(),
        ...owner,
        signalId: trade.signalId,
        action: "ENTRY",
        code: "TRADE_004",
        message: `Trade ${trade.id} on "${trade.symbol}" rolled back: ${reason}`,
      }));
    } else {
      await this.#d.publish(createEvent("trade_closed", {
        id: `trade_closed:${trade.id}`,
        occurredAt: this.#now(),
        ...owner,
        tradeId: String(trade.id),
        status: status === "CLOSED_TP" || status === "CLOSED_SL" ? status : "CLOSED_MANUAL",
        entryPrice: trade.entryPrice,
        exitPrice: fill.price,
        quantity: fill.quantity,
        pnl,
        fees: addDecimals(trade.entryFee, exitFee),
      }));
    }
    await this.checkBreaker(handle, trade.strategyId, trade.userId);
  }

  /**
   * Feeds the strategy's equity (positionSizeUsd + realized + unrealized P&L)
   * to the backtester's drawdown breaker; on a trip: halt the strategy,
   * flatten its position (cancelling the OCO first: a halted strategy keeps
   * no exposure the user did not re-approve) and publish `strategy_halted`.
   */
  async checkBreaker(handle: ExchangeHandle, strategyId: number, userId: number): Promise<void> {
    const strategy = await getStrategy(this.#d.db, userId, strategyId);
    if (!strategy || strategy.haltedAt !== null) return;
    const risk = strategy.riskParams as RiskParams;
    const open = await findOpenTradeForStrategy(this.#d.db, strategyId);
    const unrealized = open
      ? unrealizedPnl(open, await handle.exchange.getLastPrice(open.symbol))
      : "0";
    const peak = await loadPeakEquity(this.#d.db, strategyId);
    const decision = evaluateBreaker({
      allocation: String(risk.positionSizeUsd),
      realizedPnl: await realizedPnlOf(this.#d.db, strategyId),
      unrealizedPnl: unrealized,
      peakEquity: peak,
      resetPeak: peak !== null && peak <= 0,
      maxDrawdownPercent: risk.maxDrawdownPercent,
    });
    if (peak === null || decision.peakEquity !== peak) {
      await savePeakEquity(this.#d.db, strategyId, decision.peakEquity);
    }
    if (!decision.trip) return;
    const drawdown = toDecimalString(decision.drawdownPercent, 4);
    const message =
      `Strategy "${strategy.name}" halted: drawdown ${drawdown}% reached maxDrawdownPercent ${risk.maxDrawdownPercent}%`;
    await haltStrategy(this.#d.db, strategyId, message);
    // A user who re-activates the strategy accepts the losses so far: the
    // peak restarts from the equity at the next evaluation (0 marks that).
    await savePeakEquity(this.#d.db, strategyId, 0);
    log.warn("Drawdown breaker tripped", { strategyId, drawdown });
    if (open) await this.flatten(handle, open, "CLOSED_MANUAL", "max drawdown reached");
    await this.#d.publish(createEvent("strategy_halted", {
      id: `strategy_halted:${strategyId}:${this.#now()}`,
      occurredAt: this.#now(),
      userId,
      strategyId: String(strategyId),
      symbol: strategy.symbol,
      reason: "MAX_DRAWDOWN",
      message,
      drawdownPercent: drawdown,
    }));
  }

  /** The filled entry order of a trade, from its ENTRY intent (or the trade row). */
  async entryOrderOf(trade: TradeRecord): Promise<Order> {
    const intent = await getIntent(this.#d.db, trade.clientOrderIdEntry);
    const order = (intent?.result as { order?: Order } | null)?.order;
    if (order) return order;
    throw new AuraError(
      "TRADE_004",
      `Cannot find the entry order of trade ${trade.id} ("${trade.clientOrderIdEntry}")`,
    );
  }

  async #publishOpened(
    trade: TradeRecord,
    listClientOrderId: string | null,
    risk: RiskParams,
    lastPrice: string,
    rules: SymbolRules,
    plan?: { takeProfitPrice: string; stopPrice: string },
  ): Promise<void> {
    const entryPrice = Number(trade.entryPrice);
    const levels = plan ?? {
      takeProfitPrice: floorToTick(
        toDecimalString(entryPrice * (1 + risk.takeProfitPercent / 100), 10),
        rules.tickSize,
      ),
      stopPrice: floorToTick(
        toDecimalString(entryPrice * (1 - risk.stopLossPercent / 100), 10),
        rules.tickSize,
      ),
    };
    log.info("Trade opened", { tradeId: trade.id, lastPrice, listClientOrderId });
    await this.#d.publish(createEvent("trade_opened", {
      id: `trade_opened:${trade.id}`,
      occurredAt: this.#now(),
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
    }));
  }

  async #failed(signal: TradeSignal, action: "ENTRY" | "EXIT", error: unknown): Promise<void> {
    const code = isAuraError(error) ? error.code : "TRADE_004";
    const message = error instanceof Error ? error.message : String(error);
    log.warn("Signal failed", { signalId: signal.id, code, message });
    await this.#d.publish(createEvent("trade_failed", {
      id: `trade_failed:${signal.id}`,
      occurredAt: this.#now(),
      userId: signal.userId,
      strategyId: signal.strategyId,
      symbol: signal.symbol,
      signalId: signal.id,
      action,
      code,
      message,
    }));
  }

  #intentBase(
    handle: ExchangeHandle,
    signal: TradeSignal,
    id: string,
    kind: "ENTRY" | "EXIT",
    tradeId: number | null,
  ) {
    return {
      clientOrderId: id,
      userId: signal.userId,
      strategyId: Number(signal.strategyId),
      tradeId,
      signalId: signal.id,
      kind,
      symbol: signal.symbol,
      isPaper: handle.isPaper,
    };
  }

  #trade(id: number): Promise<TradeRecord | null> {
    return findTradeById(this.#d.db, id);
  }

  async #crash(step: CrashStep): Promise<void> {
    await this.#d.crashPoint?.(step);
  }

  #now(): number {
    return this.#d.clock.now();
  }
}

/** True when an exchange error says the order may have executed. */
export function outcomeUnknown(error: unknown): boolean {
  return isAuraError(error) &&
    (error.details as { outcomeUnknown?: boolean } | undefined)?.outcomeUnknown === true;
}

function errorResult(error: unknown): Record<string, unknown> {
  return {
    code: isAuraError(error) ? error.code : "TRADE_004",
    message: error instanceof Error ? error.message : String(error),
  };
}

function fillOf(order: Order): ExitFill {
  return {
    price: order.avgPrice,
    quantity: order.executedQty,
    quoteQty: order.cummulativeQuoteQty,
    commission: order.commission,
    commissionAsset: order.commissionAsset,
    orderId: order.orderId,
    clientOrderId: order.clientOrderId,
  };
}

/**
 * Paper order ids restart at 1 with each paper account, but trades'
 * `binance_order_id_entry` is unique: paper rows store a 63-bit number
 * derived from the (unique) client id instead.
 */
export function paperOrderNumber(clientOrderId: string): string {
  const hash = [...stableHash(clientOrderId)].reduce(
    (n, c) => n * 36n + BigInt(parseInt(c, 36)),
    0n,
  );
  return String(hash & ((1n << 62n) - 1n));
}
