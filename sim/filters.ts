/**
 * Binance's symbol filters as the matching engine applies them; each failure
 * answers `-1013 Filter failure: <FILTER>` exactly like Binance.
 *
 * @module
 */

import { compareDecimals, isMultipleOf, multiplyDecimals } from "../engine/orders/decimal.ts";
import { filterFailure } from "./binance_error.ts";
import type { Side } from "./orders.ts";
import type { SymbolRules } from "./symbols.ts";

/** PRICE_FILTER: within [minPrice, maxPrice] and a multiple of tickSize. */
export function checkPriceFilter(rules: SymbolRules, price: string): void {
  if (
    compareDecimals(price, rules.minPrice) < 0 || compareDecimals(price, rules.maxPrice) > 0 ||
    !isMultipleOf(price, rules.tickSize)
  ) throw filterFailure("PRICE_FILTER");
}

/**
 * PERCENT_PRICE_BY_SIDE with multipliers 5 / 0.2 on both sides, against the
 * last price (Binance uses a 5-minute average; the last price is what the
 * simulator knows).
 */
export function checkPercentPriceBySide(_side: Side, price: string, lastPrice: string): void {
  if (
    compareDecimals(price, multiplyDecimals(lastPrice, "5")) > 0 ||
    compareDecimals(price, multiplyDecimals(lastPrice, "0.2")) < 0
  ) throw filterFailure("PERCENT_PRICE_BY_SIDE");
}

/** LOT_SIZE for every order, plus MARKET_LOT_SIZE's maximum for market orders. */
export function checkLotSize(rules: SymbolRules, quantity: string, isMarket: boolean): void {
  if (
    compareDecimals(quantity, rules.minQty) < 0 || compareDecimals(quantity, rules.maxQty) > 0 ||
    !isMultipleOf(quantity, rules.stepSize)
  ) throw filterFailure("LOT_SIZE");
  if (isMarket && compareDecimals(quantity, rules.marketMaxQty) > 0) {
    throw filterFailure("MARKET_LOT_SIZE");
  }
}

/** NOTIONAL: at least minNotional always; the maximum only for non-market orders. */
export function checkNotional(rules: SymbolRules, notional: string, isMarket: boolean): void {
  if (compareDecimals(notional, rules.minNotional) < 0) throw filterFailure("NOTIONAL");
  if (!isMarket && compareDecimals(notional, rules.maxNotional) > 0) {
    throw filterFailure("NOTIONAL");
  }
}

/** MAX_NUM_ORDERS (200 open orders per symbol) and MAX_NUM_ALGO_ORDERS (5 stop orders). */
export function checkOrderCounts(
  openOrders: number,
  openAlgoOrders: number,
  addsAlgo: number,
  adds: number,
): void {
  if (openOrders + adds > 200) throw filterFailure("MAX_NUM_ORDERS");
  if (openAlgoOrders + addsAlgo > 5) throw filterFailure("MAX_NUM_ALGO_ORDERS");
}
