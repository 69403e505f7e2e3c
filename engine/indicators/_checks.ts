/**
 * Parameter, input and snapshot checks shared by the indicator classes. They
 * sit outside the hot paths: `update` only calls {@link notFinite} once a
 * value has already failed its one-comparison test.
 *
 * @module
 */

import { AuraError } from "../errors.ts";
import type { IndicatorName, IndicatorSnapshot, SnapshotValue } from "./types.ts";

/** TA-Lib's upper bound for every period parameter. */
export const MAX_PERIOD = 100_000;

/** Returns `value` if it is an integer in `[min, MAX_PERIOD]`, else throws STRATEGY_001. */
export function checkPeriod(label: string, name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min || value > MAX_PERIOD) {
    throw new AuraError(
      "STRATEGY_001",
      `Cannot create ${label}: ${name} "${value}" must be an integer from ${min} to ${MAX_PERIOD}`,
      { indicator: label, parameter: name, value },
    );
  }
  return value;
}

/** The error for a NaN or infinite input: one would poison every later value silently. */
export function notFinite(label: string, value: number): AuraError {
  return new AuraError(
    "STRATEGY_002",
    `Cannot update ${label}: value "${value}" is not a finite number`,
    { indicator: label, value: String(value) },
  );
}

/** The error for a snapshot that cannot be resumed (SYS_002: the cache holds something else). */
export function cacheError(label: string, why: string): AuraError {
  return new AuraError("SYS_002", `Cannot restore ${label} from snapshot: ${why}`);
}

/**
 * Checks that `s` was written by `indicator` with exactly `params` and returns
 * its state; a cached snapshot from other settings must never be resumed.
 */
export function openSnapshot(
  label: string,
  indicator: IndicatorName,
  params: Readonly<Record<string, number>>,
  s: IndicatorSnapshot,
): Readonly<Record<string, SnapshotValue>> {
  if (typeof s !== "object" || s === null || s.indicator !== indicator) {
    throw cacheError(label, `it belongs to "${(s as { indicator?: unknown })?.indicator}"`);
  }
  for (const [key, value] of Object.entries(params)) {
    if (s.params?.[key] !== value) {
      throw cacheError(label, `${key} "${s.params?.[key]}" differs from "${value}"`);
    }
  }
  if (!Number.isInteger(s.count) || s.count < 0) {
    throw cacheError(label, `count "${s.count}" is not a non-negative integer`);
  }
  if (typeof s.state !== "object" || s.state === null) {
    throw cacheError(label, "state is missing");
  }
  return s.state;
}

/** Reads one finite number from a snapshot state. */
export function readNumber(
  label: string,
  state: Readonly<Record<string, SnapshotValue>>,
  key: string,
): number {
  const value = state[key];
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw cacheError(label, `state.${key} "${value}" is not a finite number`);
  }
  return value;
}

/** Reads an integer in `[0, max]` from a snapshot state. */
export function readInteger(
  label: string,
  state: Readonly<Record<string, SnapshotValue>>,
  key: string,
  max: number,
): number {
  const value = readNumber(label, state, key);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw cacheError(label, `state.${key} "${value}" is not an integer from 0 to ${max}`);
  }
  return value;
}

/** Reads an array of `length` finite numbers from a snapshot state. */
export function readNumbers(
  label: string,
  state: Readonly<Record<string, SnapshotValue>>,
  key: string,
  length: number,
): readonly number[] {
  const value = state[key];
  if (
    !Array.isArray(value) || value.length !== length ||
    !value.every((x) => typeof x === "number" && Number.isFinite(x))
  ) {
    throw cacheError(label, `state.${key} is not an array of ${length} finite numbers`);
  }
  return value;
}

/** Reads a nested snapshot (MACD keeps one per inner EMA). */
export function readNested(
  label: string,
  state: Readonly<Record<string, SnapshotValue>>,
  key: string,
): IndicatorSnapshot {
  const value = state[key];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw cacheError(label, `state.${key} is not a snapshot`);
  }
  return value as IndicatorSnapshot;
}
