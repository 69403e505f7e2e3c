/**
 * Binance spot REST JSON → the Exchange port's types. Internal to the ccxt
 * adapter (ccxt's implicit API methods return Binance's raw JSON).
 *
 * @module
 */

import {
  addDecimals,
  compareDecimals,
  divideDecimals,
  normalizeDecimal,
} from "../../engine/orders/decimal.ts";
import type {
  Fill,
  Order,
  OrderList,
  OrderListStatus,
  OrderSide,
  OrderStatus,
  Trade,
} from "../../engine/ports/exchange.ts";

/** A JSON object as Binance sends it. */
export type Json = Record<string, unknown>;

const str = (value: unknown, fallback = "0"): string =>
  value === undefined || value === null ? fallback : String(value);
const dec = (value: unknown): string => normalizeDecimal(str(value));

/** Fills of a FULL order response or of `myTrades` rows. */
export function toFills(rows: unknown): Fill[] {
  if (!Array.isArray(rows)) return [];
  return rows.map((row: Json) => {
    const fill: Fill = {
      price: dec(row.price),
      qty: dec(row.qty),
      commission: dec(row.commission),
      commissionAsset: str(row.commissionAsset, ""),
    };
    const tradeId = row.tradeId ?? row.id;
    if (tradeId !== undefined) fill.tradeId = str(tradeId);
    return fill;
  });
}

/** An order from `POST/GET /api/v3/order` or an `orderReports` entry; `fills` override the JSON's. */
export function toOrder(json: Json, fills?: Fill[]): Order {
  const orderFills = fills ?? toFills(json.fills);
  const executedQty = dec(json.executedQty);
  const quote = dec(json.cummulativeQuoteQty);
  const asset = orderFills[0]?.commissionAsset ?? "";
  const order: Order = {
    symbol: str(json.symbol, ""),
    orderId: str(json.orderId),
    clientOrderId: str(json.clientOrderId, ""),
    side: str(json.side, "BUY") as OrderSide,
    type: str(json.type, ""),
    status: str(json.status, "NEW") as OrderStatus,
    price: dec(json.price),
    origQty: dec(json.origQty),
    executedQty,
    cummulativeQuoteQty: quote,
    avgPrice: compareDecimals(executedQty, "0") > 0
      ? divideDecimals(quote, executedQty, 12, "nearest")
      : "0",
    fills: orderFills,
    commission: orderFills.filter((f) => f.commissionAsset === asset).reduce(
      (sum, f) => addDecimals(sum, f.commission),
      "0",
    ),
    commissionAsset: asset,
    time: Number(json.time ?? json.transactTime ?? 0),
    updateTime: Number(json.updateTime ?? json.transactTime ?? json.time ?? 0),
  };
  if (json.stopPrice !== undefined && compareDecimals(str(json.stopPrice), "0") > 0) {
    order.stopPrice = dec(json.stopPrice);
  }
  if (json.orderListId !== undefined && Number(json.orderListId) !== -1) {
    order.orderListId = str(json.orderListId);
  }
  return order;
}

/** `order` with `fills` (e.g. from `myTrades`) and the commission they add up to. */
export function withFills(order: Order, fills: Fill[]): Order {
  if (fills.length === 0) return order;
  const asset = fills[0]!.commissionAsset;
  const commission = fills.filter((f) => f.commissionAsset === asset).reduce(
    (sum, f) => addDecimals(sum, f.commission),
    "0",
  );
  return { ...order, fills, commission, commissionAsset: asset };
}

/** An OCO from list JSON plus its two legs as full orders. */
export function toOrderList(json: Json, legs: Order[]): OrderList {
  const takeProfit = legs.find((leg) =>
    leg.type === "LIMIT_MAKER" || leg.type === "TAKE_PROFIT_LIMIT" || leg.type === "LIMIT"
  );
  const stopLoss = legs.find((leg) => leg.type === "STOP_LOSS_LIMIT" || leg.type === "STOP_LOSS");
  if (!takeProfit || !stopLoss) {
    throw new TypeError(
      `Order list "${
        str(json.listClientOrderId, "")
      }" does not have a take-profit and a stop-loss leg`,
    );
  }
  return {
    symbol: str(json.symbol, ""),
    orderListId: str(json.orderListId),
    listClientOrderId: str(json.listClientOrderId, ""),
    status: str(json.listOrderStatus, "EXECUTING") as OrderListStatus,
    takeProfit,
    stopLoss,
    updateTime: Number(json.transactionTime ?? 0),
  };
}

/** A `myTrades` row. */
export function toTrade(json: Json): Trade {
  return {
    symbol: str(json.symbol, ""),
    id: str(json.id),
    orderId: str(json.orderId),
    side: json.isBuyer ? "BUY" : "SELL",
    price: dec(json.price),
    qty: dec(json.qty),
    quoteQty: dec(json.quoteQty),
    commission: dec(json.commission),
    commissionAsset: str(json.commissionAsset, ""),
    isMaker: json.isMaker === true,
    time: Number(json.time ?? 0),
  };
}
