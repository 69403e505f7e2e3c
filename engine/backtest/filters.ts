/**
 * Exchange-filter rounding for simulated orders (LOT_SIZE step, PRICE_FILTER
 * tick). The engine floats are rounded through the order planner's decimal
 * functions (engine/orders/decimal.ts) with the same precision the live OCO
 * planner uses, so a backtest's quantities and TP/SL prices are the ones live
 * trading would send.
 *
 * @module
 */

import { decimalPlaces, floorToStep, roundToTick, toDecimalString } from "../orders/decimal.ts";

/** Symbol filters as Binance states them, all optional decimal strings. */
export interface ExchangeFilters {
  /** LOT_SIZE stepSize, e.g. `"0.00001"`. */
  stepSize?: string;
  /** PRICE_FILTER tickSize, e.g. `"0.01"`. */
  tickSize?: string;
  /** LOT_SIZE minQty. */
  minQty?: string;
  /** NOTIONAL / MIN_NOTIONAL minNotional (quote). */
  minNotional?: string;
}

/** `quantity` floored to a multiple of `stepSize` (0 when below one step). */
export function floorQuantityToStep(quantity: number, stepSize: string): number {
  return Number(floorToStep(toDecimalString(quantity, 16), stepSize));
}

/** `price` rounded to the nearest multiple of `tickSize` (half up), as the OCO planner does. */
export function roundPriceToTick(price: number, tickSize: string): number {
  return Number(roundToTick(toDecimalString(price, decimalPlaces(tickSize) + 4), tickSize));
}
