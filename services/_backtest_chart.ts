/**
 * The data behind a backtest's chart: candles, indicator lines and trade
 * markers, merged into at most `maxPoints` bars. Private to services/backtests.ts.
 *
 * @module
 */
import type { Candle } from "../engine/candle.ts";
import { ema, macd, rsi, sma } from "../engine/indicators/mod.ts";
import type { Condition, IndicatorOperand, StrategyDefinition } from "../engine/strategy/rules.ts";
import { indicatorKey } from "../engine/strategy/evaluate.ts";

/** A trade as stored with a backtest result. */
export interface StoredTrade {
  /** Close time of the entry candle. */
  entryTime: number;
  /** Entry fill price (decimal string). */
  entryPrice: string;
  /** Close time of the exit candle. */
  exitTime: number;
  /** Exit fill price (decimal string). */
  exitPrice: string;
  /** How it closed. */
  status: string;
}

/** One chart bar. */
export interface ChartBar {
  /** Open time of the bar's first candle, Unix ms. */
  time: number;
  /** Open. */
  open: number;
  /** Highest high. */
  high: number;
  /** Lowest low. */
  low: number;
  /** Last close. */
  close: number;
}

/** What GET /backtests/:id/candles answers. */
export interface BacktestChart {
  /** Symbol. */
  symbol: string;
  /** Candle interval of the replay. */
  interval: string;
  /** Candles replayed. */
  candles: number;
  /** Candles merged per bar (1 = not downsampled). */
  candlesPerBar: number;
  /** The bars. */
  bars: ChartBar[];
  /** Indicator lines aligned to `bars` (null during warm-up), keyed like `RSI:14`, `MACD:12:26:9.signal`. */
  indicators: Record<string, (number | null)[]>;
  /** Entry and exit markers, at the bar holding the fill. */
  markers: { time: number; kind: "entry" | "exit"; price: string; status?: string }[];
}

function operandsOf(conditions: readonly Condition[], out: Map<string, IndicatorOperand>): void {
  for (const c of conditions) {
    if ("any" in c) {
      operandsOf(c.any, out);
      continue;
    }
    for (const o of [c.left, c.right]) {
      if ("indicator" in o && o.indicator !== "PRICE") out.set(indicatorKey(o), o);
    }
  }
}

function seriesOf(o: IndicatorOperand, closes: Float64Array): Record<string, Float64Array> {
  switch (o.indicator) {
    case "SMA":
      return { [indicatorKey(o)]: sma(closes, o.period) };
    case "EMA":
      return { [indicatorKey(o)]: ema(closes, o.period) };
    case "RSI":
      return { [indicatorKey(o)]: rsi(closes, o.period) };
    case "MACD": {
      const m = macd(closes, o.fast, o.slow, o.signal);
      const k = indicatorKey(o);
      return { [`${k}.macd`]: m.macd, [`${k}.signal`]: m.signal, [`${k}.histogram`]: m.histogram };
    }
    default:
      return {};
  }
}

/** Builds the chart of `candles` replayed by `definition` with `trades`. */
export function buildChart(
  definition: StrategyDefinition,
  candles: readonly Candle[],
  trades: readonly StoredTrade[],
  maxPoints: number,
): BacktestChart {
  const n = candles.length;
  const per = Math.max(1, Math.ceil(n / Math.max(1, maxPoints)));
  const closes = Float64Array.from(candles, (c) => c.close);
  const operands = new Map<string, IndicatorOperand>();
  operandsOf(definition.entryConditions, operands);
  operandsOf(definition.exitConditions, operands);
  const full: Record<string, Float64Array> = {};
  for (const o of operands.values()) Object.assign(full, seriesOf(o, closes));

  const bars: ChartBar[] = [];
  const indicators: Record<string, (number | null)[]> = {};
  for (const key of Object.keys(full)) indicators[key] = [];
  for (let i = 0; i < n; i += per) {
    const last = Math.min(n, i + per) - 1;
    const first = candles[i]!;
    let high = first.high, low = first.low;
    for (let j = i + 1; j <= last; j++) {
      if (candles[j]!.high > high) high = candles[j]!.high;
      if (candles[j]!.low < low) low = candles[j]!.low;
    }
    bars.push({ time: first.openTime, open: first.open, high, low, close: candles[last]!.close });
    for (const [key, values] of Object.entries(full)) {
      const v = values[last]!;
      indicators[key]!.push(Number.isFinite(v) ? v : null);
    }
  }

  // Fills happen at a candle's close time; find the bar whose candles cover it.
  const barAt = (t: number): number | null => {
    let lo = 0, hi = n - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (candles[mid]!.openTime <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? null : bars[Math.floor(found / per)]!.time;
  };
  const markers: BacktestChart["markers"] = [];
  for (const t of trades) {
    const entry = barAt(t.entryTime);
    if (entry !== null) markers.push({ time: entry, kind: "entry", price: t.entryPrice });
    const exit = barAt(t.exitTime);
    if (exit !== null) {
      markers.push({ time: exit, kind: "exit", price: t.exitPrice, status: t.status });
    }
  }
  return {
    symbol: definition.symbol,
    interval: definition.interval,
    candles: n,
    candlesPerBar: per,
    bars,
    indicators,
    markers,
  };
}
