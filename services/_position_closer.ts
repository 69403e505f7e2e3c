/**
 * Closing positions: our own exits (EXIT signal, flatten, rollback: cancel
 * the OCO, then market-sell the sellable quantity under a deterministic
 * client id recorded first), closes from a filled OCO leg, the exact P&L
 * written to the trade, the events that tell the UI and the strategy stage,
 * and the live drawdown breaker evaluated after every close.
 *
 * Dust: when the exchange refuses the market sell as too small (TRADE_002:
 * below LOT_SIZE minQty, or notional below the market NOTIONAL minimum after a
 * fall through the stop), the trade closes `CLOSED_DUST` at the last price
 * with no exit fee and the reason saying what is left in the account — not an
 * exit retried forever on a position nobody can sell.
 *
 * @module
 */

import type { Db } from "../db/port.ts";
import { haltStrategy } from "../db/strategies.ts";
import { closeTrade, failTrade, type TradeRecord, type TradeStatus } from "../db/trades.ts";
import type { Clock } from "../engine/clock.ts";
import { AuraError, isAuraError } from "../engine/errors.ts";
import { createEvent, type OrderEvent as BusEvent } from "../engine/events.ts";
import {
  closeStatusOf,
  evaluateBreaker,
  MONEY_INCREMENT,
  sellableQuantity,
  toEventLeg,
  tradePnl,
  unrealizedPnl,
} from "../engine/execution/mod.ts";
import { quoteFee } from "./_fees.ts";
import { clientOrderId } from "../engine/orders/client_ids.ts";
import {
  addDecimals,
  multiplyDecimals,
  roundToIncrement,
  toDecimalString,
} from "../engine/orders/decimal.ts";
import type { OcoLeg, Order } from "../engine/ports/exchange.ts";
import type { RiskParams } from "../engine/strategy/rules.ts";
import { createLogger } from "../logger.ts";
import {
  findTradeById,
  finishIntent,
  getIntent,
  type IntentRecord,
  listTradeIntents,
  loadBreakerInputs,
  recordIntent,
  savePeakEquity,
} from "../db/order_intents.ts";
import type { ExchangeHandle } from "./exchange_factory.ts";

const log = createLogger("execution");

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

/** A fill that closes a trade (an exit order or an OCO leg). */
export interface ExitFill {
  price: string;
  quantity: string;
  quoteQty: string;
  commission: string;
  commissionAsset: string;
  orderId: string;
  clientOrderId: string;
}

/** What the closer needs. */
export interface PositionCloserDeps {
  /** Trades, intents, strategies. */
  db: Db;
  /** Time source. */
  clock: Clock;
  /** Publishes on the "orders" topic. */
  publish(event: BusEvent): Promise<void>;
  /** Crash-test hook, called after the OCO was cancelled and before the exit is sent. */
  crashPoint?: (step: "exit_cancelled") => void | Promise<void>;
}

/** Closes positions and keeps the breaker (see the module doc). */
export class PositionCloser {
  readonly #d: PositionCloserDeps;

  /** Creates the closer. */
  constructor(deps: PositionCloserDeps) {
    this.#d = deps;
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
    const working: string[] = [];
    for (const oco of ocos.filter((o) => o.status !== "FAILED")) {
      const list = await exchange.getOrderList({ listClientOrderId: oco.clientOrderId });
      if (!list) continue;
      const legs = [["TAKE_PROFIT", list.takeProfit], ["STOP_LOSS", list.stopLoss]] as const;
      for (const [leg, order] of legs) {
        if (order.status !== "FILLED") continue;
        // A list's legs come without fills; the order query carries the commission.
        const filled = await exchange.getOrder({
          symbol: trade.symbol,
          clientOrderId: order.clientOrderId,
        }) ?? order;
        return await this.closeFromLeg(handle, trade, leg, fillOf(filled));
      }
      if (list.status === "EXECUTING") working.push(oco.clientOrderId);
    }
    const rules = await exchange.getSymbolRules(trade.symbol);
    const quantity = sellableQuantity(await this.entryOrderOf(trade), rules);
    // Recorded before the OCO is cancelled, so a crash in between resumes the
    // exit instead of re-protecting a position the strategy wanted closed.
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
    for (const listClientOrderId of working) {
      await exchange.cancelOrderList({ symbol: trade.symbol, listClientOrderId });
    }
    await this.#d.crashPoint?.("exit_cancelled");
    let order: Order | null = created ? null : await exchange.getOrder({
      symbol: trade.symbol,
      clientOrderId: request.clientOrderId,
    });
    if (!order) {
      try {
        order = await exchange.marketSell({
          symbol: trade.symbol,
          quantity,
          clientOrderId: request.clientOrderId,
        });
      } catch (error) {
        // Below LOT_SIZE or the market NOTIONAL minimum: no exchange will take it.
        if (!isAuraError(error, "TRADE_002")) throw error;
        return await this.#writeOffDust(handle, trade, intent, quantity, error);
      }
    }
    await this.closeFromExit(handle, trade, intent, order);
  }

  /**
   * A position too small to sell (dust): closed CLOSED_DUST at the last price
   * with no exit fee, so the strategy is free to trade again and the loss is
   * shown; the coins stay in the account (Binance can convert dust to BNB).
   */
  async #writeOffDust(
    handle: ExchangeHandle,
    trade: TradeRecord,
    intent: IntentRecord,
    quantity: string,
    refusal: AuraError,
  ): Promise<void> {
    const rules = await handle.exchange.getSymbolRules(trade.symbol);
    const price = await handle.exchange.getLastPrice(trade.symbol);
    const left = `${quantity} ${rules.baseAsset} left in the account`;
    log.warn("Position too small to sell: written off", {
      tradeId: trade.id,
      quantity,
      price,
      refusal: refusal.message,
    });
    await this.#close(
      handle,
      trade,
      "CLOSED_DUST",
      {
        price,
        quantity,
        quoteQty: roundToIncrement(multiplyDecimals(quantity, price), MONEY_INCREMENT, "nearest"),
        commission: "0",
        commissionAsset: rules.quoteAsset,
        orderId: "",
        clientOrderId: "",
      },
      `unsellable (${refusal.message}); ${left}`,
      intent.clientOrderId,
      null,
      {
        refused: refusal.message,
        code: refusal.code,
      },
    );
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
    refusal?: Record<string, unknown>,
  ): Promise<void> {
    const rules = await handle.exchange.getSymbolRules(trade.symbol);
    const exitFee = await quoteFee(handle.exchange, fill, fill.price, rules);
    const pnl = tradePnl({
      entryPrice: trade.entryPrice,
      entryFee: trade.entryFee,
      exitQuantity: fill.quantity,
      exitQuote: fill.quoteQty,
      exitFee,
    });
    const exitTimestamp = new Date(this.#now());
    const done = exitIntentId
      ? { clientOrderId: exitIntentId, result: refusal ?? { order: exitOrder } }
      : null;
    const closed = status === "FAILED"
      ? await this.#d.db.transaction(async (tx) => {
        const changed = (await tx.query(
          "SELECT 1 FROM trades WHERE id = $1 AND status = 'OPEN'",
          [trade.id],
        )).length > 0;
        await failTrade(tx, trade.id, reason ?? "failed", {
          exitPrice: fill.price,
          exitTimestamp,
          pnl,
          exitFee,
        });
        if (done) await finishIntent(tx, done.clientOrderId, "DONE", done.result);
        return changed;
      })
      // One statement closes the trade and completes its exit intent.
      : await closeTrade(this.#d.db, trade.id, {
        status,
        exitPrice: fill.price,
        exitTimestamp,
        pnl,
        exitFee,
        // A written-off position has no exit order.
        clientOrderIdExit: fill.clientOrderId || null,
        binanceOrderIdExit: handle.isPaper || !fill.orderId ? null : fill.orderId,
        failureReason: reason,
      }, done ?? undefined);
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
        status,
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
    const strategy = await loadBreakerInputs(this.#d.db, userId, strategyId);
    if (!strategy || strategy.halted) return;
    const risk = strategy.riskParams as unknown as RiskParams;
    const open = strategy.openTradeId === null
      ? null
      : await findTradeById(this.#d.db, strategy.openTradeId);
    const unrealized = open?.status === "OPEN"
      ? unrealizedPnl(open, await handle.exchange.getLastPrice(open.symbol))
      : "0";
    const peak = strategy.peakEquity;
    const decision = evaluateBreaker({
      allocation: String(risk.positionSizeUsd),
      realizedPnl: strategy.realizedPnl,
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
    if (open?.status === "OPEN") {
      await this.flatten(handle, open, "CLOSED_MANUAL", "max drawdown reached");
    }
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

  #now(): number {
    return this.#d.clock.now();
  }
}

/** The closing fill of a filled order. */
export function fillOf(order: Order): ExitFill {
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
