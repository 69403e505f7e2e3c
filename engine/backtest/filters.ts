/**
 * Exchange-filter rounding for simulated orders (LOT_SIZE step, PRICE_FILTER
 * tick). Filters arrive as Binance's decimal strings; the arithmetic is done
 * in floats and snapped to the filter's decimals, which is exact enough for a
 * backtest (live orders are rounded on decimal strings by engine/orders).
 *
 * @module
 */

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

/** Number of decimals of a decimal string (`"0.0010"` → 4). */
export function decimalsOf(step: string): number {
  const dot = step.indexOf(".");
  return dot < 0 ? 0 : step.length - dot - 1;
}

/** `quantity` floored to a multiple of `stepSize` (0 when below one step). */
export function floorToStep(quantity: number, stepSize: string): number {
  const step = Number(stepSize);
  if (!(step > 0)) return quantity;
  // The epsilon keeps 0.3 / 0.1 = 2.9999999999999996 from losing a whole step.
  const units = Math.floor(quantity / step + 1e-9);
  return Number((units * step).toFixed(decimalsOf(stepSize)));
}

/** `price` rounded to the nearest multiple of `tickSize`. */
export function roundToTick(price: number, tickSize: string): number {
  const tick = Number(tickSize);
  if (!(tick > 0)) return price;
  return Number((Math.round(price / tick) * tick).toFixed(decimalsOf(tickSize)));
}
