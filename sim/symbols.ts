/**
 * The symbols the simulator lists, from AURA's one table of real Binance
 * filter values (engine/orders/known_symbols.ts), so the simulator, the paper
 * exchange and the order planner agree on every tick and step.
 *
 * @module
 */

import { KNOWN_SYMBOLS, knownSymbol } from "../engine/orders/known_symbols.ts";
import type { BinanceFilter, BinanceSymbolInfo } from "../engine/orders/known_symbols.ts";

export { KNOWN_SYMBOLS };

/** The trading rules the simulator enforces for one symbol (decimal strings). */
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

const QUOTES = ["USDT", "USDC", "FDUSD", "BTC", "BNB", "ETH"];
const infoCache = new Map<string, BinanceSymbolInfo>();
const rulesCache = new Map<string, SymbolRules>();

/**
 * The exchangeInfo entry of `symbol`: the real one for known symbols, and
 * BTCUSDT's filters under the symbol's own assets for any other name (so
 * tests and demos can list extra pairs).
 */
export function symbolInfoFor(symbol: string): BinanceSymbolInfo {
  const cached = infoCache.get(symbol);
  if (cached) return cached;
  const known = knownSymbol(symbol);
  let info: BinanceSymbolInfo;
  if (known) info = known;
  else {
    const quote = QUOTES.find((q) => symbol.endsWith(q) && symbol.length > q.length) ?? "USDT";
    info = {
      ...KNOWN_SYMBOLS.BTCUSDT!,
      symbol,
      baseAsset: symbol.slice(0, symbol.length - quote.length),
      quoteAsset: quote,
    };
  }
  infoCache.set(symbol, info);
  return info;
}

function filter(info: BinanceSymbolInfo, type: string): BinanceFilter {
  const found = info.filters.find((f) => f.filterType === type);
  if (!found) throw new Error(`Symbol "${info.symbol}" has no ${type} filter`);
  return found;
}

/** The rules of `symbol`, read from its filters. */
export function rulesFor(symbol: string): SymbolRules {
  const cached = rulesCache.get(symbol);
  if (cached) return cached;
  const info = symbolInfoFor(symbol);
  const price = filter(info, "PRICE_FILTER");
  const lot = filter(info, "LOT_SIZE");
  const market = filter(info, "MARKET_LOT_SIZE");
  const notional = filter(info, "NOTIONAL");
  const rules: SymbolRules = {
    symbol: info.symbol,
    baseAsset: info.baseAsset,
    quoteAsset: info.quoteAsset,
    tickSize: String(price.tickSize),
    minPrice: String(price.minPrice),
    maxPrice: String(price.maxPrice),
    stepSize: String(lot.stepSize),
    minQty: String(lot.minQty),
    maxQty: String(lot.maxQty),
    marketMaxQty: String(market.maxQty),
    minNotional: String(notional.minNotional),
    maxNotional: String(notional.maxNotional),
  };
  rulesCache.set(symbol, rules);
  return rules;
}

/** The exchangeInfo `symbols[]` entry for one symbol, in Binance's exact field order. */
export function exchangeInfoSymbol(symbol: string): Record<string, unknown> {
  const info = symbolInfoFor(symbol);
  return {
    symbol: info.symbol,
    status: info.status,
    baseAsset: info.baseAsset,
    baseAssetPrecision: info.baseAssetPrecision,
    quoteAsset: info.quoteAsset,
    quotePrecision: info.quotePrecision,
    quoteAssetPrecision: info.quoteAssetPrecision,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: info.orderTypes,
    icebergAllowed: true,
    ocoAllowed: info.ocoAllowed,
    otoAllowed: true,
    quoteOrderQtyMarketAllowed: info.quoteOrderQtyMarketAllowed,
    allowTrailingStop: true,
    cancelReplaceAllowed: true,
    amendAllowed: true,
    pegInstructionsAllowed: true,
    isSpotTradingAllowed: info.isSpotTradingAllowed,
    isMarginTradingAllowed: true,
    filters: info.filters,
    permissions: [],
    permissionSets: [["SPOT", "MARGIN"]],
    defaultSelfTradePreventionMode: "EXPIRE_MAKER",
    allowedSelfTradePreventionModes: ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"],
  };
}
