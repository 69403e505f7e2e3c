/**
 * User data events in Binance's exact shapes (`executionReport`,
 * `listStatus`, `outboundAccountPosition`), as the WebSocket API pushes them.
 *
 * @module
 */

import type { Account } from "./accounts.ts";
import { fixed8 } from "./format.ts";
import type { Fill, SimOrder, SimOrderList } from "./orders.ts";

/** Binance execution types. */
export type ExecutionType = "NEW" | "CANCELED" | "TRADE" | "EXPIRED";

/** A user data event for one account. */
export type UserEvent = Record<string, unknown> & { e: string };

/** Receives every user data event, per API key. */
export type UserEventSink = (apiKey: string, event: UserEvent) => void;

/** `executionReport` for an order's state change (`fill` for a TRADE). */
export function executionReport(
  o: SimOrder,
  executionType: ExecutionType,
  eventTime: number,
  fill?: Fill,
  cancelClientOrderId?: string,
): UserEvent {
  return {
    e: "executionReport",
    E: eventTime,
    s: o.symbol,
    c: cancelClientOrderId ?? o.clientOrderId,
    S: o.side,
    o: o.type,
    f: o.timeInForce,
    q: o.origQty,
    p: o.price,
    P: o.stopPrice,
    F: "0.00000000",
    g: o.orderListId,
    C: cancelClientOrderId ? o.clientOrderId : "",
    x: executionType,
    X: o.status,
    r: "NONE",
    i: o.orderId,
    l: fill ? fill.qty : "0.00000000",
    z: o.executedQty,
    L: fill ? fill.price : "0.00000000",
    n: fill ? fill.commission : "0",
    N: fill ? fill.commissionAsset : null,
    T: fill ? fill.time : eventTime,
    t: fill ? fill.tradeId : -1,
    I: o.orderId * 2 + (fill ? 1 : 0),
    w: o.isWorking,
    m: fill ? fill.isMaker : false,
    M: false,
    O: o.time,
    Z: o.cummulativeQuoteQty,
    Y: fill ? fill.quoteQty : "0.00000000",
    Q: o.origQuoteOrderQty,
    ...(o.isWorking ? { W: o.workingTime } : {}),
    V: "EXPIRE_MAKER",
  };
}

/** `listStatus` for an order list. */
export function listStatusEvent(
  list: SimOrderList,
  legs: SimOrder[],
  eventTime: number,
): UserEvent {
  return {
    e: "listStatus",
    E: eventTime,
    s: list.symbol,
    g: list.orderListId,
    c: list.contingencyType,
    l: list.listStatusType,
    L: list.listOrderStatus,
    r: "NONE",
    C: list.listClientOrderId,
    T: eventTime,
    O: legs.map((o) => ({ s: o.symbol, i: o.orderId, c: o.clientOrderId })),
  };
}

/** `outboundAccountPosition` with the balances of the assets that changed. */
export function accountPositionEvent(
  account: Account,
  assets: string[],
  eventTime: number,
): UserEvent {
  return {
    e: "outboundAccountPosition",
    E: eventTime,
    u: eventTime,
    B: assets.map((asset) => {
      const b = account.balance(asset);
      return { a: asset, f: fixed8(b.free), l: fixed8(b.locked) };
    }),
  };
}
