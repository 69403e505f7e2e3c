/**
 * The `Exchange` port: the small surface the execution engine needs from a
 * spot exchange. Adapters (ccxt Binance, paper) implement it and run one
 * contract test suite (adapters/exchange/contract_test_suite.ts).
 *
 * Commands are acknowledged with the exchange's view of the order; what
 * happens later (an OCO leg fills, a list is cancelled) arrives as
 * {@link OrderEvent}s. Every amount is a decimal string; every event has an id
 * derived from the order, so a consumer that sees it twice can drop it.
 *
 * @module
 */

import type { SymbolRules } from "../orders/filters.ts";

/** Binance order status. */
export type OrderStatus =
  | "NEW"
  | "PARTIALLY_FILLED"
  | "FILLED"
  | "CANCELED"
  | "PENDING_CANCEL"
  | "REJECTED"
  | "EXPIRED"
  | "EXPIRED_IN_MATCH";

/** Binance order list status (`listOrderStatus`). */
export type OrderListStatus = "EXECUTING" | "ALL_DONE" | "REJECT";

/** Side of an order. */
export type OrderSide = "BUY" | "SELL";

/** One execution of an order. */
export interface Fill {
  /** Fill price. */
  price: string;
  /** Base quantity filled. */
  qty: string;
  /** Commission charged. */
  commission: string;
  /** Asset the commission was charged in. */
  commissionAsset: string;
  /** Exchange trade id, when known. */
  tradeId?: string;
}

/** An order as the exchange reports it. */
export interface Order {
  /** Symbol. */
  symbol: string;
  /** Exchange order id (as a string: Binance ids exceed 2^53 on some venues). */
  orderId: string;
  /** Our client id. */
  clientOrderId: string;
  /** Order list it belongs to, when it is an OCO leg. */
  orderListId?: string;
  /** BUY or SELL. */
  side: OrderSide;
  /** `MARKET`, `LIMIT_MAKER`, `STOP_LOSS_LIMIT`, ... */
  type: string;
  /** Current status. */
  status: OrderStatus;
  /** Limit price (`"0"` for market orders). */
  price: string;
  /** Stop price for stop orders. */
  stopPrice?: string;
  /** Ordered base quantity. */
  origQty: string;
  /** Filled base quantity. */
  executedQty: string;
  /** Quote spent or received. */
  cummulativeQuoteQty: string;
  /** Average fill price (`"0"` when nothing filled). */
  avgPrice: string;
  /** Fills, when the exchange returned them (always for market orders we sent). */
  fills: Fill[];
  /** Total commission over `fills` in `commissionAsset` (`"0"` when none). */
  commission: string;
  /** Asset of `commission` (the quote asset when nothing filled). */
  commissionAsset: string;
  /** Creation time, Unix ms. */
  time: number;
  /** Last update time, Unix ms. */
  updateTime: number;
}

/** An OCO order list and its two legs. */
export interface OrderList {
  /** Symbol. */
  symbol: string;
  /** Exchange order list id. */
  orderListId: string;
  /** Our list client id. */
  listClientOrderId: string;
  /** EXECUTING while both legs wait; ALL_DONE after a fill, cancel or expiry. */
  status: OrderListStatus;
  /** The take-profit (LIMIT_MAKER) leg. */
  takeProfit: Order;
  /** The stop-loss (STOP_LOSS_LIMIT) leg. */
  stopLoss: Order;
  /** Last update time, Unix ms. */
  updateTime: number;
}

/** A trade of ours (`myTrades`). */
export interface Trade {
  /** Symbol. */
  symbol: string;
  /** Exchange trade id. */
  id: string;
  /** Order that traded. */
  orderId: string;
  /** BUY or SELL. */
  side: OrderSide;
  /** Price. */
  price: string;
  /** Base quantity. */
  qty: string;
  /** Quote quantity. */
  quoteQty: string;
  /** Commission. */
  commission: string;
  /** Commission asset. */
  commissionAsset: string;
  /** Whether we were the maker. */
  isMaker: boolean;
  /** Trade time, Unix ms. */
  time: number;
}

/** Free and locked amount of one asset. */
export interface Balance {
  /** Available. */
  free: string;
  /** Held by open orders. */
  locked: string;
}

/** Command: market buy spending `quoteOrderQty` of the quote asset. */
export interface MarketBuyQuote {
  /** Symbol. */
  symbol: string;
  /** Quote amount to spend. */
  quoteOrderQty: string;
  /** Deterministic client id. */
  clientOrderId: string;
}

/** Command: market sell of a base quantity. */
export interface MarketSell {
  /** Symbol. */
  symbol: string;
  /** Base quantity. */
  quantity: string;
  /** Deterministic client id. */
  clientOrderId: string;
}

/** Command: sell OCO with a LIMIT_MAKER take-profit above and a STOP_LOSS_LIMIT below. */
export interface PlaceOco {
  /** Symbol. */
  symbol: string;
  /** Base quantity of both legs. */
  quantity: string;
  /** Take-profit limit price. */
  takeProfitPrice: string;
  /** Stop trigger. */
  stopPrice: string;
  /** Stop limit price. */
  stopLimitPrice: string;
  /** Client id of the list. */
  listClientOrderId: string;
  /** Client id of the take-profit leg. */
  aboveClientOrderId: string;
  /** Client id of the stop-loss leg. */
  belowClientOrderId: string;
}

/** Which OCO leg filled. */
export type OcoLeg = "TAKE_PROFIT" | "STOP_LOSS";

/** A market order filled (usually the reply already said so; the event confirms it). */
export interface OrderFilled {
  /** Discriminant. */
  type: "order_filled";
  /** Event id (`order_filled:<clientOrderId>`). */
  id: string;
  /** The filled order. */
  order: Order;
  /** Event time, Unix ms. */
  time: number;
}

/** One leg of an OCO filled; the other leg expired with it. */
export interface OcoLegFilled {
  /** Discriminant. */
  type: "oco_leg_filled";
  /** Event id (`oco_leg_filled:<listClientOrderId>`). */
  id: string;
  /** Symbol. */
  symbol: string;
  /** Exchange order list id. */
  orderListId: string;
  /** The list's client id. */
  listClientOrderId: string;
  /** Which leg filled. */
  leg: OcoLeg;
  /** The filled leg's exchange order id. */
  orderId: string;
  /** The filled leg's client id. */
  clientOrderId: string;
  /** Average fill price. */
  price: string;
  /** Filled base quantity. */
  quantity: string;
  /** Quote received. */
  quoteQty: string;
  /** Commission. */
  commission: string;
  /** Commission asset. */
  commissionAsset: string;
  /** Event time, Unix ms. */
  time: number;
}

/** An OCO ended without a fill (cancelled by us or by the exchange). */
export interface OcoCancelled {
  /** Discriminant. */
  type: "oco_cancelled";
  /** Event id (`oco_cancelled:<listClientOrderId>`). */
  id: string;
  /** Symbol. */
  symbol: string;
  /** Exchange order list id. */
  orderListId: string;
  /** The list's client id. */
  listClientOrderId: string;
  /** Event time, Unix ms. */
  time: number;
}

/** An order expired without filling (e.g. a market order with no liquidity). */
export interface OrderExpired {
  /** Discriminant. */
  type: "order_expired";
  /** Event id (`order_expired:<clientOrderId>`). */
  id: string;
  /** The expired order. */
  order: Order;
  /** Event time, Unix ms. */
  time: number;
}

/** Everything an exchange tells the engine after acknowledging a command. */
export type OrderEvent = OrderFilled | OcoLegFilled | OcoCancelled | OrderExpired;

/** Receives order events; must not throw (adapters log and drop what it throws). */
export type OrderEventHandler = (event: OrderEvent) => void;

/** The spot exchange as the execution engine sees it. */
export interface Exchange {
  /** Trading rules of `symbol` (TRADE_003 when unknown). */
  getSymbolRules(symbol: string): Promise<SymbolRules>;
  /** Balances by asset (assets with zero free and locked may be omitted). */
  getBalances(): Promise<Record<string, Balance>>;
  /** Last traded price. */
  getLastPrice(symbol: string): Promise<string>;
  /** Market buy by quote amount; resolves with the filled order. */
  marketBuyQuote(command: MarketBuyQuote): Promise<Order>;
  /** Market sell of a base quantity; resolves with the filled order. */
  marketSell(command: MarketSell): Promise<Order>;
  /** Places a sell OCO; resolves with the list (status EXECUTING). */
  placeOco(command: PlaceOco): Promise<OrderList>;
  /** Cancels an OCO; resolves with the list (status ALL_DONE, legs CANCELED). */
  cancelOrderList(command: { symbol: string; listClientOrderId: string }): Promise<OrderList>;
  /** The order with this client id, or null when the exchange does not know it. */
  getOrder(query: { symbol: string; clientOrderId: string }): Promise<Order | null>;
  /** The order list with this client id, or null when unknown. */
  getOrderList(query: { listClientOrderId: string }): Promise<OrderList | null>;
  /**
   * Our orders on `symbol` created between `since` and `until` (Unix ms,
   * inclusive; at most 24 h apart, as Binance's `allOrders` allows), oldest
   * first, without fills. Reconciliation uses it to find orders of AURA's
   * that no intent names (services/_discovery.ts).
   */
  getOrders(query: { symbol: string; since: number; until: number }): Promise<Order[]>;
  /** Order lists still executing. */
  getOpenOrderLists(): Promise<OrderList[]>;
  /** Our trades on `symbol`, optionally since a time (Unix ms). */
  getRecentFills(symbol: string, since?: number): Promise<Trade[]>;
  /** Exchange time, Unix ms. */
  getServerTime(): Promise<number>;
  /** Subscribes to order events; returns the unsubscribe function. */
  subscribeOrderEvents(handler: OrderEventHandler): () => void;
  /** Releases timers and connections; idempotent. */
  close(): Promise<void>;
}

/** Widest window {@link Exchange.getOrders} takes (Binance `allOrders`: 24 hours). */
export const MAX_ORDERS_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Throws a RangeError unless `since..until` is a window {@link Exchange.getOrders}
 * takes: finite, in order, and at most {@link MAX_ORDERS_WINDOW_MS} wide.
 */
export function checkOrdersWindow(query: { since: number; until: number }): void {
  const { since, until } = query;
  if (!Number.isFinite(since) || !Number.isFinite(until) || since > until) {
    throw new RangeError(`Cannot list orders from ${since} to ${until}: not a window`);
  }
  if (until - since > MAX_ORDERS_WINDOW_MS) {
    throw new RangeError(`Cannot list orders over more than 24 hours (${since}..${until})`);
  }
}
