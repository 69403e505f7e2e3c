/**
 * Binance's user data stream over the WebSocket API: one connection to
 * `/ws-api/v3`, one `userDataStream.subscribe.signature` request (apiKey,
 * timestamp, recvWindow and an HMAC-SHA256 signature over those parameters
 * sorted by name, exactly as REST signs its query), then `executionReport`,
 * `listStatus`, … pushed as `{"subscriptionId":N,"event":{...}}`. Binance
 * retired listenKeys for this; the secret never leaves the process, only the
 * signature computed from it does.
 *
 * The connection is crash-only: any close, error, refused subscription,
 * missing acknowledgement or `eventStreamTerminated` ends in one path —
 * reconnect after an exponential, jittered backoff and subscribe again.
 * `onLive(true)` fires after every acknowledged subscription (the adapter
 * runs one REST poll there to catch what happened while disconnected) and
 * `onLive(false)` on every loss (the adapter falls back to polling).
 *
 * @module
 */

import { addDecimals, compareDecimals } from "../../engine/orders/decimal.ts";
import type { Fill, Order, OrderEvent } from "../../engine/ports/exchange.ts";
import { type Json, toFills, toOrder } from "./_binance_json.ts";

/** Live Binance spot WebSocket API. */
export const LIVE_WS_API_URL = "wss://ws-api.binance.com:443/ws-api/v3";
/** Spot testnet WebSocket API. */
export const TESTNET_WS_API_URL = "wss://ws-api.testnet.binance.vision/ws-api/v3";

/** Options of {@link UserDataStream}. */
export interface UserDataStreamOptions {
  /** Full WebSocket API URL, e.g. {@link LIVE_WS_API_URL} or `ws://127.0.0.1:PORT/ws-api/v3`. */
  url: string;
  /** API key (sent in the clear, as Binance requires). */
  apiKey: string;
  /** API secret (used only as the HMAC key). */
  secret: string;
  /** Request timestamp in the exchange's time, ms (the REST client's clock-offset-corrected nonce). */
  timestamp: () => number;
  /** recvWindow, ms (default 5,000). */
  recvWindowMs?: number;
  /** Receives each user data event (the `event` object of a push). */
  onEvent: (event: Json) => void;
  /** Told when the subscription becomes live (true) or is lost (false). */
  onLive: (live: boolean) => void;
  /** First reconnect delay, ms (default 500); doubles per failed attempt. */
  initialDelayMs?: number;
  /** Largest reconnect delay, ms (default 30,000). */
  maxDelayMs?: number;
  /** How long to wait for the subscription's answer, ms (default 10,000). */
  subscribeTimeoutMs?: number;
  /** Opens the socket (default `new WebSocket(url)`); tests wrap it to see what is sent. */
  connect?: (url: string) => WebSocket;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
}

const encoder = new TextEncoder();

/** Hex HMAC-SHA256 of the WebSocket API's signature payload (params sorted by name). */
export async function signWsApiParams(
  secret: string,
  params: Record<string, string | number>,
): Promise<string> {
  const payload = Object.keys(params).sort().map((key) => `${key}=${params[key]}`).join("&");
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(payload)));
  return Array.from(signature, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** One self-healing user data stream subscription (see the module doc). */
export class UserDataStream {
  readonly #o: UserDataStreamOptions;
  #socket: WebSocket | undefined;
  #socketClosed: Promise<void> = Promise.resolve();
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #ackTimer: ReturnType<typeof setTimeout> | undefined;
  #pendingId: string | undefined;
  #nextId = 0;
  #failures = 0;
  #live = false;
  #started = false;
  #stopped = false;

  /** Creates a stopped stream; {@link start} connects. */
  constructor(options: UserDataStreamOptions) {
    this.#o = options;
  }

  /** True while a subscription is acknowledged and its socket open. */
  get live(): boolean {
    return this.#live;
  }

  /** Connects and subscribes; idempotent. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#open();
  }

  /** Closes the socket and cancels reconnection; idempotent, resolves once the socket is closed. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clearTimers();
    const socket = this.#socket;
    this.#socket = undefined;
    this.#setLive(false);
    if (socket) {
      try {
        socket.close(1000, "Client closed the stream");
      } catch {
        // Already closing.
      }
    }
    await this.#socketClosed;
  }

  #open(): void {
    if (this.#stopped) return;
    let socket: WebSocket;
    try {
      socket = (this.#o.connect ?? ((url) => new WebSocket(url)))(this.#o.url);
    } catch {
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;
    const closed = Promise.withResolvers<void>();
    this.#socketClosed = closed.promise;
    socket.onopen = () => void this.#subscribe(socket);
    socket.onmessage = (message) => this.#onMessage(socket, String(message.data));
    // An error is always followed by close, which owns the recovery.
    socket.onerror = () => {};
    socket.onclose = () => {
      closed.resolve();
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#clearAckTimer();
      this.#setLive(false);
      this.#failures++;
      this.#scheduleReconnect();
    };
  }

  async #subscribe(socket: WebSocket): Promise<void> {
    const params: Record<string, string | number> = {
      apiKey: this.#o.apiKey,
      recvWindow: this.#o.recvWindowMs ?? 5_000,
      timestamp: this.#o.timestamp(),
    };
    const signature = await signWsApiParams(this.#o.secret, params);
    if (socket !== this.#socket || socket.readyState !== WebSocket.OPEN) return;
    const id = `aura-uds-${++this.#nextId}`;
    this.#pendingId = id;
    socket.send(JSON.stringify({
      id,
      method: "userDataStream.subscribe.signature",
      params: { ...params, signature },
    }));
    this.#ackTimer = setTimeout(() => {
      this.#ackTimer = undefined;
      this.#drop(socket);
    }, this.#o.subscribeTimeoutMs ?? 10_000);
  }

  #onMessage(socket: WebSocket, text: string): void {
    if (socket !== this.#socket) return;
    let message: Json;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (this.#pendingId !== undefined && message.id === this.#pendingId) {
      this.#pendingId = undefined;
      this.#clearAckTimer();
      if (message.status === 200) {
        this.#failures = 0;
        this.#setLive(true);
      } else {
        // Refused (bad key, signature, timestamp): retry later; polling covers the gap.
        this.#drop(socket);
      }
      return;
    }
    const event = message.event as Json | undefined;
    if (!event || typeof event !== "object" || !this.#live) return;
    if (event.e === "eventStreamTerminated") {
      this.#drop(socket);
      return;
    }
    try {
      this.#o.onEvent(event);
    } catch {
      // A consumer's failure must not take the stream down.
    }
  }

  #drop(socket: WebSocket): void {
    try {
      socket.close(4000, "Resubscribing");
    } catch {
      // Already closing; onclose reconnects.
    }
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#reconnectTimer !== undefined) return;
    const initial = this.#o.initialDelayMs ?? 500;
    const max = this.#o.maxDelayMs ?? 30_000;
    const base = Math.min(max, initial * 2 ** Math.max(0, this.#failures - 1));
    const delay = base * (0.5 + 0.5 * (this.#o.random ?? Math.random)());
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#open();
    }, delay);
  }

  #setLive(live: boolean): void {
    if (this.#live === live) return;
    this.#live = live;
    this.#o.onLive(live);
  }

  #clearAckTimer(): void {
    if (this.#ackTimer !== undefined) clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
  }

  #clearTimers(): void {
    this.#clearAckTimer();
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
  }
}

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
