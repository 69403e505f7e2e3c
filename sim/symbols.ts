/**
 * The symbols the simulator lists in `/api/v3/exchangeInfo`, with Binance's
 * real spot filter values (snapshot of api.binance.com, 2025; the market
 * lot-size maxima move daily on Binance and are representative here).
 *
 * @module
 */

/** One Binance filter object, exactly as exchangeInfo lists it. */
export type SymbolFilter = { filterType: string } & Record<string, string | number | boolean>;

/** The trading rules the simulator enforces for one symbol. */
export interface SymbolRules {
  /** Symbol, e.g. `BTCUSDT`. */
  symbol: string;
  /** Base asset, e.g. `BTC`. */
  baseAsset: string;
  /** Quote asset, e.g. `USDT`. */
  quoteAsset: string;
  /** PRICE_FILTER tick size. */
  tickSize: string;
  /** PRICE_FILTER minimum price. */
  minPrice: string;
  /** PRICE_FILTER maximum price. */
  maxPrice: string;
  /** LOT_SIZE step size. */
  stepSize: string;
  /** LOT_SIZE minimum quantity. */
  minQty: string;
  /** LOT_SIZE maximum quantity. */
  maxQty: string;
  /** MARKET_LOT_SIZE maximum quantity. */
  marketMaxQty: string;
  /** NOTIONAL minimum (applies to market orders too). */
  minNotional: string;
  /** NOTIONAL maximum (not applied to market orders). */
  maxNotional: string;
}

function rules(
  symbol: string,
  baseAsset: string,
  tickSize: string,
  stepSize: string,
  maxQty: string,
  marketMaxQty: string,
): SymbolRules {
  return {
    symbol,
    baseAsset,
    quoteAsset: "USDT",
    tickSize,
    minPrice: tickSize,
    maxPrice: tickSize === "0.00010000" ? "10000.00000000" : "1000000.00000000",
    stepSize,
    minQty: stepSize,
    maxQty,
    marketMaxQty,
    minNotional: "5.00000000",
    maxNotional: "9000000.00000000",
  };
}

/** Real Binance spot rules for the symbols AURA trades by default. */
export const KNOWN_SYMBOLS: Readonly<Record<string, SymbolRules>> = {
  BTCUSDT: rules("BTCUSDT", "BTC", "0.01000000", "0.00001000", "9000.00000000", "84.21565487"),
  ETHUSDT: rules("ETHUSDT", "ETH", "0.01000000", "0.00010000", "9000.00000000", "2476.37651243"),
  SOLUSDT: rules(
    "SOLUSDT",
    "SOL",
    "0.01000000",
    "0.00100000",
    "9000000.00000000",
    "23811.97638278",
  ),
  XRPUSDT: rules(
    "XRPUSDT",
    "XRP",
    "0.00010000",
    "0.10000000",
    "9222449.00000000",
    "1424018.05958333",
  ),
};

/** Rules for `symbol`: the known table, or generic USDT-quoted rules for any other name. */
export function rulesFor(symbol: string): SymbolRules {
  const known = KNOWN_SYMBOLS[symbol];
  if (known) return known;
  const quote =
    ["USDT", "USDC", "FDUSD", "BTC", "BNB", "ETH"].find((q) =>
      symbol.endsWith(q) && symbol.length > q.length
    ) ?? "USDT";
  return {
    ...rules(
      symbol,
      symbol.slice(0, -quote.length),
      "0.01000000",
      "0.00001000",
      "9000.00000000",
      "100.00000000",
    ),
    quoteAsset: quote,
  };
}

/** Binance's filter list for one symbol, in exchangeInfo's order. */
export function filtersOf(r: SymbolRules): SymbolFilter[] {
  return [
    {
      filterType: "PRICE_FILTER",
      minPrice: r.minPrice,
      maxPrice: r.maxPrice,
      tickSize: r.tickSize,
    },
    { filterType: "LOT_SIZE", minQty: r.minQty, maxQty: r.maxQty, stepSize: r.stepSize },
    { filterType: "ICEBERG_PARTS", limit: 10 },
    {
      filterType: "MARKET_LOT_SIZE",
      minQty: "0.00000000",
      maxQty: r.marketMaxQty,
      stepSize: "0.00000000",
    },
    {
      filterType: "TRAILING_DELTA",
      minTrailingAboveDelta: 10,
      maxTrailingAboveDelta: 2000,
      minTrailingBelowDelta: 10,
      maxTrailingBelowDelta: 2000,
    },
    {
      filterType: "PERCENT_PRICE_BY_SIDE",
      bidMultiplierUp: "5",
      bidMultiplierDown: "0.2",
      askMultiplierUp: "5",
      askMultiplierDown: "0.2",
      avgPriceMins: 5,
    },
    {
      filterType: "NOTIONAL",
      minNotional: r.minNotional,
      applyMinToMarket: true,
      maxNotional: r.maxNotional,
      applyMaxToMarket: false,
      avgPriceMins: 5,
    },
    { filterType: "MAX_NUM_ORDERS", maxNumOrders: 200 },
    { filterType: "MAX_NUM_ORDER_LISTS", maxNumOrderLists: 20 },
    { filterType: "MAX_NUM_ALGO_ORDERS", maxNumAlgoOrders: 5 },
    { filterType: "MAX_NUM_ORDER_AMENDS", maxNumOrderAmends: 10 },
  ];
}

/** The exchangeInfo `symbols[]` entry for one symbol, in Binance's exact shape. */
export function exchangeInfoSymbol(r: SymbolRules): Record<string, unknown> {
  return {
    symbol: r.symbol,
    status: "TRADING",
    baseAsset: r.baseAsset,
    baseAssetPrecision: 8,
    quoteAsset: r.quoteAsset,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: [
      "LIMIT",
      "LIMIT_MAKER",
      "MARKET",
      "STOP_LOSS",
      "STOP_LOSS_LIMIT",
      "TAKE_PROFIT",
      "TAKE_PROFIT_LIMIT",
    ],
    icebergAllowed: true,
    ocoAllowed: true,
    otoAllowed: true,
    quoteOrderQtyMarketAllowed: true,
    allowTrailingStop: true,
    cancelReplaceAllowed: true,
    amendAllowed: true,
    pegInstructionsAllowed: true,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: true,
    filters: filtersOf(r),
    permissions: [],
    permissionSets: [["SPOT", "MARGIN"]],
    defaultSelfTradePreventionMode: "EXPIRE_MAKER",
    allowedSelfTradePreventionModes: ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"],
  };
}
