/**
 * A symbol's exchange filters and the checks that refuse an order before it is
 * sent, with the same verdict Binance would give (so a planned order never
 * comes back as `-1013 Filter failure`).
 *
 * @module
 */

import { AuraError } from "../errors.ts";
import { compareDecimals, divideDecimals, isMultipleOf, multiplyDecimals } from "./decimal.ts";
import type { BinanceFilter } from "./known_symbols.ts";

/** PERCENT_PRICE_BY_SIDE multipliers (decimal strings) around the average price. */
export interface PercentPriceBySide {
  /** Highest BUY price as a multiple of the average price. */
  bidMultiplierUp: string;
  /** Lowest BUY price as a multiple of the average price. */
  bidMultiplierDown: string;
  /** Highest SELL price as a multiple of the average price. */
  askMultiplierUp: string;
  /** Lowest SELL price as a multiple of the average price. */
  askMultiplierDown: string;
}

/** The trading rules of one spot symbol; every number is a decimal string. */
export interface SymbolRules {
  /** Symbol, e.g. `BTCUSDT`. */
  symbol: string;
  /** `TRADING` when orders are accepted. */
  status: string;
  /** Base asset, e.g. `BTC`. */
  baseAsset: string;
  /** Quote asset, e.g. `USDT`. */
  quoteAsset: string;
  /** Digits allowed in a `quoteOrderQty`. */
  quotePrecision: number;
  /** PRICE_FILTER tick (`"0"` = none). */
  tickSize: string;
  /** PRICE_FILTER minimum price (`"0"` = none). */
  minPrice: string;
  /** PRICE_FILTER maximum price (`"0"` = none). */
  maxPrice: string;
  /** LOT_SIZE step. */
  stepSize: string;
  /** LOT_SIZE minimum quantity. */
  minQty: string;
  /** LOT_SIZE maximum quantity. */
  maxQty: string;
  /** MARKET_LOT_SIZE maximum quantity for market orders (`"0"` = none). */
  marketMaxQty: string;
  /** NOTIONAL / MIN_NOTIONAL minimum (price × quantity). */
  minNotional: string;
  /** Whether the minimum notional also binds market orders. */
  applyMinToMarket: boolean;
  /** NOTIONAL maximum, when the symbol has one. */
  maxNotional?: string;
  /** Whether the maximum notional also binds market orders. */
  applyMaxToMarket?: boolean;
  /** PERCENT_PRICE_BY_SIDE, when the symbol has it. */
  percentPrice?: PercentPriceBySide;
  /** Whether OCO order lists are allowed. */
  ocoAllowed: boolean;
}

/** The part of an exchangeInfo symbol that {@link parseSymbolRules} reads. */
export interface BinanceSymbolJson {
  /** Symbol name. */
  symbol: string;
  /** Trading status. */
  status: string;
  /** Base asset. */
  baseAsset: string;
  /** Quote asset. */
  quoteAsset: string;
  /** Quote digits (new name). */
  quoteAssetPrecision?: number;
  /** Quote digits (legacy name). */
  quotePrecision?: number;
  /** OCO allowed. */
  ocoAllowed?: boolean;
  /** Filters. */
  filters: BinanceFilter[];
}

function field(filter: BinanceFilter | undefined, name: string, fallback = "0"): string {
  const value = filter?.[name];
  return value === undefined || value === null ? fallback : String(value);
}

/**
 * Reads a symbol's rules from its Binance exchangeInfo entry (PRICE_FILTER,
 * LOT_SIZE, MARKET_LOT_SIZE, NOTIONAL or the older MIN_NOTIONAL,
 * PERCENT_PRICE_BY_SIDE). Pure: no I/O.
 */
export function parseSymbolRules(json: BinanceSymbolJson): SymbolRules {
  const byType = new Map(json.filters.map((filter) => [filter.filterType, filter]));
  const price = byType.get("PRICE_FILTER");
  const lot = byType.get("LOT_SIZE");
  const marketLot = byType.get("MARKET_LOT_SIZE");
  const notional = byType.get("NOTIONAL");
  const legacyNotional = byType.get("MIN_NOTIONAL");
  const percent = byType.get("PERCENT_PRICE_BY_SIDE");
  const rules: SymbolRules = {
    symbol: json.symbol,
    status: json.status,
    baseAsset: json.baseAsset,
    quoteAsset: json.quoteAsset,
    quotePrecision: json.quoteAssetPrecision ?? json.quotePrecision ?? 8,
    tickSize: field(price, "tickSize"),
    minPrice: field(price, "minPrice"),
    maxPrice: field(price, "maxPrice"),
    stepSize: field(lot, "stepSize"),
    minQty: field(lot, "minQty"),
    maxQty: field(lot, "maxQty"),
    marketMaxQty: field(marketLot, "maxQty"),
    minNotional: field(notional ?? legacyNotional, "minNotional"),
    applyMinToMarket: notional
      ? notional.applyMinToMarket !== false
      : legacyNotional?.applyToMarket !== false,
    ocoAllowed: json.ocoAllowed ?? false,
  };
  if (notional?.maxNotional !== undefined) {
    rules.maxNotional = field(notional, "maxNotional");
    rules.applyMaxToMarket = notional.applyMaxToMarket === true;
  }
  if (percent) {
    rules.percentPrice = {
      bidMultiplierUp: field(percent, "bidMultiplierUp"),
      bidMultiplierDown: field(percent, "bidMultiplierDown"),
      askMultiplierUp: field(percent, "askMultiplierUp"),
      askMultiplierDown: field(percent, "askMultiplierDown"),
    };
  }
  return rules;
}

function refuse(action: string, rules: SymbolRules, problem: string, details: object): never {
  throw new AuraError("TRADE_002", `Cannot ${action} for "${rules.symbol}": ${problem}`, {
    symbol: rules.symbol,
    ...details,
  });
}

const isSet = (value: string | undefined): value is string =>
  value !== undefined && compareDecimals(value, "0") > 0;

/** Throws TRADE_003 unless the symbol is `TRADING`. */
export function assertTrading(rules: SymbolRules, action: string): void {
  if (rules.status !== "TRADING") {
    throw new AuraError(
      "TRADE_003",
      `Cannot ${action} for "${rules.symbol}": symbol status is "${rules.status}", not "TRADING"`,
      { symbol: rules.symbol, status: rules.status },
    );
  }
}

/** Throws TRADE_002 when `quantity` breaks LOT_SIZE (min, max, step). */
export function checkLotSize(rules: SymbolRules, quantity: string, action: string): void {
  const details = { filter: "LOT_SIZE", quantity };
  if (compareDecimals(quantity, rules.minQty) < 0 || compareDecimals(quantity, "0") <= 0) {
    refuse(
      action,
      rules,
      `quantity "${quantity}" is below LOT_SIZE minQty "${rules.minQty}"`,
      details,
    );
  }
  if (isSet(rules.maxQty) && compareDecimals(quantity, rules.maxQty) > 0) {
    refuse(
      action,
      rules,
      `quantity "${quantity}" is above LOT_SIZE maxQty "${rules.maxQty}"`,
      details,
    );
  }
  if (!isMultipleOf(quantity, rules.stepSize)) {
    refuse(
      action,
      rules,
      `quantity "${quantity}" is not a multiple of LOT_SIZE stepSize "${rules.stepSize}"`,
      details,
    );
  }
}

/** Throws TRADE_002 when `price` breaks PRICE_FILTER (min, max, tick). */
export function checkPriceFilter(
  rules: SymbolRules,
  name: string,
  price: string,
  action: string,
): void {
  const details = { filter: "PRICE_FILTER", [name]: price };
  if (
    compareDecimals(price, "0") <= 0 ||
    (isSet(rules.minPrice) && compareDecimals(price, rules.minPrice) < 0)
  ) {
    refuse(
      action,
      rules,
      `${name} "${price}" is below PRICE_FILTER minPrice "${rules.minPrice}"`,
      details,
    );
  }
  if (isSet(rules.maxPrice) && compareDecimals(price, rules.maxPrice) > 0) {
    refuse(
      action,
      rules,
      `${name} "${price}" is above PRICE_FILTER maxPrice "${rules.maxPrice}"`,
      details,
    );
  }
  if (!isMultipleOf(price, rules.tickSize)) {
    refuse(
      action,
      rules,
      `${name} "${price}" is not a multiple of PRICE_FILTER tickSize "${rules.tickSize}"`,
      details,
    );
  }
}

/** Throws TRADE_002 when a notional breaks NOTIONAL (min, and max when set). */
export function checkNotional(
  rules: SymbolRules,
  notional: string,
  market: boolean,
  action: string,
): void {
  const details = { filter: "NOTIONAL", notional };
  if ((!market || rules.applyMinToMarket) && compareDecimals(notional, rules.minNotional) < 0) {
    refuse(
      action,
      rules,
      `notional "${notional}" is below NOTIONAL minNotional "${rules.minNotional}"`,
      details,
    );
  }
  const max = rules.maxNotional;
  if (isSet(max) && (!market || rules.applyMaxToMarket) && compareDecimals(notional, max) > 0) {
    refuse(action, rules, `notional "${notional}" is above NOTIONAL maxNotional "${max}"`, details);
  }
}

/**
 * Throws TRADE_002 when a limit price lies outside PERCENT_PRICE_BY_SIDE around
 * `referencePrice` (Binance uses a 5-minute average; the last price is the
 * closest value an order planner has).
 */
export function checkPercentPrice(
  rules: SymbolRules,
  side: "BUY" | "SELL",
  name: string,
  price: string,
  referencePrice: string,
  action: string,
): void {
  const bands = rules.percentPrice;
  if (!bands) return;
  const up = side === "BUY" ? bands.bidMultiplierUp : bands.askMultiplierUp;
  const down = side === "BUY" ? bands.bidMultiplierDown : bands.askMultiplierDown;
  const high = multiplyDecimals(referencePrice, up);
  const low = multiplyDecimals(referencePrice, down);
  const details = { filter: "PERCENT_PRICE_BY_SIDE", [name]: price, referencePrice };
  if (compareDecimals(price, high) > 0) {
    refuse(
      action,
      rules,
      `${name} "${price}" is above PERCENT_PRICE_BY_SIDE limit "${high}" (${up} × "${referencePrice}")`,
      details,
    );
  }
  if (compareDecimals(price, low) < 0) {
    refuse(
      action,
      rules,
      `${name} "${price}" is below PERCENT_PRICE_BY_SIDE limit "${low}" (${down} × "${referencePrice}")`,
      details,
    );
  }
}

/** A market buy sized in quote asset, as sent to the exchange. */
export interface MarketBuyQuoteCheck {
  /** Quote amount to spend. */
  quoteOrderQty: string;
  /** Last traded price, to estimate the quantity. */
  lastPrice: string;
}

/**
 * Refuses a market buy by `quoteOrderQty` that Binance would reject: symbol
 * not trading (TRADE_003), notional outside NOTIONAL, or an estimated quantity
 * beyond MARKET_LOT_SIZE (TRADE_002).
 */
export function validateMarketBuyQuote(rules: SymbolRules, order: MarketBuyQuoteCheck): void {
  const action = "place market buy";
  assertTrading(rules, action);
  checkNotional(rules, order.quoteOrderQty, true, action);
  const estimated = divideDecimals(order.quoteOrderQty, order.lastPrice, 12);
  if (isSet(rules.marketMaxQty) && compareDecimals(estimated, rules.marketMaxQty) > 0) {
    refuse(
      action,
      rules,
      `estimated quantity "${estimated}" is above MARKET_LOT_SIZE maxQty "${rules.marketMaxQty}"`,
      {
        filter: "MARKET_LOT_SIZE",
        quantity: estimated,
      },
    );
  }
}

/** The legs of a sell OCO protecting a long position. */
export interface OcoSellCheck {
  /** Base quantity of both legs. */
  quantity: string;
  /** LIMIT_MAKER take-profit price. */
  takeProfitPrice: string;
  /** STOP_LOSS_LIMIT trigger. */
  stopPrice: string;
  /** STOP_LOSS_LIMIT limit price (at or below the trigger). */
  stopLimitPrice: string;
  /** Reference price for PERCENT_PRICE_BY_SIDE. */
  lastPrice: string;
}

/**
 * Refuses a sell OCO whose legs Binance would reject: symbol not trading
 * (TRADE_003), OCO not allowed, LOT_SIZE, PRICE_FILTER, NOTIONAL of either leg
 * or PERCENT_PRICE_BY_SIDE (TRADE_002).
 */
export function validateOcoSell(rules: SymbolRules, oco: OcoSellCheck): void {
  const action = "place OCO";
  assertTrading(rules, action);
  if (!rules.ocoAllowed) {
    refuse(action, rules, "OCO orders are not allowed on this symbol", { filter: "ocoAllowed" });
  }
  checkLotSize(rules, oco.quantity, action);
  checkPriceFilter(rules, "takeProfitPrice", oco.takeProfitPrice, action);
  checkPriceFilter(rules, "stopPrice", oco.stopPrice, action);
  checkPriceFilter(rules, "stopLimitPrice", oco.stopLimitPrice, action);
  if (compareDecimals(oco.stopLimitPrice, oco.stopPrice) > 0) {
    refuse(
      action,
      rules,
      `stopLimitPrice "${oco.stopLimitPrice}" is above stopPrice "${oco.stopPrice}"`,
      { filter: "OCO" },
    );
  }
  checkNotional(rules, multiplyDecimals(oco.quantity, oco.takeProfitPrice), false, action);
  checkNotional(rules, multiplyDecimals(oco.quantity, oco.stopLimitPrice), false, action);
  checkPercentPrice(rules, "SELL", "takeProfitPrice", oco.takeProfitPrice, oco.lastPrice, action);
  checkPercentPrice(rules, "SELL", "stopLimitPrice", oco.stopLimitPrice, oco.lastPrice, action);
}
