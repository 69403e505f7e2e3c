/**
 * What a market move does to resting orders. OCO legs trigger through the
 * shared fill model (`checkProtectiveExit` in engine/fills.ts): gap through
 * the stop → fill at the open; stop and target in one candle → the stop
 * (pessimistic). A STOP_LOSS_LIMIT leg fills at its stop price, as the fill
 * model's exit price says, not at its limit. Single resting orders fill at
 * their price, or at the open when the candle gaps through it.
 *
 * @module
 */

import { compareDecimals } from "../engine/orders/decimal.ts";
import { checkProtectiveExit } from "../engine/fills.ts";
import type { MatchingEngine, PriceRange } from "./matching.ts";
import type { OrderType, Side, SimOrder, SimOrderList } from "./orders.ts";
import { isStopType } from "./orders.ts";

/** True when the order executes as the price falls to its level (BUY limits, SELL stops). */
export function triggersOnFall(type: OrderType, side: Side): boolean {
  if (type === "LIMIT" || type === "LIMIT_MAKER") return side === "BUY";
  const stopLoss = type === "STOP_LOSS" || type === "STOP_LOSS_LIMIT";
  return stopLoss ? side === "SELL" : side === "BUY";
}

/**
 * Lets a candle (or a bare price: open = high = low) reach the resting
 * orders of `symbol`: order lists first, then single orders.
 */
export function applyPriceRange(engine: MatchingEngine, symbol: string, range: PriceRange): void {
  for (const listId of engine.openListIds(symbol)) {
    const list = engine.listById(listId);
    if (list && list.listStatusType !== "ALL_DONE") triggerList(engine, list, range);
  }
  for (const orderId of engine.openOrderIds(symbol)) {
    const order = engine.orderById(orderId);
    if (order && order.status === "NEW") triggerOrder(engine, order, range);
  }
}

function markWorking(order: SimOrder, now: number): void {
  if (order.isWorking) return;
  order.isWorking = true;
  order.workingTime = now;
}

function triggerList(engine: MatchingEngine, list: SimOrderList, range: PriceRange): void {
  const account = engine.options.accountOf(list.apiKey);
  if (!account) return;
  const [below, above] = engine.legsOf(list) as [SimOrder, SimOrder];
  const exit = checkProtectiveExit(
    { open: Number(range.open), high: Number(range.high), low: Number(range.low) },
    Number(above.price),
    Number(below.stopPrice),
  );
  if (!exit) return;
  const stopHit = exit.status === "CLOSED_SL";
  const filled = stopHit ? below : above;
  const expired = stopHit ? above : below;
  const legPrice = stopHit ? below.stopPrice : above.price;
  // The fill model answers in numbers; map back to the exact decimal it chose.
  const price = exit.price === Number(legPrice) ? legPrice : range.open;
  const now = engine.options.now();
  engine.release(account, list.locked);
  list.locked = undefined;
  expired.status = "EXPIRED";
  engine.retire(expired);
  expired.updateTime = now;
  engine.report(expired, "EXPIRED");
  markWorking(filled, now);
  engine.fill(account, filled, price, !stopHit, false);
  engine.finishList(list, now);
  engine.reportBalances(account, list.symbol);
}

function triggerOrder(engine: MatchingEngine, order: SimOrder, range: PriceRange): void {
  const account = engine.options.accountOf(order.apiKey);
  if (!account) return;
  const level = isStopType(order.type) ? order.stopPrice : order.price;
  const falls = triggersOnFall(order.type, order.side);
  const reached = falls
    ? compareDecimals(range.low, level) <= 0
    : compareDecimals(range.high, level) >= 0;
  if (!reached) return;
  const gapped = falls
    ? compareDecimals(range.open, level) <= 0
    : compareDecimals(range.open, level) >= 0;
  engine.release(account, order.locked);
  order.locked = undefined;
  markWorking(order, engine.options.now());
  engine.fill(account, order, gapped ? range.open : level, !isStopType(order.type), false);
  engine.reportBalances(account, order.symbol);
}
