/**
 * Backtesting: the columnar candle series, the kline CSV parser and
 * {@link runBacktest}, which replays candles through the live strategy runner
 * and the shared fill model.
 *
 * @module
 */

export { runBacktest } from "./backtest.ts";
export { parseKlinesCsv } from "./csv.ts";
export { type ExchangeFilters, floorQuantityToStep, roundPriceToTick } from "./filters.ts";
export type {
  BacktestOptions,
  BacktestReport,
  BacktestTrade,
  OpenPosition,
  TradeStatus,
} from "./report.ts";
export {
  allocateSeries,
  candleAt,
  type CandleSeries,
  readCandle,
  seriesFromCandles,
  sliceSeries,
} from "./series.ts";
