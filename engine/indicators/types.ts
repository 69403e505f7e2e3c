/**
 * The one contract every streaming indicator fulfils, and the plain-JSON
 * shapes used to describe and cache indicators.
 *
 * @module
 */

/** Names of the indicators AURA computes. */
export type IndicatorName = "SMA" | "EMA" | "RSI" | "MACD";

/**
 * A value inside a snapshot: numbers (never NaN or Infinity, so the snapshot
 * survives `JSON.stringify`), number arrays, or nested snapshots (MACD keeps
 * one per inner EMA).
 */
export type SnapshotValue = number | readonly number[] | IndicatorSnapshot;

/**
 * Plain-JSON image of an indicator's internal state. It round-trips through
 * `JSON.stringify`/`JSON.parse` exactly, because every number in it is finite
 * and JSON writes the shortest representation that reads back bit-identical.
 */
export interface IndicatorSnapshot {
  /** Which indicator wrote it. */
  readonly indicator: IndicatorName;
  /** Its parameters, e.g. `{ period: 14 }`; restore refuses a mismatch. */
  readonly params: Readonly<Record<string, number>>;
  /** Number of values fed. */
  readonly count: number;
  /** Indicator-specific state. */
  readonly state: Readonly<Record<string, SnapshotValue>>;
}

/**
 * An incremental indicator: O(1) work and no allocation per value, with
 * TA-Lib's warm-up (lookback) and values.
 *
 * @example
 * ```ts
 * const ema = new Ema(3);
 * ema.update(1); ema.update(2); // NaN, NaN: warming up
 * ema.update(3);                // 2 (the SMA seed)
 * ema.replace(6);               // 3: the open candle moved, recomputed
 * ```
 */
export interface StreamingIndicator {
  /** Feeds the next closed value; returns the current result (NaN while warming up). */
  update(value: number): number;
  /** Replaces the last fed value (the still-open candle) and returns the recomputed result; if nothing was fed yet, acts as update. */
  replace(value: number): number;
  /** Current value, NaN while warming up. */
  readonly value: number;
  /** True once the value is defined (warm-up done). */
  readonly isStable: boolean;
  /** Number of values fed. */
  readonly count: number;
  /** Back to the freshly-constructed state. */
  reset(): void;
  /** Number of inputs consumed before the first defined value (TA-Lib lookback): SMA/EMA n-1, RSI n, MACD(12,26,9) 33. */
  readonly lookback: number;
  /** Plain-JSON snapshot of the internal state (used to cache indicator state across restarts). */
  snapshot(): IndicatorSnapshot;
  /** Restores a state written by {@link snapshot} of an indicator with the same parameters. */
  restore(s: IndicatorSnapshot): void;
}

/** Describes one indicator, as strategies name them. */
export type IndicatorSpec =
  | { readonly indicator: "SMA" | "EMA" | "RSI"; readonly period: number }
  | {
    readonly indicator: "MACD";
    readonly fast: number;
    readonly slow: number;
    readonly signal: number;
  };
