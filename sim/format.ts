/**
 * Decimal strings in Binance's wire form: always 8 digits after the point
 * (`"0.00100000"`), as the REST API and the streams print them.
 *
 * @module
 */

import { normalizeDecimal } from "../engine/orders/decimal.ts";

/** Prints `value` with exactly 8 decimals (`"1.5"` → `"1.50000000"`); extra digits are cut. */
export function fixed8(value: string): string {
  const canonical = normalizeDecimal(value);
  const negative = canonical.startsWith("-");
  const [whole = "0", fraction = ""] = (negative ? canonical.slice(1) : canonical).split(".");
  const text = `${whole}.${fraction.padEnd(8, "0").slice(0, 8)}`;
  return negative && text !== "0.00000000" ? `-${text}` : text;
}
