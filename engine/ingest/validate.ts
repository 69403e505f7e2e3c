/**
 * Data validation of closed klines before any strategy sees them: malformed
 * numbers, impossible ranges, inconsistent times and price jumps beyond a
 * threshold. A flagged candle is logged and withheld, never fed silently.
 *
 * @module
 */

import { INTERVAL_MS, type KlineData } from "../candle.ts";
import { isDecimalString } from "../orders/decimal.ts";

/** Why a candle was refused. */
export type AnomalyKind =
  | "invalid_value"
  | "high_below_low"
  | "outside_range"
  | "bad_times"
  | "price_jump";

/** A refused candle and the reason, for the WARN log and the health figures. */
export interface KlineAnomaly {
  /** What is wrong. */
  readonly kind: AnomalyKind;
  /** One line naming the values, e.g. `high "9" is below low "10"`. */
  readonly detail: string;
}

/**
 * Checks one closed kline on its own and against the previous accepted one of
 * the same stream; returns null when it is sound.
 *
 * A price jump compares this close with the previous close: more than
 * `jumpThresholdPercent` percent either way is flagged.
 *
 * @example
 * ```ts
 * const anomaly = klineAnomaly(kline, previous, 20);
 * if (anomaly) log.warn("Kline withheld", { ...anomaly });
 * ```
 */
export function klineAnomaly(
  kline: KlineData,
  previous: KlineData | null,
  jumpThresholdPercent: number,
): KlineAnomaly | null {
  const fields = ["open", "high", "low", "close", "volume"] as const;
  for (const field of fields) {
    const raw = kline[field];
    const value = Number(raw);
    const positive = field === "volume" ? value >= 0 : value > 0;
    if (!isDecimalString(raw) || !Number.isFinite(value) || !positive) {
      return { kind: "invalid_value", detail: `${field} "${raw}" is not a positive decimal` };
    }
  }
  const open = Number(kline.open), high = Number(kline.high);
  const low = Number(kline.low), close = Number(kline.close);
  if (high < low) {
    return { kind: "high_below_low", detail: `high "${kline.high}" is below low "${kline.low}"` };
  }
  if (open > high || open < low || close > high || close < low) {
    return {
      kind: "outside_range",
      detail:
        `open "${kline.open}" or close "${kline.close}" is outside [${kline.low}, ${kline.high}]`,
    };
  }
  const step = INTERVAL_MS[kline.interval];
  const spansInterval = step === undefined || kline.interval === "1M" ||
    (kline.openTime % step === 0 && kline.closeTime === kline.openTime + step - 1);
  if (!Number.isSafeInteger(kline.openTime) || kline.openTime < 0 || !spansInterval) {
    return {
      kind: "bad_times",
      detail:
        `open time ${kline.openTime} and close time ${kline.closeTime} do not span one ${kline.interval} interval`,
    };
  }
  if (previous !== null) {
    const before = Number(previous.close);
    const changePercent = Math.abs(close - before) / before * 100;
    if (changePercent > jumpThresholdPercent) {
      return {
        kind: "price_jump",
        detail:
          `close "${kline.close}" moved ${changePercent.toFixed(2)}% from "${previous.close}" ` +
          `(threshold ${jumpThresholdPercent}%)`,
      };
    }
  }
  return null;
}
