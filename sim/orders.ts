/**
 * Simulated orders and order lists, and their JSON in Binance's exact REST
 * shapes (ACK / RESULT / FULL, query, cancel, order list).
 *
 * @module
 */

/** Order types the simulator accepts. */
export type OrderType =
  | "MARKET"
  | "LIMIT"
  | "LIMIT_MAKER"
  | "STOP_LOSS"
  | "STOP_LOSS_LIMIT"
  | "TAKE_PROFIT"
  | "TAKE_PROFIT_LIMIT";

/** Binance order statuses the simulator produces. */
export type OrderStatus = "NEW" | "FILLED" | "CANCELED" | "EXPIRED";

/** Order side. */
export type Side = "BUY" | "SELL";

/** One trade of an order. */
export interface Fill {
  /** Trade price. */
  price: string;
  /** Traded base quantity. */
  qty: string;
  /** quantity × price. */
  quoteQty: string;
  /** Commission amount. */
  commission: string;
  /** Commission asset. */
  commissionAsset: string;
  /** Trade id (per symbol). */
  tradeId: number;
  /** Trade time, ms. */
  time: number;
  /** True when the order rested on the book before filling. */
  isMaker: boolean;
}

/** A simulated order, with every field Binance reports (decimals as 8-digit strings). */
export interface SimOrder {
  apiKey: string;
  symbol: string;
  orderId: number;
  orderListId: number;
  clientOrderId: string;
  price: string;
  origQty: string;
  executedQty: string;
  cummulativeQuoteQty: string;
  status: OrderStatus;
  timeInForce: string;
  type: OrderType;
  side: Side;
  stopPrice: string;
  time: number;
  updateTime: number;
  isWorking: boolean;
  workingTime: number;
  origQuoteOrderQty: string;
  /** What the order holds locked while open (asset and amount). */
  locked: { asset: string; amount: string } | undefined;
  fills: Fill[];
}

/** A simulated OCO order list. */
export interface SimOrderList {
  apiKey: string;
  orderListId: number;
  contingencyType: "OCO";
  listStatusType: "EXEC_STARTED" | "ALL_DONE";
  listOrderStatus: "EXECUTING" | "ALL_DONE";
  listClientOrderId: string;
  transactionTime: number;
  symbol: string;
  /** The legs, below leg first (Binance's order). */
  orderIds: [number, number];
  /** The quantity both legs share, locked once for the list. */
  locked: { asset: string; amount: string } | undefined;
}

/** Response detail Binance returns for a new order. */
export type NewOrderRespType = "ACK" | "RESULT" | "FULL";

const STOP_TYPES = new Set<OrderType>([
  "STOP_LOSS",
  "STOP_LOSS_LIMIT",
  "TAKE_PROFIT",
  "TAKE_PROFIT_LIMIT",
]);

/** True for conditional (stop / take-profit) order types. */
export function isStopType(type: OrderType): boolean {
  return STOP_TYPES.has(type);
}

/** The new-order answer in the requested detail. */
export function newOrderResponse(
  o: SimOrder,
  respType: NewOrderRespType,
  transactTime: number,
): Record<string, unknown> {
  const ack = {
    symbol: o.symbol,
    orderId: o.orderId,
    orderListId: o.orderListId,
    clientOrderId: o.clientOrderId,
    transactTime,
  };
  if (respType === "ACK") return ack;
  const result: Record<string, unknown> = {
    ...ack,
    price: o.price,
    origQty: o.origQty,
    executedQty: o.executedQty,
    origQuoteOrderQty: o.origQuoteOrderQty,
    cummulativeQuoteQty: o.cummulativeQuoteQty,
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    ...(isStopType(o.type) ? { stopPrice: o.stopPrice } : {}),
    workingTime: o.workingTime,
    selfTradePreventionMode: "EXPIRE_MAKER",
  };
  if (respType === "RESULT") return result;
  return {
    ...result,
    fills: o.fills.map((f) => ({
      price: f.price,
      qty: f.qty,
      commission: f.commission,
      commissionAsset: f.commissionAsset,
      tradeId: f.tradeId,
    })),
  };
}

/** `GET /api/v3/order` (and openOrders) shape. */
export function orderQueryResponse(o: SimOrder): Record<string, unknown> {
  return {
    symbol: o.symbol,
    orderId: o.orderId,
    orderListId: o.orderListId,
    clientOrderId: o.clientOrderId,
    price: o.price,
    origQty: o.origQty,
    executedQty: o.executedQty,
    cummulativeQuoteQty: o.cummulativeQuoteQty,
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    stopPrice: o.stopPrice,
    icebergQty: "0.00000000",
    time: o.time,
    updateTime: o.updateTime,
    isWorking: o.isWorking,
    workingTime: o.workingTime,
    origQuoteOrderQty: o.origQuoteOrderQty,
    selfTradePreventionMode: "EXPIRE_MAKER",
  };
}

/** `DELETE /api/v3/order` report for one cancelled order. */
export function cancelResponse(
  o: SimOrder,
  cancelClientOrderId: string,
  transactTime: number,
): Record<string, unknown> {
  return {
    symbol: o.symbol,
    origClientOrderId: o.clientOrderId,
    orderId: o.orderId,
    orderListId: o.orderListId,
    clientOrderId: cancelClientOrderId,
    transactTime,
    price: o.price,
    origQty: o.origQty,
    executedQty: o.executedQty,
    origQuoteOrderQty: o.origQuoteOrderQty,
    cummulativeQuoteQty: o.cummulativeQuoteQty,
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    ...(isStopType(o.type) ? { stopPrice: o.stopPrice } : {}),
    selfTradePreventionMode: "EXPIRE_MAKER",
  };
}

/** The order-list shape; `orderReports` is added for placement and cancellation. */
export function orderListResponse(
  list: SimOrderList,
  legs: SimOrder[],
  orderReports?: Record<string, unknown>[],
): Record<string, unknown> {
  return {
    orderListId: list.orderListId,
    contingencyType: list.contingencyType,
    listStatusType: list.listStatusType,
    listOrderStatus: list.listOrderStatus,
    listClientOrderId: list.listClientOrderId,
    transactionTime: list.transactionTime,
    symbol: list.symbol,
    orders: legs.map((o) => ({
      symbol: o.symbol,
      orderId: o.orderId,
      clientOrderId: o.clientOrderId,
    })),
    ...(orderReports ? { orderReports } : {}),
  };
}

/** An order report inside a new order list answer (RESULT shape with the list id). */
export function listLegReport(o: SimOrder, transactTime: number): Record<string, unknown> {
  return newOrderResponse(o, "RESULT", transactTime);
}
