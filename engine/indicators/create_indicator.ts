/**
 * Builds a streaming indicator from its plain description.
 *
 * @module
 */

import { AuraError } from "../errors.ts";
import { Ema } from "./ema.ts";
import { Macd } from "./macd.ts";
import { Rsi } from "./rsi.ts";
import { Sma } from "./sma.ts";
import type { IndicatorSpec, StreamingIndicator } from "./types.ts";

/**
 * Creates the indicator a spec describes; throws STRATEGY_001 for an unknown
 * indicator or out-of-range periods.
 *
 * @example
 * ```ts
 * const rsi = createIndicator({ indicator: "RSI", period: 14 });
 * const macd = createIndicator({ indicator: "MACD", fast: 12, slow: 26, signal: 9 });
 * ```
 */
export function createIndicator(spec: IndicatorSpec): StreamingIndicator {
  switch (spec.indicator) {
    case "SMA":
      return new Sma(spec.period);
    case "EMA":
      return new Ema(spec.period);
    case "RSI":
      return new Rsi(spec.period);
    case "MACD":
      return new Macd(spec.fast, spec.slow, spec.signal);
    default:
      throw new AuraError(
        "STRATEGY_001",
        `Cannot create indicator "${(spec as { indicator?: unknown }).indicator}": ` +
          `expected one of "SMA", "EMA", "RSI", "MACD"`,
      );
  }
}
