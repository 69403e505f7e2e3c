/**
 * Placing orders and OCO lists: Binance's parameter rules, filters, balance
 * checks and locks, in Binance's order of checks (parameters, filters, then
 * balance).
 *
 * @module
 */

import {
  addDecimals,
  ceilToStep,
  compareDecimals,
  divideDecimals,
  floorToStep,
  multiplyDecimals,
} from "../engine/orders/decimal.ts";
import type { Account } from "./accounts.ts";
import { BinanceError, BinanceMessages, missingParameter } from "./binance_error.ts";
import {
  checkLotSize,
  checkNotional,
  checkOrderCounts,
  checkPercentPriceBySide,
  checkPriceFilter,
} from "./filters.ts";
import { fixed8 } from "./format.ts";
import type { MatchingEngine } from "./matching.ts";
import { triggersOnFall } from "./triggers.ts";
import type { OrderType, Side, SimOrder, SimOrderList } from "./orders.ts";
import { isStopType } from "./orders.ts";
import { rulesFor } from "./symbols.ts";
import type { SymbolRules } from "./symbols.ts";

/** `POST /api/v3/order` parameters (decimals already validated as decimal strings). */
export interface NewOrderRequest {
  symbol: string;
  side: Side;
  type: OrderType;
  timeInForce?: string;
  quantity?: string;
  quoteOrderQty?: string;
  price?: string;
  stopPrice?: string;
  newClientOrderId?: string;
}

/** `POST /api/v3/orderList/oco` parameters the simulator reads. */
export interface NewOcoRequest {
  symbol: string;
  side: Side;
  quantity?: string;
  listClientOrderId?: string;
  aboveType?: string;
  aboveClientOrderId?: string;
  abovePrice?: string;
  aboveStopPrice?: string;
  aboveTimeInForce?: string;
  belowType?: string;
  belowClientOrderId?: string;
  belowPrice?: string;
  belowStopPrice?: string;
  belowTimeInForce?: string;
}

const ZERO = "0.00000000";

function require<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === "") throw missingParameter(name);
  return value;
}

function lastPriceOf(engine: MatchingEngine, symbol: string): string {
  const last = engine.market.lastPrice(symbol);
  if (!last) throw new BinanceError(-2010, "Market is closed.");
  return last;
}

function countOpen(engine: MatchingEngine, account: Account, symbol: string): [number, number] {
  const open = engine.openOrdersOf(account, symbol);
  return [open.length, open.filter((o) => isStopType(o.type)).length];
}

function newOrder(
  engine: MatchingEngine,
  account: Account,
  fields:
    & Pick<SimOrder, "symbol" | "side" | "type" | "origQty" | "price" | "stopPrice" | "timeInForce">
    & {
      clientOrderId: string | undefined;
      orderListId: number;
    },
): SimOrder {
  const now = engine.options.now();
  const working = !isStopType(fields.type);
  return {
    apiKey: account.apiKey,
    symbol: fields.symbol,
    orderId: engine.nextOrderId(),
    orderListId: fields.orderListId,
    clientOrderId: fields.clientOrderId ?? engine.newClientId(),
    price: fields.price,
    origQty: fields.origQty,
    executedQty: ZERO,
    cummulativeQuoteQty: ZERO,
    status: "NEW",
    timeInForce: fields.timeInForce,
    type: fields.type,
    side: fields.side,
    stopPrice: fields.stopPrice,
    time: now,
    updateTime: now,
    isWorking: working,
    workingTime: working ? now : -1,
    origQuoteOrderQty: ZERO,
    locked: undefined,
    fills: [],
  };
}

/**
 * What a resting order locks: base qty for a SELL; quote price × qty for a
 * BUY, plus the commission when it will be charged in quote (so a fill can
 * never overdraw the account).
 */
function lockFor(
  engine: MatchingEngine,
  rules: SymbolRules,
  side: Side,
  qty: string,
  price: string,
) {
  if (side === "SELL") return { asset: rules.baseAsset, amount: qty };
  const notional = multiplyDecimals(qty, price);
  const withFee = engine.options.commissionAsset === "quote"
    ? ceilToStep(
      addDecimals(notional, multiplyDecimals(notional, engine.options.feeRate)),
      "0.00000001",
    )
    : notional;
  return { asset: rules.quoteAsset, amount: fixed8(withFee) };
}

/** Places one order; see {@link NewOrderRequest}. */
export function placeSingleOrder(
  engine: MatchingEngine,
  account: Account,
  req: NewOrderRequest,
): SimOrder {
  const rules = rulesFor(req.symbol);
  if (req.newClientOrderId) engine.assertUniqueClientId(account, req.newClientOrderId);
  if (req.type === "MARKET") return placeMarket(engine, account, req, rules);

  const needsLimitPrice = req.type === "LIMIT" || req.type === "LIMIT_MAKER" ||
    req.type.endsWith("_LIMIT");
  const needsTimeInForce = req.type === "LIMIT" || req.type.endsWith("_LIMIT");
  const timeInForce = needsTimeInForce ? require(req.timeInForce, "timeInForce") : "GTC";
  const qty = fixed8(require(req.quantity, "quantity"));
  const price = needsLimitPrice ? fixed8(require(req.price, "price")) : ZERO;
  const stopPrice = isStopType(req.type) ? fixed8(require(req.stopPrice, "stopPrice")) : ZERO;
  const last = engine.market.lastPrice(req.symbol);
  for (const p of [price, stopPrice]) {
    if (p === ZERO) continue;
    checkPriceFilter(rules, p);
    if (last) checkPercentPriceBySide(req.side, p, last);
  }
  checkLotSize(rules, qty, false);
  const refPrice = price !== ZERO ? price : stopPrice;
  checkNotional(rules, multiplyDecimals(qty, refPrice), false);
  const [open, algo] = countOpen(engine, account, req.symbol);
  checkOrderCounts(open, algo, isStopType(req.type) ? 1 : 0, 1);

  const order = newOrder(engine, account, {
    ...req,
    origQty: qty,
    price,
    stopPrice,
    timeInForce,
    clientOrderId: req.newClientOrderId,
    orderListId: -1,
  });
  const falls = triggersOnFall(req.type, req.side);
  if (isStopType(req.type)) {
    const current = lastPriceOf(engine, req.symbol);
    const immediate = falls
      ? compareDecimals(stopPrice, current) >= 0
      : compareDecimals(stopPrice, current) <= 0;
    if (immediate) throw new BinanceError(-2010, "Order would trigger immediately.");
  } else if (last) {
    // A limit order whose price crosses the last price takes liquidity at once.
    const marketable = falls
      ? compareDecimals(price, last) >= 0
      : compareDecimals(price, last) <= 0;
    if (marketable && req.type === "LIMIT_MAKER") {
      throw new BinanceError(-2010, BinanceMessages.wouldMatch);
    }
    if (marketable) return executeNow(engine, account, order, last);
    if (timeInForce !== "GTC") {
      order.status = "EXPIRED";
      engine.store(order);
      engine.report(order, "NEW");
      engine.report(order, "EXPIRED");
      return order;
    }
  }
  const lock = lockFor(engine, rules, req.side, qty, refPrice);
  account.lock(lock.asset, lock.amount);
  order.locked = lock;
  engine.store(order);
  engine.report(order, "NEW");
  engine.reportBalances(account, req.symbol);
  return order;
}

function placeMarket(
  engine: MatchingEngine,
  account: Account,
  req: NewOrderRequest,
  rules: SymbolRules,
): SimOrder {
  if (req.quantity === undefined && req.quoteOrderQty === undefined) {
    throw new BinanceError(
      -1102,
      "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!",
    );
  }
  if (req.quantity !== undefined && req.quoteOrderQty !== undefined) {
    throw new BinanceError(-1106, "Parameter 'quoteOrderQty' sent when not required.");
  }
  const last = lastPriceOf(engine, req.symbol);
  let qty: string;
  if (req.quoteOrderQty !== undefined) {
    checkNotional(rules, req.quoteOrderQty, true);
    // Binance spends at most quoteOrderQty: the quantity is floored to the step size.
    qty = fixed8(floorToStep(divideDecimals(req.quoteOrderQty, last, 8), rules.stepSize));
  } else {
    qty = fixed8(req.quantity!);
  }
  checkLotSize(rules, qty, true);
  checkNotional(rules, multiplyDecimals(qty, last), true);
  const order = newOrder(engine, account, {
    ...req,
    origQty: qty,
    price: ZERO,
    stopPrice: ZERO,
    timeInForce: "GTC",
    clientOrderId: req.newClientOrderId,
    orderListId: -1,
  });
  if (req.quoteOrderQty !== undefined) order.origQuoteOrderQty = fixed8(req.quoteOrderQty);
  return executeNow(engine, account, order, last);
}

function executeNow(
  engine: MatchingEngine,
  account: Account,
  order: SimOrder,
  price: string,
): SimOrder {
  const rules = rulesFor(order.symbol);
  const quoteQty = multiplyDecimals(order.origQty, price);
  const fee = multiplyDecimals(order.side === "BUY" ? quoteQty : "0", engine.options.feeRate);
  const needed = order.side === "BUY"
    ? (engine.options.commissionAsset === "quote" ? addDecimals(quoteQty, fee) : quoteQty)
    : order.origQty;
  if (!account.canAfford(order.side === "BUY" ? rules.quoteAsset : rules.baseAsset, needed)) {
    throw new BinanceError(-2010, BinanceMessages.insufficientBalance);
  }
  engine.store(order);
  engine.report(order, "NEW");
  engine.fill(account, order, price, false, true);
  engine.reportBalances(account, order.symbol);
  return order;
}

const OCO_TYPES = new Set([
  "LIMIT_MAKER",
  "STOP_LOSS",
  "STOP_LOSS_LIMIT",
  "TAKE_PROFIT",
  "TAKE_PROFIT_LIMIT",
]);

/** Binance's OCO leg-type rules, then the simulator's own limit (SELL, LIMIT_MAKER above). */
function checkOcoTypes(side: Side, aboveType: string, belowType: string): void {
  if (!OCO_TYPES.has(aboveType) || !OCO_TYPES.has(belowType)) {
    throw new BinanceError(-1158, "Order type not supported in OCO.");
  }
  if (side === "SELL" && aboveType.startsWith("STOP_LOSS")) {
    throw new BinanceError(-1197, "A stop loss order in a sell OCO must be below.");
  }
  if (side === "SELL" && belowType === "LIMIT_MAKER") {
    throw new BinanceError(-1166, "A limit order in a sell OCO must be above.");
  }
  if (side !== "SELL" || aboveType !== "LIMIT_MAKER" || !belowType.startsWith("STOP_LOSS")) {
    // Valid on Binance, but the simulator implements only AURA's protective exit.
    throw new BinanceError(-2010, "Unsupported order combination");
  }
}

/** Places a SELL OCO; see {@link NewOcoRequest}. */
export function placeOcoList(
  engine: MatchingEngine,
  account: Account,
  req: NewOcoRequest,
): { list: SimOrderList; legs: SimOrder[] } {
  const rules = rulesFor(req.symbol);
  const qty = fixed8(require(req.quantity, "quantity"));
  const aboveType = require(req.aboveType, "aboveType");
  const belowType = require(req.belowType, "belowType");
  checkOcoTypes(req.side, aboveType, belowType);
  const abovePrice = fixed8(require(req.abovePrice, "abovePrice"));
  const belowStopPrice = fixed8(require(req.belowStopPrice, "belowStopPrice"));
  const belowIsLimit = belowType === "STOP_LOSS_LIMIT";
  const belowPrice = belowIsLimit ? fixed8(require(req.belowPrice, "belowPrice")) : ZERO;
  const belowTimeInForce = belowIsLimit ? require(req.belowTimeInForce, "belowTimeInForce") : "GTC";
  const last = lastPriceOf(engine, req.symbol);
  for (const p of [abovePrice, belowStopPrice, belowPrice]) {
    if (p === ZERO) continue;
    checkPriceFilter(rules, p);
    checkPercentPriceBySide(req.side, p, last);
  }
  checkLotSize(rules, qty, false);
  checkNotional(rules, multiplyDecimals(qty, abovePrice), false);
  checkNotional(rules, multiplyDecimals(qty, belowIsLimit ? belowPrice : belowStopPrice), false);
  // SELL OCO: limit price > last price > stop price.
  if (compareDecimals(abovePrice, last) <= 0 || compareDecimals(belowStopPrice, last) >= 0) {
    throw new BinanceError(-2010, BinanceMessages.priceRelation);
  }
  if (req.listClientOrderId) engine.assertUniqueListId(account, req.listClientOrderId);
  if (req.aboveClientOrderId) engine.assertUniqueClientId(account, req.aboveClientOrderId);
  if (req.belowClientOrderId) engine.assertUniqueClientId(account, req.belowClientOrderId);
  const [open, algo] = countOpen(engine, account, req.symbol);
  checkOrderCounts(open, algo, 1, 2);
  account.lock(rules.baseAsset, qty);

  const orderListId = engine.nextListId();
  const below = newOrder(engine, account, {
    symbol: req.symbol,
    side: "SELL",
    type: belowType as "STOP_LOSS" | "STOP_LOSS_LIMIT",
    origQty: qty,
    price: belowPrice,
    stopPrice: belowStopPrice,
    timeInForce: belowTimeInForce,
    clientOrderId: req.belowClientOrderId,
    orderListId,
  });
  const above = newOrder(engine, account, {
    symbol: req.symbol,
    side: "SELL",
    type: "LIMIT_MAKER",
    origQty: qty,
    price: abovePrice,
    stopPrice: ZERO,
    timeInForce: "GTC",
    clientOrderId: req.aboveClientOrderId,
    orderListId,
  });
  const list: SimOrderList = {
    apiKey: account.apiKey,
    orderListId,
    contingencyType: "OCO",
    listStatusType: "EXEC_STARTED",
    listOrderStatus: "EXECUTING",
    listClientOrderId: req.listClientOrderId || engine.newClientId(),
    transactionTime: engine.options.now(),
    symbol: req.symbol,
    orderIds: [below.orderId, above.orderId],
    locked: { asset: rules.baseAsset, amount: qty },
  };
  engine.storeList(list, [below, above]);
  engine.report(below, "NEW");
  engine.report(above, "NEW");
  engine.reportList(list);
  engine.reportBalances(account, req.symbol);
  return { list, legs: [below, above] };
}
