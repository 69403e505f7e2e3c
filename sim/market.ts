/**
 * The simulated market: last price per symbol and the candles pushed or
 * replayed, kept per symbol and interval for `/api/v3/klines`, in Binance's
 * kline shapes (REST arrays and the stream's `k` object).
 *
 * @module
 */

import {
  addDecimals,
  compareDecimals,
  divideDecimals,
  multiplyDecimals,
  subtractDecimals,
} from "../engine/orders/decimal.ts";
import { fixed8, fixedDecimals } from "./format.ts";

/** A candle as the simulator receives it: times in ms, prices as decimal strings. */
export interface SimCandle {
  /** Open time, Unix ms. */
  openTime: number;
  /** Close time, Unix ms (next open - 1). */
  closeTime: number;
  /** Open price. */
  open: string;
  /** High price. */
  high: string;
  /** Low price. */
  low: string;
  /** Close price. */
  close: string;
  /** Base volume. */
  volume: string;
}

/** A stored candle with the derived fields Binance reports. */
interface StoredCandle extends SimCandle {
  quoteVolume: string;
  trades: number;
  firstTradeId: number;
}

/** Binance's REST kline row. */
export type KlineRow = [
  number,
  string,
  string,
  string,
  string,
  string,
  number,
  string,
  number,
  string,
  string,
  string,
];

/** Binance's stream kline event (`e: "kline"`). */
export interface KlineEvent {
  e: "kline";
  E: number;
  s: string;
  k: {
    t: number;
    T: number;
    s: string;
    i: string;
    f: number;
    L: number;
    o: string;
    c: string;
    h: string;
    l: string;
    v: string;
    n: number;
    x: boolean;
    q: string;
    V: string;
    Q: string;
    B: string;
  };
}

/** Keeps at most this many candles per series so long replays stay bounded. */
const MAX_CANDLES_PER_SERIES = 200_000;

/** Last prices and candle history of every simulated symbol. */
export class Market {
  readonly #prices = new Map<string, string>();
  readonly #series = new Map<string, StoredCandle[]>();
  readonly #nextTradeId = new Map<string, number>();

  /** The last traded price of `symbol`, or undefined before any price is known. */
  lastPrice(symbol: string): string | undefined {
    return this.#prices.get(symbol);
  }

  /** Sets the last price of `symbol`. */
  setPrice(symbol: string, price: string): void {
    this.#prices.set(symbol, fixed8(price));
  }

  /** Stores a closed candle (replacing one with the same open time) and moves the price. */
  addCandle(symbol: string, interval: string, candle: SimCandle): KlineEvent {
    const key = `${symbol}|${interval}`;
    let series = this.#series.get(key);
    if (!series) this.#series.set(key, series = []);
    // Binance reports a trade count and trade ids; derive stable ones from the time.
    const trades = Number(candle.volume) === 0 ? 0 : 1 + Math.floor(candle.openTime / 60_000) % 997;
    const firstTradeId = this.#nextTradeId.get(symbol) ?? 1;
    this.#nextTradeId.set(symbol, firstTradeId + trades);
    const stored: StoredCandle = {
      openTime: candle.openTime,
      closeTime: candle.closeTime,
      open: fixed8(candle.open),
      high: fixed8(candle.high),
      low: fixed8(candle.low),
      close: fixed8(candle.close),
      volume: fixed8(candle.volume),
      quoteVolume: fixed8(multiplyDecimals(candle.volume, candle.close)),
      trades,
      firstTradeId,
    };
    const last = series[series.length - 1];
    if (last && last.openTime === stored.openTime) series[series.length - 1] = stored;
    else if (!last || last.openTime < stored.openTime) series.push(stored);
    else {
      const at = lowerBound(series, stored.openTime);
      if (series[at]?.openTime === stored.openTime) series[at] = stored;
      else series.splice(at, 0, stored);
    }
    if (series.length > MAX_CANDLES_PER_SERIES) {
      series.splice(0, series.length - MAX_CANDLES_PER_SERIES);
    }
    this.setPrice(symbol, candle.close);
    return klineEvent(symbol, interval, stored, true, candle.closeTime);
  }

  /**
   * Kline events with `x: false` for the candle still forming, as Binance
   * streams them before the close: `count` steps along the way from the open
   * to the close (never stored, never moving the price).
   */
  partialKlines(symbol: string, interval: string, candle: SimCandle, count: number): KlineEvent[] {
    const open = Number(candle.open);
    const close = Number(candle.close);
    const decimals = Math.max(decimalsOf(candle.open), decimalsOf(candle.close));
    const events: KlineEvent[] = [];
    for (let k = 1; k <= count; k++) {
      const last = (open + (close - open) * k / (count + 1)).toFixed(decimals);
      const share = k / (count + 1);
      const partial: StoredCandle = {
        openTime: candle.openTime,
        closeTime: candle.closeTime,
        open: fixed8(candle.open),
        high: fixed8(Math.max(open, Number(last)).toFixed(decimals)),
        low: fixed8(Math.min(open, Number(last)).toFixed(decimals)),
        close: fixed8(last),
        volume: fixed8((Number(candle.volume) * share).toFixed(8)),
        quoteVolume: fixed8((Number(candle.volume) * share * Number(last)).toFixed(8)),
        trades: 0,
        firstTradeId: this.#nextTradeId.get(symbol) ?? 1,
      };
      const at = candle.openTime + Math.floor((candle.closeTime - candle.openTime) * share);
      events.push(klineEvent(symbol, interval, partial, false, at));
    }
    return events;
  }

  /**
   * `/api/v3/ticker/24hr` for `symbol`: the 24 hours of candles before the
   * latest one pushed (replays run on their own clock, not the wall clock).
   */
  ticker24h(symbol: string, tickSize: string): Record<string, unknown> {
    let latest: StoredCandle[] = [];
    for (const [key, series] of this.#series) {
      if (!key.startsWith(`${symbol}|`) || series.length === 0) continue;
      if (
        latest.length === 0 ||
        series[series.length - 1]!.closeTime > latest[latest.length - 1]!.closeTime
      ) {
        latest = series;
      }
    }
    const last = this.lastPrice(symbol) ?? "0.00000000";
    const end = latest[latest.length - 1]?.closeTime ?? 0;
    const window = latest.slice(lowerBound(latest, end - 86_400_000 + 1));
    let high = last;
    let low = last;
    let volume = "0";
    let quoteVolume = "0";
    let count = 0;
    for (const c of window) {
      if (compareDecimals(c.high, high) > 0) high = c.high;
      if (compareDecimals(c.low, low) < 0) low = c.low;
      volume = addDecimals(volume, c.volume);
      quoteVolume = addDecimals(quoteVolume, c.quoteVolume);
      count += c.trades;
    }
    const open = window[0]?.open ?? last;
    const change = subtractDecimals(last, open);
    const isZero = compareDecimals(open, "0") === 0;
    const volumeZero = compareDecimals(volume, "0") === 0;
    return {
      symbol,
      priceChange: fixed8(change),
      priceChangePercent: isZero
        ? "0.000"
        : fixedDecimals(divideDecimals(multiplyDecimals(change, "100"), open, 3), 3),
      weightedAvgPrice: fixed8(volumeZero ? last : divideDecimals(quoteVolume, volume, 8)),
      prevClosePrice: fixed8(open),
      lastPrice: last,
      lastQty: "0.00000000",
      bidPrice: fixed8(subtractDecimals(last, tickSize)),
      bidQty: "1.00000000",
      askPrice: fixed8(addDecimals(last, tickSize)),
      askQty: "1.00000000",
      openPrice: fixed8(open),
      highPrice: fixed8(high),
      lowPrice: fixed8(low),
      volume: fixed8(volume),
      quoteVolume: fixed8(quoteVolume),
      openTime: window[0]?.openTime ?? 0,
      closeTime: end,
      firstId: window[0]?.firstTradeId ?? -1,
      lastId: count > 0 ? window[0]!.firstTradeId + count - 1 : -1,
      count,
    };
  }

  /**
   * Candles as `/api/v3/klines` answers: with `startTime` the first `limit`
   * from there, otherwise the last `limit` up to `endTime`.
   */
  klines(
    symbol: string,
    interval: string,
    opts: { startTime?: number; endTime?: number; limit: number },
  ): KlineRow[] {
    const series = this.#series.get(`${symbol}|${interval}`) ?? [];
    let from: number;
    let to: number;
    if (opts.startTime !== undefined) {
      from = lowerBound(series, opts.startTime);
      to = opts.endTime === undefined ? series.length : lowerBound(series, opts.endTime + 1);
      to = Math.min(to, from + opts.limit);
    } else {
      to = opts.endTime === undefined ? series.length : lowerBound(series, opts.endTime + 1);
      from = Math.max(0, to - opts.limit);
    }
    return series.slice(from, Math.max(from, to)).map(klineRow);
  }
}

function decimalsOf(value: string): number {
  return value.split(".")[1]?.replace(/0+$/, "").length ?? 0;
}

function lowerBound(series: StoredCandle[], openTime: number): number {
  let lo = 0;
  let hi = series.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (series[mid]!.openTime < openTime) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function takerBuy(value: string): string {
  return fixed8(divideDecimals(value, "2", 8));
}

function klineRow(c: StoredCandle): KlineRow {
  return [
    c.openTime,
    c.open,
    c.high,
    c.low,
    c.close,
    c.volume,
    c.closeTime,
    c.quoteVolume,
    c.trades,
    takerBuy(c.volume),
    takerBuy(c.quoteVolume),
    "0",
  ];
}

function klineEvent(
  symbol: string,
  interval: string,
  c: StoredCandle,
  closed: boolean,
  eventTime: number,
): KlineEvent {
  return {
    e: "kline",
    E: eventTime,
    s: symbol,
    k: {
      t: c.openTime,
      T: c.closeTime,
      s: symbol,
      i: interval,
      f: c.trades > 0 ? c.firstTradeId : -1,
      L: c.trades > 0 ? c.firstTradeId + c.trades - 1 : -1,
      o: c.open,
      c: c.close,
      h: c.high,
      l: c.low,
      v: c.volume,
      n: c.trades,
      x: closed,
      q: c.quoteVolume,
      V: takerBuy(c.volume),
      Q: takerBuy(c.quoteVolume),
      B: "0",
    },
  };
}
