/**
 * Market data from Binance (or the simulator): the kline stream client with
 * REST backfill.
 *
 * @module
 */

export {
  BinanceKlineStream,
  type KlineStreamOptions,
  type KlineStreamStats,
} from "./binance_ws.ts";
export { fetchClosedKlines, type FetchKlinesOptions } from "./rest_klines.ts";
