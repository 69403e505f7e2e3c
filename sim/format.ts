/**
 * Decimal strings in Binance's wire form: always 8 digits after the point
 * (`"0.00100000"`), as the REST API and the streams print them.
 *
 * @module
 */

import { normalizeDecimal } from "../engine/orders/decimal.ts";

/** Prints `value` with exactly `decimals` digits after the point; extra digits are cut. */
export function fixedDecimals(value: string, decimals: number): string {
  const canonical = normalizeDecimal(value);
  const negative = canonical.startsWith("-");
  const [whole = "0", fraction = ""] = (negative ? canonical.slice(1) : canonical).split(".");
  const text = `${whole}.${fraction.padEnd(decimals, "0").slice(0, decimals)}`;
  return negative && /[1-9]/.test(text) ? `-${text}` : text;
}

/** Prints `value` with exactly 8 decimals (`"1.5"` → `"1.50000000"`); extra digits are cut. */
export function fixed8(value: string): string {
  return fixedDecimals(value, 8);
}
