/**
 * The user data stream's `executionReport` and `listStatus` events → the
 * Exchange port's order events, under the ids the polling path uses, so the
 * two paths can run side by side and a consumer sees each event once.
 * Internal to the ccxt adapter.
 *
 * @module
 */

import { addDecimals, compareDecimals } from "../../engine/orders/decimal.ts";
import type { Fill, Order, OrderEvent } from "../../engine/ports/exchange.ts";
import { type Json, toFills, toOrder } from "./_binance_json.ts";

/** What {@link UserEventTranslator} needs from the adapter. */
export interface UserEventTranslatorDeps {
  /** Emits one order event (the watcher's emitter, which drops ids already emitted). */
  emit(event: OrderEvent): void;
  /** Called when the stream settled a list, so polling stops looking at it. */
  settled(listClientOrderId: string): void;
  /** The fills of an order from REST, when the stream did not show all of them. */
  fillsOf(order: Order): Promise<Fill[]>;
}

interface SeenOrder {
  report: Json;
  fills: Json[];
}

interface SeenList {
  symbol: string;
  listClientOrderId: string;
  status: string;
  legIds: string[];
  time: number;
}

const TERMINAL = new Set(["FILLED", "CANCELED", "REJECTED", "EXPIRED", "EXPIRED_IN_MATCH"]);

/**
 * `executionReport` and `listStatus` → the port's order events, with the
 * same ids the polling path uses (`oco_leg_filled:<listClientOrderId>`, …), so
 * whichever path sees a change first reports it and the other is dropped.
 * A list is reported once its `listStatus` says ALL_DONE and every leg's
 * final `executionReport` arrived, in whatever order Binance sends them.
 */
export class UserEventTranslator {
  readonly #deps: UserEventTranslatorDeps;
  readonly #orders = new Map<string, SeenOrder>();
  readonly #lists = new Map<string, SeenList>();
  readonly #pending = new Set<Promise<void>>();

  /** Creates an empty translator. */
  constructor(deps: UserEventTranslatorDeps) {
    this.#deps = deps;
  }

  /** Forgets partial state (after a reconnect the catch-up poll owns what was in flux). */
  reset(): void {
    this.#orders.clear();
    this.#lists.clear();
  }

  /** Waits for REST fill lookups still in flight. */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Handles one user data event; other event types are ignored. */
  handle(event: Json): void {
    if (event.e === "executionReport") this.#onExecution(event);
    else if (event.e === "listStatus") this.#onListStatus(event);
  }

  #onExecution(report: Json): void {
    const orderId = String(report.i);
    const seen = this.#orders.get(orderId) ?? { report, fills: [] };
    seen.report = report;
    if (report.x === "TRADE") {
      seen.fills.push({
        price: report.L,
        qty: report.l,
        commission: report.n,
        commissionAsset: report.N,
        tradeId: report.t,
      });
    }
    this.#orders.set(orderId, seen);
    const listId = Number(report.g ?? -1);
    if (listId !== -1) {
      this.#checkList(String(listId));
      return;
    }
    const status = String(report.X);
    if (!TERMINAL.has(status)) return;
    this.#orders.delete(orderId);
    if (status === "FILLED") {
      this.#withAllFills(seen, (order) =>
        this.#deps.emit({
          type: "order_filled",
          id: `order_filled:${order.clientOrderId}`,
          order,
          time: order.updateTime,
        }));
    } else if (status === "EXPIRED" || status === "EXPIRED_IN_MATCH") {
      const order = orderOf(seen);
      this.#deps.emit({
        type: "order_expired",
        id: `order_expired:${order.clientOrderId}`,
        order,
        time: order.updateTime,
      });
    }
  }

  #onListStatus(event: Json): void {
    const orderListId = String(event.g);
    this.#lists.set(orderListId, {
      symbol: String(event.s),
      listClientOrderId: String(event.C),
      status: String(event.L),
      legIds: ((event.O ?? []) as Json[]).map((leg) => String(leg.i)),
      time: Number(event.T ?? event.E ?? 0),
    });
    this.#checkList(orderListId);
  }

  #checkList(orderListId: string): void {
    const list = this.#lists.get(orderListId);
    if (!list || list.status !== "ALL_DONE") return;
    const legs = list.legIds.map((id) => this.#orders.get(id));
    if (legs.some((leg) => !leg || !TERMINAL.has(String(leg.report.X)))) return;
    this.#lists.delete(orderListId);
    for (const id of list.legIds) this.#orders.delete(id);
    const filled = legs.find((leg) => leg!.report.X === "FILLED");
    if (!filled) {
      this.#deps.emit({
        type: "oco_cancelled",
        id: `oco_cancelled:${list.listClientOrderId}`,
        symbol: list.symbol,
        orderListId,
        listClientOrderId: list.listClientOrderId,
        time: list.time,
      });
      this.#deps.settled(list.listClientOrderId);
      return;
    }
    this.#withAllFills(filled, (leg) => {
      this.#deps.emit({
        type: "oco_leg_filled",
        id: `oco_leg_filled:${list.listClientOrderId}`,
        symbol: list.symbol,
        orderListId,
        listClientOrderId: list.listClientOrderId,
        leg: leg.type === "STOP_LOSS_LIMIT" || leg.type === "STOP_LOSS"
          ? "STOP_LOSS"
          : "TAKE_PROFIT",
        orderId: leg.orderId,
        clientOrderId: leg.clientOrderId,
        price: leg.avgPrice,
        quantity: leg.executedQty,
        quoteQty: leg.cummulativeQuoteQty,
        commission: leg.commission,
        commissionAsset: leg.commissionAsset,
        time: leg.updateTime,
      });
      this.#deps.settled(list.listClientOrderId);
    });
  }

  /** Calls `use` with the order and all its fills: from the stream when it saw every fill, else from REST. */
  #withAllFills(seen: SeenOrder, use: (order: Order) => void): void {
    const order = orderOf(seen);
    const seenQty = order.fills.reduce((sum, fill) => addDecimals(sum, fill.qty), "0");
    if (compareDecimals(seenQty, order.executedQty) === 0) {
      use(order);
      return;
    }
    // Connected mid-way through a partially filled order: the commissions come from myTrades.
    const lookup = this.#deps.fillsOf(order)
      .then((fills) => use(toOrder(restShape(seen.report), fills)))
      .catch(() => {
        // The next poll reports it (the list stays tracked until an event is emitted).
      })
      .finally(() => this.#pending.delete(lookup));
    this.#pending.add(lookup);
  }
}

/** An executionReport in `GET /api/v3/order`'s shape, so one mapper serves both paths. */
function restShape(report: Json): Json {
  return {
    symbol: report.s,
    orderId: report.i,
    // A cancel report carries the cancel request's id in `c` and the order's own in `C`.
    clientOrderId: report.x === "CANCELED" && report.C ? report.C : report.c,
    side: report.S,
    type: report.o,
    status: report.X,
    price: report.p,
    stopPrice: report.P,
    origQty: report.q,
    executedQty: report.z,
    cummulativeQuoteQty: report.Z,
    orderListId: report.g,
    time: report.O,
    updateTime: report.T ?? report.E,
  };
}

function orderOf(seen: SeenOrder): Order {
  return toOrder(restShape(seen.report), toFills(seen.fills));
}
