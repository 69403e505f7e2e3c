/**
 * The simulator's matching engine: orders, order lists and trades of every
 * account. Market orders fill at the last price (placement.ts), resting
 * orders and OCO legs when a pushed candle or a price move reaches them
 * (triggers.ts, through the shared fill model), balances move exactly
 * (settlement.ts), and every state change emits Binance's user data events.
 *
 * @module
 */

import type { Account } from "./accounts.ts";
import { BinanceError, BinanceMessages } from "./binance_error.ts";
import type { SeededRandom } from "./faults.ts";
import type { Market } from "./market.ts";
import type { Fill, SimOrder, SimOrderList } from "./orders.ts";
import { placeOcoList, placeSingleOrder } from "./placement.ts";
import type { NewOcoRequest, NewOrderRequest } from "./placement.ts";
import { settleFill } from "./settlement.ts";
import { rulesFor } from "./symbols.ts";
import { applyPriceRange } from "./triggers.ts";
import { accountPositionEvent, executionReport, listStatusEvent } from "./user_events.ts";
import type { ExecutionType, UserEventSink } from "./user_events.ts";

export type { NewOcoRequest, NewOrderRequest } from "./placement.ts";
export { triggersOnFall } from "./triggers.ts";

/** How the engine charges commission and tells the time. */
export interface MatchingOptions {
  /** Commission rate per fill, e.g. `"0.001"`. */
  feeRate: string;
  /**
   * `base`: BUY commission is charged in the base asset (Binance's default);
   * `quote`: always in quote; `bnb`: paid in BNB at a 25 % discount, valued at
   * the last BNB price in the symbol's quote, when the account holds enough BNB
   * (else as `base`, as Binance falls back).
   */
  commissionAsset: "quote" | "base" | "bnb";
  /** Random source for generated client order ids. */
  random: SeededRandom;
  /** Server time, ms. */
  now: () => number;
  /** Receives user data events. */
  emit: UserEventSink;
  /** Finds the account of an order's API key. */
  accountOf: (apiKey: string) => Account | undefined;
}

/** A trade as `/api/v3/myTrades` reports it. */
export interface TradeRecord extends Fill {
  symbol: string;
  orderId: number;
  orderListId: number;
  isBuyer: boolean;
}

/** The part of a candle that moves resting orders. */
export interface PriceRange {
  open: string;
  high: string;
  low: string;
}

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Orders, order lists and trades of every account, and the rules that move them. */
export class MatchingEngine {
  /** Last prices and candles. */
  readonly market: Market;
  /** Fees, clock, id source and event sink. */
  readonly options: MatchingOptions;
  readonly #orders = new Map<number, SimOrder>();
  readonly #lists = new Map<number, SimOrderList>();
  readonly #openOrders = new Map<string, Set<number>>();
  readonly #openLists = new Map<string, Set<number>>();
  // Per-account indexes keep every request O(open orders), not O(all orders ever).
  readonly #openByAccount = new Map<string, Set<number>>();
  readonly #byClientId = new Map<string, number>();
  readonly #trades = new Map<string, TradeRecord[]>();
  readonly #tradeIds = new Map<string, number>();
  #nextOrderId = 1;
  #nextListId = 1;

  /** Creates an engine over `market`. */
  constructor(market: Market, options: MatchingOptions) {
    this.market = market;
    this.options = options;
  }

  /** A fresh 22-character client id like Binance generates. */
  newClientId(): string {
    let id = "";
    for (let i = 0; i < 22; i++) id += ID_ALPHABET[Math.floor(this.options.random.next() * 62)];
    return id;
  }

  /** Places one order (`POST /api/v3/order`). */
  placeOrder(account: Account, req: NewOrderRequest): SimOrder {
    return placeSingleOrder(this, account, req);
  }

  /** Places a SELL OCO (`POST /api/v3/orderList/oco`): LIMIT_MAKER above, stop below. */
  placeOco(account: Account, req: NewOcoRequest): { list: SimOrderList; legs: SimOrder[] } {
    return placeOcoList(this, account, req);
  }

  // ---- bookkeeping used by placement.ts -------------------------------------------------

  /** Allocates the next order id. */
  nextOrderId(): number {
    return this.#nextOrderId++;
  }

  /** Allocates the next order list id. */
  nextListId(): number {
    return this.#nextListId++;
  }

  /** Stores an order; open ones are indexed for triggering. */
  store(order: SimOrder): void {
    this.#index(order);
    if (order.status === "NEW" && order.orderListId === -1) {
      setOf(this.#openOrders, order.symbol).add(order.orderId);
    }
  }

  /** Stores an open order list and its legs. */
  storeList(list: SimOrderList, legs: SimOrder[]): void {
    this.#lists.set(list.orderListId, list);
    for (const leg of legs) this.#index(leg);
    setOf(this.#openLists, list.symbol).add(list.orderListId);
  }

  #index(order: SimOrder): void {
    this.#orders.set(order.orderId, order);
    this.#byClientId.set(`${order.apiKey}|${order.symbol}|${order.clientOrderId}`, order.orderId);
    if (order.status === "NEW") setOf(this.#openByAccount, order.apiKey).add(order.orderId);
  }

  /** Takes an order that left NEW (filled, cancelled, expired) off the open indexes. */
  retire(order: SimOrder): void {
    this.#openByAccount.get(order.apiKey)?.delete(order.orderId);
    this.#openOrders.get(order.symbol)?.delete(order.orderId);
  }

  /** Open orders of `account` (list legs included), optionally for one symbol, oldest first. */
  openOrdersOf(account: Account, symbol?: string): SimOrder[] {
    const open: SimOrder[] = [];
    for (const id of this.#openByAccount.get(account.apiKey) ?? []) {
      const o = this.#orders.get(id)!;
      if (symbol === undefined || o.symbol === symbol) open.push(o);
    }
    return open.sort((a, b) => a.orderId - b.orderId);
  }

  /** -2010 "Duplicate order sent." when `clientOrderId` is used by an open order of the account. */
  assertUniqueClientId(account: Account, clientOrderId: string): void {
    for (const o of this.openOrdersOf(account)) {
      if (o.clientOrderId === clientOrderId) {
        throw new BinanceError(-2010, BinanceMessages.duplicateOrder);
      }
    }
  }

  /** -2010 "Duplicate order sent." when an open list of the account uses `listClientOrderId`. */
  assertUniqueListId(account: Account, listClientOrderId: string): void {
    for (const list of this.#lists.values()) {
      if (
        list.apiKey === account.apiKey && list.listStatusType !== "ALL_DONE" &&
        list.listClientOrderId === listClientOrderId
      ) throw new BinanceError(-2010, BinanceMessages.duplicateOrder);
    }
  }

  /** Fills `order` completely at `price`; see {@link settleFill}. */
  fill(account: Account, order: SimOrder, price: string, isMaker: boolean, strict: boolean): Fill {
    return settleFill(this, account, order, price, isMaker, strict);
  }

  /** Allocates the next trade id of `symbol`. */
  nextTradeId(symbol: string): number {
    const id = (this.#tradeIds.get(symbol) ?? 0) + 1;
    this.#tradeIds.set(symbol, id);
    return id;
  }

  /** Records a trade of `apiKey` and takes its order off the open index. */
  recordTrade(apiKey: string, order: SimOrder, trade: TradeRecord): void {
    this.retire(order);
    const trades = this.#trades.get(apiKey) ?? [];
    this.#trades.set(apiKey, trades);
    trades.push(trade);
  }

  /** Emits an executionReport for `order`. */
  report(order: SimOrder, type: ExecutionType, fill?: Fill, cancelClientOrderId?: string): void {
    this.options.emit(
      order.apiKey,
      executionReport(order, type, this.options.now(), fill, cancelClientOrderId),
    );
  }

  /** Emits outboundAccountPosition for the assets of `symbol`. */
  reportBalances(account: Account, symbol: string): void {
    const rules = rulesFor(symbol);
    this.options.emit(
      account.apiKey,
      accountPositionEvent(account, [rules.baseAsset, rules.quoteAsset], this.options.now()),
    );
  }

  /** Emits listStatus for `list`. */
  reportList(list: SimOrderList): void {
    this.options.emit(list.apiKey, listStatusEvent(list, this.legsOf(list), this.options.now()));
  }

  // ---- queries ----------------------------------------------------------------------------

  /** The order of `account` by id or client id; -2013 when unknown. */
  getOrder(
    account: Account,
    symbol: string,
    by: { orderId?: number; origClientOrderId?: string },
  ): SimOrder {
    const found = this.#find(account, symbol, by);
    if (!found) throw new BinanceError(-2013, BinanceMessages.orderDoesNotExist);
    return found;
  }

  #find(
    account: Account,
    symbol: string,
    by: { orderId?: number; origClientOrderId?: string },
  ): SimOrder | undefined {
    if (by.orderId !== undefined) {
      const o = this.#orders.get(by.orderId);
      return o && o.apiKey === account.apiKey && o.symbol === symbol ? o : undefined;
    }
    const id = this.#byClientId.get(`${account.apiKey}|${symbol}|${by.origClientOrderId}`);
    return id === undefined ? undefined : this.#orders.get(id);
  }

  /** Every order of `account` (optionally one symbol), oldest first. */
  allOrders(account: Account, symbol?: string): SimOrder[] {
    return [...this.#orders.values()].filter((o) =>
      o.apiKey === account.apiKey && (symbol === undefined || o.symbol === symbol)
    );
  }

  /** The list of `account` by id or client id; -2013 when unknown. */
  getOrderList(
    account: Account,
    by: { orderListId?: number; origClientOrderId?: string },
  ): SimOrderList {
    for (const list of this.#lists.values()) {
      if (list.apiKey !== account.apiKey) continue;
      if (
        by.orderListId !== undefined
          ? list.orderListId === by.orderListId
          : list.listClientOrderId === by.origClientOrderId
      ) {
        return list;
      }
    }
    throw new BinanceError(-2013, "Order list does not exist.");
  }

  /** Every order list of `account`, optionally only the open ones. */
  orderLists(account: Account, openOnly: boolean): SimOrderList[] {
    return [...this.#lists.values()].filter((l) =>
      l.apiKey === account.apiKey && (!openOnly || l.listStatusType !== "ALL_DONE")
    );
  }

  /** The legs of `list`, below leg first. */
  legsOf(list: SimOrderList): SimOrder[] {
    return list.orderIds.map((id) => this.#orders.get(id)!);
  }

  /** Trades of `account` on `symbol`, optionally of one order. */
  trades(account: Account, symbol: string, orderId?: number): TradeRecord[] {
    return (this.#trades.get(account.apiKey) ?? []).filter((t) =>
      t.symbol === symbol && (orderId === undefined || t.orderId === orderId)
    );
  }

  // ---- cancellation -------------------------------------------------------------------------

  /**
   * Cancels an open order (`DELETE /api/v3/order`); -2011 when it is unknown
   * or no longer open. Cancelling an OCO leg cancels the whole list, as on Binance.
   */
  cancelOrder(
    account: Account,
    symbol: string,
    by: { orderId?: number; origClientOrderId?: string },
    cancelClientOrderId: string,
  ): { order: SimOrder } | { list: SimOrderList; legs: SimOrder[]; cancelIds: string[] } {
    const order = this.#find(account, symbol, by);
    if (!order || order.status !== "NEW") {
      throw new BinanceError(-2011, BinanceMessages.unknownOrder);
    }
    if (order.orderListId !== -1) {
      return this.cancelOrderList(account, symbol, { orderListId: order.orderListId });
    }
    this.release(account, order.locked);
    order.locked = undefined;
    order.status = "CANCELED";
    this.retire(order);
    order.updateTime = this.options.now();
    this.report(order, "CANCELED", undefined, cancelClientOrderId);
    this.reportBalances(account, symbol);
    return { order };
  }

  /** Cancels an open order list (`DELETE /api/v3/orderList`); -2011 when unknown or done. */
  cancelOrderList(
    account: Account,
    symbol: string,
    by: { orderListId?: number; listClientOrderId?: string },
  ): { list: SimOrderList; legs: SimOrder[]; cancelIds: string[] } {
    const list = [...this.#lists.values()].find((l) =>
      l.apiKey === account.apiKey && l.symbol === symbol &&
      (by.orderListId !== undefined
        ? l.orderListId === by.orderListId
        : l.listClientOrderId === by.listClientOrderId)
    );
    if (!list || list.listStatusType === "ALL_DONE") {
      throw new BinanceError(-2011, BinanceMessages.unknownOrder);
    }
    const now = this.options.now();
    const legs = this.legsOf(list);
    const cancelIds: string[] = [];
    this.release(account, list.locked);
    list.locked = undefined;
    for (const leg of legs) {
      leg.status = "CANCELED";
      this.retire(leg);
      leg.updateTime = now;
      const cancelId = this.newClientId();
      cancelIds.push(cancelId);
      this.report(leg, "CANCELED", undefined, cancelId);
    }
    this.finishList(list, now);
    this.reportBalances(account, symbol);
    return { list, legs, cancelIds };
  }

  /** Gives back what an order or list holds locked. */
  release(account: Account, locked: { asset: string; amount: string } | undefined): void {
    if (locked) account.unlock(locked.asset, locked.amount);
  }

  /** Marks `list` ALL_DONE and reports it. */
  finishList(list: SimOrderList, now: number): void {
    list.listStatusType = "ALL_DONE";
    list.listOrderStatus = "ALL_DONE";
    list.transactionTime = now;
    this.#openLists.get(list.symbol)?.delete(list.orderListId);
    this.reportList(list);
  }

  // ---- market moves ---------------------------------------------------------------------------

  /** Open order list ids of `symbol` (a copy, safe to iterate while lists finish). */
  openListIds(symbol: string): number[] {
    return [...(this.#openLists.get(symbol) ?? [])];
  }

  /** Open single-order ids of `symbol` (a copy). */
  openOrderIds(symbol: string): number[] {
    return [...(this.#openOrders.get(symbol) ?? [])];
  }

  /** The order list with id `orderListId`. */
  listById(orderListId: number): SimOrderList | undefined {
    return this.#lists.get(orderListId);
  }

  /** The order with id `orderId`. */
  orderById(orderId: number): SimOrder | undefined {
    return this.#orders.get(orderId);
  }

  /** Lets a candle reach the resting orders of `symbol`; see {@link applyPriceRange}. */
  onPriceRange(symbol: string, range: PriceRange): void {
    applyPriceRange(this, symbol, range);
  }
}

function setOf<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (!set) map.set(key, set = new Set());
  return set;
}
