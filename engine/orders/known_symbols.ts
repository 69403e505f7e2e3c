/**
 * Real Binance spot filter values for the symbols AURA knows offline, as the
 * `symbols[]` entries of `GET /api/v3/exchangeInfo` (trimmed to the fields and
 * filters AURA reads). The paper exchange and the simulator serve these, so
 * an order that passes here passes on Binance and the other way round.
 *
 * Values as published by Binance spot in 2025 (tick 0.01 and step 1e-5 for
 * BTCUSDT, NOTIONAL min 5 USDT, PERCENT_PRICE_BY_SIDE 0.2–5).
 *
 * @module
 */

/** One filter of a Binance exchangeInfo symbol (all numbers as decimal strings). */
export interface BinanceFilter {
  /** Filter name, e.g. `PRICE_FILTER`, `LOT_SIZE`, `NOTIONAL`. */
  filterType: string;
  /** The filter's own fields (`tickSize`, `minQty`, `applyMinToMarket`, ...). */
  [field: string]: string | number | boolean | undefined;
}

/** A Binance exchangeInfo symbol entry, as far as AURA reads it. */
export interface BinanceSymbolInfo {
  /** Symbol, e.g. `BTCUSDT`. */
  symbol: string;
  /** `TRADING`, `HALT`, `BREAK`, ... */
  status: string;
  /** Base asset, e.g. `BTC`. */
  baseAsset: string;
  /** Digits the base asset carries. */
  baseAssetPrecision: number;
  /** Quote asset, e.g. `USDT`. */
  quoteAsset: string;
  /** Digits of the quote asset (legacy name). */
  quotePrecision: number;
  /** Digits of the quote asset; bounds `quoteOrderQty`. */
  quoteAssetPrecision: number;
  /** Order types the symbol accepts. */
  orderTypes: string[];
  /** Whether OCO order lists are allowed. */
  ocoAllowed: boolean;
  /** Whether market orders may be sized by `quoteOrderQty`. */
  quoteOrderQtyMarketAllowed: boolean;
  /** Whether spot trading is allowed. */
  isSpotTradingAllowed: boolean;
  /** The symbol's filters. */
  filters: BinanceFilter[];
}

const ORDER_TYPES = [
  "LIMIT",
  "LIMIT_MAKER",
  "MARKET",
  "STOP_LOSS",
  "STOP_LOSS_LIMIT",
  "TAKE_PROFIT",
  "TAKE_PROFIT_LIMIT",
];

function symbolInfo(
  symbol: string,
  baseAsset: string,
  price: { tickSize: string; minPrice: string; maxPrice: string },
  lot: { stepSize: string; minQty: string; maxQty: string; marketMaxQty: string },
): BinanceSymbolInfo {
  return {
    symbol,
    status: "TRADING",
    baseAsset,
    baseAssetPrecision: 8,
    quoteAsset: "USDT",
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    orderTypes: [...ORDER_TYPES],
    ocoAllowed: true,
    quoteOrderQtyMarketAllowed: true,
    isSpotTradingAllowed: true,
    filters: [
      { filterType: "PRICE_FILTER", ...price },
      { filterType: "LOT_SIZE", minQty: lot.minQty, maxQty: lot.maxQty, stepSize: lot.stepSize },
      { filterType: "ICEBERG_PARTS", limit: 50 },
      {
        filterType: "MARKET_LOT_SIZE",
        minQty: "0.00000000",
        maxQty: lot.marketMaxQty,
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
        minNotional: "5.00000000",
        applyMinToMarket: true,
        maxNotional: "9000000.00000000",
        applyMaxToMarket: false,
        avgPriceMins: 5,
      },
      { filterType: "MAX_NUM_ORDERS", maxNumOrders: 200 },
      { filterType: "MAX_NUM_ALGO_ORDERS", maxNumAlgoOrders: 5 },
    ],
  };
}

/** exchangeInfo entries for BTCUSDT, ETHUSDT, SOLUSDT and XRPUSDT, keyed by symbol. */
export const KNOWN_SYMBOLS: Readonly<Record<string, BinanceSymbolInfo>> = {
  BTCUSDT: symbolInfo(
    "BTCUSDT",
    "BTC",
    { tickSize: "0.01000000", minPrice: "0.01000000", maxPrice: "1000000.00000000" },
    {
      stepSize: "0.00001000",
      minQty: "0.00001000",
      maxQty: "9000.00000000",
      marketMaxQty: "107.11000000",
    },
  ),
  ETHUSDT: symbolInfo(
    "ETHUSDT",
    "ETH",
    { tickSize: "0.01000000", minPrice: "0.01000000", maxPrice: "1000000.00000000" },
    {
      stepSize: "0.00010000",
      minQty: "0.00010000",
      maxQty: "9000.00000000",
      marketMaxQty: "2634.50000000",
    },
  ),
  SOLUSDT: symbolInfo(
    "SOLUSDT",
    "SOL",
    { tickSize: "0.01000000", minPrice: "0.01000000", maxPrice: "10000.00000000" },
    {
      stepSize: "0.00100000",
      minQty: "0.00100000",
      maxQty: "9000000.00000000",
      marketMaxQty: "24880.23000000",
    },
  ),
  XRPUSDT: symbolInfo(
    "XRPUSDT",
    "XRP",
    { tickSize: "0.00010000", minPrice: "0.00010000", maxPrice: "10000.00000000" },
    {
      stepSize: "0.10000000",
      minQty: "0.10000000",
      maxQty: "9222449.00000000",
      marketMaxQty: "1404316.22000000",
    },
  ),
};

/** The exchangeInfo entry for `symbol`, or `undefined` when AURA does not know it offline. */
export function knownSymbol(symbol: string): BinanceSymbolInfo | undefined {
  return KNOWN_SYMBOLS[symbol.toUpperCase()];
}
