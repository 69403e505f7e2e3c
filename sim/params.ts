/**
 * Reading request parameters the way Binance validates them: the same
 * patterns and the same error codes (-1100, -1102, -1111, -1116, -1117, -1121).
 *
 * @module
 */

import { normalizeDecimal } from "../engine/orders/decimal.ts";
import { BinanceError, BinanceMessages, missingParameter } from "./binance_error.ts";
import type { OrderType, Side } from "./orders.ts";

const DECIMAL = /^([0-9]{1,20})(\.[0-9]{1,20})?$/;
const INTEGER = /^-?[0-9]{1,20}$/;
const CLIENT_ID = /^[\.A-Z\:/a-z0-9_-]{1,36}$/;
const ORDER_TYPES = new Set([
  "MARKET",
  "LIMIT",
  "LIMIT_MAKER",
  "STOP_LOSS",
  "STOP_LOSS_LIMIT",
  "TAKE_PROFIT",
  "TAKE_PROFIT_LIMIT",
]);

/** Typed access to one request's merged query and body parameters. */
export class Params {
  readonly #values: URLSearchParams;

  /** Wraps merged parameters. */
  constructor(values: URLSearchParams) {
    this.#values = values;
  }

  /** A string parameter, or undefined when absent or empty. */
  string(name: string): string | undefined {
    const value = this.#values.get(name);
    return value === null || value === "" ? undefined : value;
  }

  /** A mandatory string parameter (-1102 when missing). */
  requiredString(name: string): string {
    const value = this.string(name);
    if (value === undefined) throw missingParameter(name);
    return value;
  }

  /** A decimal parameter in canonical form: -1100 for bad characters, -1111 past 8 decimals. */
  decimal(name: string): string | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!DECIMAL.test(value)) {
      throw new BinanceError(
        -1100,
        `Illegal characters found in parameter '${name}'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.`,
      );
    }
    const canonical = normalizeDecimal(value);
    if ((canonical.split(".")[1] ?? "").length > 8) {
      throw new BinanceError(-1111, `Parameter '${name}' has too much precision.`);
    }
    return canonical;
  }

  /** An integer parameter (-1100 when malformed). */
  integer(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!INTEGER.test(value)) {
      throw new BinanceError(
        -1100,
        `Illegal characters found in parameter '${name}'; legal range is '^[0-9]{1,20}$'.`,
      );
    }
    return Number(value);
  }

  /** A client order id parameter: Binance allows `^[\.A-Z\:/a-z0-9_-]{1,36}$` (-1100 otherwise). */
  clientId(name: string): string | undefined {
    const value = this.string(name);
    if (value !== undefined && !CLIENT_ID.test(value)) {
      throw new BinanceError(
        -1100,
        `Illegal characters found in parameter '${name}'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.`,
      );
    }
    return value;
  }

  /** The `symbol` parameter: mandatory and one of `listed` (-1121 otherwise). */
  symbol(listed: ReadonlySet<string>): string {
    const symbol = this.requiredString("symbol").toUpperCase();
    if (!listed.has(symbol)) throw new BinanceError(-1121, BinanceMessages.invalidSymbol);
    return symbol;
  }

  /** The `side` parameter (-1117 "Invalid side."). */
  side(): Side {
    const side = this.requiredString("side").toUpperCase();
    if (side !== "BUY" && side !== "SELL") throw new BinanceError(-1117, "Invalid side.");
    return side;
  }

  /** The `type` parameter (-1116 "Invalid orderType."). */
  orderType(): OrderType {
    const type = this.requiredString("type").toUpperCase();
    if (!ORDER_TYPES.has(type)) throw new BinanceError(-1116, "Invalid orderType.");
    return type as OrderType;
  }

  /** The `timeInForce` parameter (-1115 "Invalid timeInForce."). */
  timeInForce(name = "timeInForce"): string | undefined {
    const tif = this.string(name)?.toUpperCase();
    if (tif !== undefined && tif !== "GTC" && tif !== "IOC" && tif !== "FOK") {
      throw new BinanceError(-1115, "Invalid timeInForce.");
    }
    return tif;
  }
}
