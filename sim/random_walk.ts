/**
 * A seeded random-walk market for `deno task sim` without `--data`: endless,
 * reproducible candles with prices on the symbol's tick grid.
 *
 * @module
 */

import { INTERVAL_MS } from "../engine/candle.ts";
import { decimalPlaces } from "../engine/orders/decimal.ts";
import { SeededRandom } from "./faults.ts";
import type { SimCandle } from "./market.ts";
import { rulesFor } from "./symbols.ts";

/** Options of {@link randomWalk}. */
export interface RandomWalkOptions {
  /** Symbol (sets the tick size). */
  symbol: string;
  /** Kline interval, e.g. `1m`. */
  interval: string;
  /** First open price. */
  startPrice: number;
  /** Open time of the first candle, ms (aligned down to the interval). */
  startTime: number;
  /** Seed of the walk. */
  seed: number;
  /** Standard deviation of one candle's return (default 0.002). */
  volatility?: number;
}

/** Endless candles of a seeded random walk. */
export function* randomWalk(opts: RandomWalkOptions): Generator<SimCandle> {
  const random = new SeededRandom(opts.seed);
  const step = INTERVAL_MS[opts.interval] ?? 60_000;
  const decimals = decimalPlaces(rulesFor(opts.symbol).tickSize);
  const sigma = (opts.volatility ?? 0.002) / 2;
  const normal = () => {
    // Box-Muller; 1 - u keeps the logarithm finite.
    const u = 1 - random.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
  };
  let price = opts.startPrice;
  let openTime = Math.floor(opts.startTime / step) * step;
  for (;;) {
    const path = [price];
    for (let i = 0; i < 4; i++) path.push(path[path.length - 1]! * Math.exp(sigma * normal()));
    const close = path[path.length - 1]!;
    yield {
      openTime,
      closeTime: openTime + step - 1,
      open: price.toFixed(decimals),
      high: Math.max(...path).toFixed(decimals),
      low: Math.min(...path).toFixed(decimals),
      close: close.toFixed(decimals),
      volume: (random.next() * 50 + 1).toFixed(5),
    };
    price = Number(close.toFixed(decimals));
    openTime += step;
  }
}
