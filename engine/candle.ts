/**
 * Candles as the engine sees them (numbers, for indicator maths) and as they
 * cross boundaries (decimal strings, as Binance sends them).
 *
 * @module
 */

/** A closed candle with numeric prices; times are Unix ms (close = open + interval - 1). */
export interface Candle {
  /** Open time, Unix ms. */
  openTime: number;
  /** Close time, Unix ms (Binance convention: next open - 1). */
  closeTime: number;
  /** Open price. */
  open: number;
  /** High price. */
  high: number;
  /** Low price. */
  low: number;
  /** Close price. */
  close: number;
  /** Base-asset volume. */
  volume: number;
}

/** A kline as the design's `KlineData`: prices as decimal strings. */
export interface KlineData {
  /** Symbol, e.g. `BTCUSDT`. */
  symbol: string;
  /** Interval, e.g. `1m`. */
  interval: string;
  /** Open time, Unix ms. */
  openTime: number;
  /** Close time, Unix ms. */
  closeTime: number;
  /** Open price as a decimal string. */
  open: string;
  /** High price as a decimal string. */
  high: string;
  /** Low price as a decimal string. */
  low: string;
  /** Close price as a decimal string. */
  close: string;
  /** Base volume as a decimal string. */
  volume: string;
}

/** Converts a boundary kline to the engine's numeric candle. */
export function toCandle(k: KlineData): Candle {
  return {
    openTime: k.openTime,
    closeTime: k.closeTime,
    open: Number(k.open),
    high: Number(k.high),
    low: Number(k.low),
    close: Number(k.close),
    volume: Number(k.volume),
  };
}

/** Binance spot intervals and their length in ms (1M taken as 30 days for spacing checks). */
export const INTERVAL_MS: Readonly<Record<string, number>> = {
  "1s": 1_000,
  "1m": 60_000,
  "3m": 180_000,
  "5m": 300_000,
  "15m": 900_000,
  "30m": 1_800_000,
  "1h": 3_600_000,
  "2h": 7_200_000,
  "4h": 14_400_000,
  "6h": 21_600_000,
  "8h": 28_800_000,
  "12h": 43_200_000,
  "1d": 86_400_000,
  "3d": 259_200_000,
  "1w": 604_800_000,
  "1M": 2_592_000_000,
};

/** The valid Binance kline intervals (1m … 1M, plus 1s). */
export const INTERVALS = Object.keys(INTERVAL_MS) as readonly string[];
