/**
 * The equity curve of a backtest: one point per candle, kept columnar so a
 * million candles cost 16 MB and no objects.
 *
 * @module
 */

/** Equity at each candle's close time. */
export interface EquityCurve {
  /** Candle close times, Unix ms. */
  time: Float64Array;
  /** Equity (cash + position marked at the close) in quote currency. */
  equity: Float64Array;
}

/** One point of a downsampled curve. */
export interface EquityPoint {
  /** Close time, Unix ms. */
  time: number;
  /** Equity in quote currency. */
  equity: number;
}

/**
 * At most `maxPoints` points of the curve for charts: evenly spaced, always
 * keeping the first and last point and, per bucket, the lowest equity (so a
 * chart never hides a drawdown).
 */
export function downsampleEquity(curve: EquityCurve, maxPoints: number): EquityPoint[] {
  const n = curve.time.length;
  if (n === 0) return [];
  if (n <= maxPoints || maxPoints < 3) {
    const all: EquityPoint[] = [];
    const step = n <= maxPoints ? 1 : Math.ceil(n / Math.max(1, maxPoints));
    for (let i = 0; i < n; i += step) all.push({ time: curve.time[i]!, equity: curve.equity[i]! });
    return all;
  }
  const out: EquityPoint[] = [{ time: curve.time[0]!, equity: curve.equity[0]! }];
  const buckets = maxPoints - 2;
  const size = (n - 2) / buckets;
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor(b * size);
    const to = Math.min(n - 1, 1 + Math.floor((b + 1) * size));
    let low = from;
    for (let i = from + 1; i < to; i++) if (curve.equity[i]! < curve.equity[low]!) low = i;
    out.push({ time: curve.time[low]!, equity: curve.equity[low]! });
  }
  out.push({ time: curve.time[n - 1]!, equity: curve.equity[n - 1]! });
  return out;
}
