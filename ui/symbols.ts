/**
 * The symbols the strategy editor offers, with the exchange minimums a
 * position must clear (from engine/orders/known_symbols.ts, Binance's real
 * filters), in the JSON shape islands receive.
 *
 * @module
 */
import { KNOWN_SYMBOLS } from "../engine/orders/known_symbols.ts";
import { trimDecimal } from "../db/trades.ts";

/** A symbol and its order minimums (decimal strings). */
export interface SymbolOption {
  /** Symbol, e.g. BTCUSDT. */
  symbol: string;
  /** Base asset, e.g. BTC. */
  baseAsset: string;
  /** LOT_SIZE minQty. */
  minQty: string;
  /** LOT_SIZE stepSize. */
  stepSize: string;
  /** NOTIONAL minNotional (USDT). */
  minNotional: string;
}

/** Every symbol AURA knows offline, in display order. */
export function symbolOptions(): SymbolOption[] {
  return Object.values(KNOWN_SYMBOLS).map((info) => {
    const filter = (type: string) => info.filters.find((f) => f.filterType === type);
    const lot = filter("LOT_SIZE");
    const notional = filter("NOTIONAL");
    return {
      symbol: info.symbol,
      baseAsset: info.baseAsset,
      minQty: trimDecimal(String(lot?.minQty ?? "0")),
      stepSize: trimDecimal(String(lot?.stepSize ?? "0")),
      minNotional: trimDecimal(String(notional?.minNotional ?? "0")),
    };
  });
}
