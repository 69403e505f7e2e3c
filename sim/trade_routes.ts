/**
 * Order endpoints: `/api/v3/order`, `/api/v3/orderList/oco`, `/api/v3/orderList`,
 * open/all orders and lists, myTrades.
 *
 * @module
 */

import { BinanceError, missingParameter } from "./binance_error.ts";
import type { MatchingEngine } from "./matching.ts";
import {
  cancelResponse,
  listLegReport,
  newOrderResponse,
  orderListResponse,
  orderQueryResponse,
} from "./orders.ts";
import type { NewOrderRespType, OrderType, SimOrderList } from "./orders.ts";
import type { Params } from "./params.ts";
import type { Route, RouteInput } from "./rest.ts";

function respType(params: Params, type: OrderType): NewOrderRespType {
  const asked = params.string("newOrderRespType")?.toUpperCase();
  if (asked === "ACK" || asked === "RESULT" || asked === "FULL") return asked;
  if (asked !== undefined) {
    throw new BinanceError(
      -1100,
      "Illegal characters found in parameter 'newOrderRespType'; legal range is 'ACK, RESULT, FULL'.",
    );
  }
  // Binance: MARKET and LIMIT default to FULL, every other type to ACK.
  return type === "MARKET" || type === "LIMIT" ? "FULL" : "ACK";
}

function orderSelector(params: Params): { orderId?: number; origClientOrderId?: string } {
  const orderId = params.integer("orderId");
  if (orderId !== undefined) return { orderId };
  const origClientOrderId = params.string("origClientOrderId");
  if (origClientOrderId !== undefined) return { origClientOrderId };
  throw new BinanceError(
    -1102,
    "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
  );
}

function listWithReports(
  engine: MatchingEngine,
  list: SimOrderList,
  reports?: Record<string, unknown>[],
) {
  return orderListResponse(list, engine.legsOf(list), reports);
}

function newOrder({ ctx, params, account }: RouteInput): unknown {
  const symbol = params.symbol(ctx.symbols);
  const side = params.side();
  const type = params.orderType();
  // Validated before placing: a bad parameter must never leave an executed order behind.
  const detail = respType(params, type);
  const order = ctx.engine.placeOrder(account, {
    symbol,
    side,
    type,
    ...optional("timeInForce", params.timeInForce()),
    ...optional("quantity", params.decimal("quantity")),
    ...optional("quoteOrderQty", params.decimal("quoteOrderQty")),
    ...optional("price", params.decimal("price")),
    ...optional("stopPrice", params.decimal("stopPrice")),
    ...optional("newClientOrderId", params.clientId("newClientOrderId")),
  });
  return newOrderResponse(order, detail, order.time);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function newOco({ ctx, params, account }: RouteInput): unknown {
  const symbol = params.symbol(ctx.symbols);
  const { list, legs } = ctx.engine.placeOco(account, {
    symbol,
    side: params.side(),
    ...optional("quantity", params.decimal("quantity")),
    ...optional("listClientOrderId", params.clientId("listClientOrderId")),
    ...optional("aboveType", params.string("aboveType")?.toUpperCase()),
    ...optional("aboveClientOrderId", params.clientId("aboveClientOrderId")),
    ...optional("abovePrice", params.decimal("abovePrice")),
    ...optional("aboveStopPrice", params.decimal("aboveStopPrice")),
    ...optional("aboveTimeInForce", params.timeInForce("aboveTimeInForce")),
    ...optional("belowType", params.string("belowType")?.toUpperCase()),
    ...optional("belowClientOrderId", params.clientId("belowClientOrderId")),
    ...optional("belowPrice", params.decimal("belowPrice")),
    ...optional("belowStopPrice", params.decimal("belowStopPrice")),
    ...optional("belowTimeInForce", params.timeInForce("belowTimeInForce")),
  });
  return orderListResponse(list, legs, legs.map((leg) => listLegReport(leg, list.transactionTime)));
}

/** The deprecated `POST /api/v3/order/oco`, mapped onto the new endpoint's legs (SELL). */
function legacyOco({ ctx, params, account }: RouteInput): unknown {
  const symbol = params.symbol(ctx.symbols);
  const stopLimitPrice = params.decimal("stopLimitPrice");
  const { list, legs } = ctx.engine.placeOco(account, {
    symbol,
    side: params.side(),
    aboveType: "LIMIT_MAKER",
    belowType: stopLimitPrice === undefined ? "STOP_LOSS" : "STOP_LOSS_LIMIT",
    ...optional("quantity", params.decimal("quantity")),
    ...optional("listClientOrderId", params.clientId("listClientOrderId")),
    ...optional("aboveClientOrderId", params.clientId("limitClientOrderId")),
    ...optional("abovePrice", params.decimal("price")),
    ...optional("belowClientOrderId", params.clientId("stopClientOrderId")),
    ...optional("belowStopPrice", params.decimal("stopPrice")),
    ...optional("belowPrice", stopLimitPrice),
    ...optional("belowTimeInForce", params.timeInForce("stopLimitTimeInForce")),
  });
  return orderListResponse(list, legs, legs.map((leg) => listLegReport(leg, list.transactionTime)));
}

function getOrder({ ctx, params, account }: RouteInput): unknown {
  const symbol = params.symbol(ctx.symbols);
  return orderQueryResponse(ctx.engine.getOrder(account, symbol, orderSelector(params)));
}

function cancelOrder({ ctx, params, account }: RouteInput): unknown {
  const symbol = params.symbol(ctx.symbols);
  const cancelId = params.clientId("newClientOrderId") ?? ctx.engine.newClientId();
  const result = ctx.engine.cancelOrder(account, symbol, orderSelector(params), cancelId);
  const now = ctx.now();
  if ("order" in result) return cancelResponse(result.order, cancelId, now);
  return listWithReports(
    ctx.engine,
    result.list,
    result.legs.map((leg, i) => cancelResponse(leg, result.cancelIds[i]!, now)),
  );
}

function cancelAll({ ctx, params, account }: RouteInput): unknown {
  const symbol = params.symbol(ctx.symbols);
  const now = ctx.now();
  const answers: unknown[] = [];
  for (const list of ctx.engine.orderLists(account, true).filter((l) => l.symbol === symbol)) {
    const result = ctx.engine.cancelOrderList(account, symbol, { orderListId: list.orderListId });
    answers.push(
      listWithReports(
        ctx.engine,
        list,
        result.legs.map((leg, i) => cancelResponse(leg, result.cancelIds[i]!, now)),
      ),
    );
  }
  for (const order of ctx.engine.openOrdersOf(account, symbol)) {
    const cancelId = ctx.engine.newClientId();
    ctx.engine.cancelOrder(account, symbol, { orderId: order.orderId }, cancelId);
    answers.push(cancelResponse(order, cancelId, now));
  }
  if (answers.length === 0) throw new BinanceError(-2011, "Unknown order sent.");
  return answers;
}

function openOrders({ ctx, params, account }: RouteInput): unknown {
  const symbol = params.string("symbol") === undefined ? undefined : params.symbol(ctx.symbols);
  return ctx.engine.openOrdersOf(account, symbol).map(orderQueryResponse);
}

function allOrders({ ctx, params, account }: RouteInput): unknown {
  const symbol = params.symbol(ctx.symbols);
  const limit = Math.min(params.integer("limit") ?? 500, 1000);
  const startTime = params.integer("startTime");
  const endTime = params.integer("endTime");
  if (startTime !== undefined && endTime !== undefined && endTime - startTime > DAY_MS) {
    throw new BinanceError(-1127, "More than 24 hours between startTime and endTime.");
  }
  const orders = ctx.engine.allOrders(account, symbol).filter((o) =>
    (startTime === undefined || o.time >= startTime) && (endTime === undefined || o.time <= endTime)
  );
  // Like Binance: with a startTime, the oldest `limit` from it; otherwise the most recent.
  const page = startTime !== undefined ? orders.slice(0, limit) : orders.slice(-limit);
  return page.map(orderQueryResponse);
}

const DAY_MS = 24 * 60 * 60 * 1000;

function getOrderList({ ctx, params, account }: RouteInput): unknown {
  const orderListId = params.integer("orderListId");
  const origClientOrderId = params.string("origClientOrderId");
  if (orderListId === undefined && origClientOrderId === undefined) {
    throw missingParameter("orderListId");
  }
  const list = ctx.engine.getOrderList(
    account,
    orderListId !== undefined ? { orderListId } : { origClientOrderId: origClientOrderId! },
  );
  return listWithReports(ctx.engine, list);
}

function cancelOrderList({ ctx, params, account }: RouteInput): unknown {
  const symbol = params.symbol(ctx.symbols);
  const orderListId = params.integer("orderListId");
  const listClientOrderId = params.clientId("listClientOrderId");
  if (orderListId === undefined && listClientOrderId === undefined) {
    throw new BinanceError(
      -1102,
      "Param 'listClientOrderId' or 'orderListId' must be sent, but both were empty/null!",
    );
  }
  const result = ctx.engine.cancelOrderList(
    account,
    symbol,
    orderListId !== undefined ? { orderListId } : { listClientOrderId: listClientOrderId! },
  );
  const now = ctx.now();
  return listWithReports(
    ctx.engine,
    result.list,
    result.legs.map((leg, i) => cancelResponse(leg, result.cancelIds[i]!, now)),
  );
}

function orderLists(openOnly: boolean) {
  return ({ ctx, account }: RouteInput): unknown =>
    ctx.engine.orderLists(account, openOnly).map((list) => listWithReports(ctx.engine, list));
}

function myTrades({ ctx, params, account }: RouteInput): unknown {
  const symbol = params.symbol(ctx.symbols);
  const limit = params.integer("limit") ?? 500;
  return ctx.engine.trades(account, symbol, params.integer("orderId")).slice(-limit).map((t) => ({
    symbol: t.symbol,
    id: t.tradeId,
    orderId: t.orderId,
    orderListId: t.orderListId,
    price: t.price,
    qty: t.qty,
    quoteQty: t.quoteQty,
    commission: t.commission,
    commissionAsset: t.commissionAsset,
    time: t.time,
    isBuyer: t.isBuyer,
    isMaker: t.isMaker,
    isBestMatch: true,
  }));
}

function route(handle: Route["handle"], weight: number, order = false): Route {
  return { handle, weight, signed: true, order };
}

/** The signed order endpoints, keyed by `"METHOD /path"`. */
export const TRADE_ROUTES: Readonly<Record<string, Route>> = {
  "POST /api/v3/order": route(newOrder, 1, true),
  "POST /api/v3/order/test": route(() => ({}), 1),
  "GET /api/v3/order": route(getOrder, 4),
  "DELETE /api/v3/order": route(cancelOrder, 1, true),
  "DELETE /api/v3/openOrders": route(cancelAll, 1, true),
  "GET /api/v3/openOrders": route(openOrders, 6),
  "GET /api/v3/allOrders": route(allOrders, 20),
  "POST /api/v3/orderList/oco": route(newOco, 1, true),
  "POST /api/v3/order/oco": route(legacyOco, 1, true),
  "GET /api/v3/orderList": route(getOrderList, 4),
  "DELETE /api/v3/orderList": route(cancelOrderList, 1, true),
  "GET /api/v3/openOrderList": route(orderLists(true), 6),
  "GET /api/v3/allOrderList": route(orderLists(false), 20),
  "GET /api/v3/myTrades": route(myTrades, 20),
};
