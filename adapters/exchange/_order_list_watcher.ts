/**
 * Order events for the ccxt adapter, and their REST polling path: a poll
 * lists the open order lists; a tracked list that is no longer open is
 * fetched once and reported as `oco_leg_filled` (one leg FILLED) or
 * `oco_cancelled`. Market orders are reported from their own reply.
 *
 * The user data stream (`_user_stream.ts`) emits through the same
 * {@link OrderListWatcher.emit}: event ids derive from the client ids and
 * each is emitted once per process, whichever path saw the change first.
 * While the stream is live polling slows to the safety interval (or stops);
 * when it is down polling runs at the fallback interval; every time it
 * becomes live one poll runs at once to catch what the gap hid.
 *
 * @module
 */

import type {
  Fill,
  Order,
  OrderEvent,
  OrderEventHandler,
  OrderList,
} from "../../engine/ports/exchange.ts";
import { withFills } from "./_binance_json.ts";

/** What the watcher needs from the adapter. */
export interface OrderListWatcherDeps {
  /** Poll period while the user data stream is down, ms (0: never). */
  intervalMs: number;
  /** Poll period while the user data stream is live, ms (0: never). */
  safetyIntervalMs?: number;
  /** Client ids of the executing order lists. */
  openListIds(): Promise<string[]>;
  /** One list with its legs, or null when unknown. */
  getOrderList(listClientOrderId: string): Promise<OrderList | null>;
  /** The fills (with commissions) of an order. */
  fillsOf(order: Order): Promise<Fill[]>;
}

/** Polls order lists and emits {@link OrderEvent}s to subscribers. */
export class OrderListWatcher {
  readonly #deps: OrderListWatcherDeps;
  readonly #handlers = new Set<OrderEventHandler>();
  readonly #tracked = new Set<string>();
  readonly #emitted = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #polling: Promise<void> | undefined;
  #pollAgain = false;
  #streamLive = false;
  #closed = false;

  /** Creates a stopped watcher; it polls while it has subscribers. */
  constructor(deps: OrderListWatcherDeps) {
    this.#deps = deps;
  }

  /** Adds a handler (starting the polling); returns the unsubscribe function. */
  subscribe(handler: OrderEventHandler): () => void {
    this.#handlers.add(handler);
    this.#schedule();
    return () => {
      this.#handlers.delete(handler);
      if (this.#handlers.size === 0) this.#stopTimer();
    };
  }

  /** Watches a list we just placed (it may finish before the next poll). */
  track(listClientOrderId: string): void {
    this.#tracked.add(listClientOrderId);
  }

  /** Stops watching a list another path already reported. */
  untrack(listClientOrderId: string): void {
    this.#tracked.delete(listClientOrderId);
  }

  /**
   * Switches between the fallback and the safety poll interval; becoming
   * live also polls at once (after a poll in flight, which may predate the
   * subscription).
   */
  setStreamLive(live: boolean): void {
    this.#streamLive = live;
    this.#stopTimer();
    if (live && this.#handlers.size > 0) this.#pollNow();
    else this.#schedule();
  }

  /** Reports a market order from its reply. */
  noteMarketOrder(order: Order): void {
    if (order.status === "FILLED") {
      this.emit({
        type: "order_filled",
        id: `order_filled:${order.clientOrderId}`,
        order,
        time: order.updateTime,
      });
    } else if (order.status === "EXPIRED" || order.status === "EXPIRED_IN_MATCH") {
      this.emit({
        type: "order_expired",
        id: `order_expired:${order.clientOrderId}`,
        order,
        time: order.updateTime,
      });
    }
  }

  /** Reports a list we cancelled ourselves. */
  noteCancelled(list: OrderList): void {
    this.#tracked.delete(list.listClientOrderId);
    this.#emitCancelled(list);
  }

  /** Stops polling and waits for a poll in flight; idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stopTimer();
    this.#handlers.clear();
    await this.#polling;
  }

  /** One poll; exposed for tests and for reconciliation at start-up. */
  async poll(): Promise<void> {
    const open = new Set(await this.#deps.openListIds());
    for (const id of open) this.#tracked.add(id);
    for (const id of [...this.#tracked]) {
      if (open.has(id)) continue;
      const list = await this.#deps.getOrderList(id);
      if (list === null) {
        this.#tracked.delete(id);
        continue;
      }
      if (list.status === "EXECUTING") continue;
      this.#tracked.delete(id);
      const filled = [list.takeProfit, list.stopLoss].find((leg) => leg.status === "FILLED");
      if (!filled) {
        this.#emitCancelled(list);
        continue;
      }
      const leg = withFills(filled, await this.#deps.fillsOf(filled));
      this.emit({
        type: "oco_leg_filled",
        id: `oco_leg_filled:${list.listClientOrderId}`,
        symbol: list.symbol,
        orderListId: list.orderListId,
        listClientOrderId: list.listClientOrderId,
        leg: filled === list.takeProfit ? "TAKE_PROFIT" : "STOP_LOSS",
        orderId: leg.orderId,
        clientOrderId: leg.clientOrderId,
        price: leg.avgPrice,
        quantity: leg.executedQty,
        quoteQty: leg.cummulativeQuoteQty,
        commission: leg.commission,
        commissionAsset: leg.commissionAsset,
        time: leg.updateTime,
      });
    }
  }

  #schedule(): void {
    if (this.#closed || this.#timer !== undefined || this.#polling || this.#handlers.size === 0) {
      return;
    }
    const delay = this.#streamLive ? this.#deps.safetyIntervalMs ?? 0 : this.#deps.intervalMs;
    if (!(delay > 0)) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pollNow();
    }, delay);
  }

  #pollNow(): void {
    if (this.#closed) return;
    if (this.#polling) {
      this.#pollAgain = true;
      return;
    }
    this.#stopTimer();
    this.#polling = this.poll()
      .catch(() => {
        // A failed poll is retried at the next tick; the resilience layer already backed off.
      })
      .finally(() => {
        this.#polling = undefined;
        if (this.#pollAgain) {
          this.#pollAgain = false;
          this.#pollNow();
        } else {
          this.#schedule();
        }
      });
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #emitCancelled(list: OrderList): void {
    this.emit({
      type: "oco_cancelled",
      id: `oco_cancelled:${list.listClientOrderId}`,
      symbol: list.symbol,
      orderListId: list.orderListId,
      listClientOrderId: list.listClientOrderId,
      time: list.updateTime,
    });
  }

  /** Delivers `event` to every subscriber unless an event with its id was already emitted. */
  emit(event: OrderEvent): void {
    if (this.#emitted.has(event.id)) return;
    this.#emitted.add(event.id);
    for (const handler of [...this.#handlers]) {
      try {
        handler(structuredClone(event));
      } catch {
        // A consumer's failure must not stop the watcher.
      }
    }
  }
}
