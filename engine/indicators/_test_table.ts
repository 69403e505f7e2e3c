/**
 * The 10-close table shared by the hand-computed indicator tests.
 *
 * @module
 */

import assert from "node:assert/strict";

/** Ten closes with rises, falls and a repeat, small enough to compute by hand. */
export const CLOSES: readonly number[] = [10, 11, 12, 11, 10, 12, 14, 13, 15, 16];

/** Asserts `actual` equals `expected` (NaN where null) within 1e-12 relative. */
export function assertSeries(
  actual: ArrayLike<number>,
  expected: readonly (number | null)[],
): void {
  assert.equal(actual.length, expected.length);
  expected.forEach((want, i) => {
    const got = actual[i]!;
    if (want === null) assert.ok(Number.isNaN(got), `index ${i}: expected NaN, got ${got}`);
    else assert.ok(Math.abs(got - want) <= 1e-12 * Math.abs(want), `index ${i}: ${got} != ${want}`);
  });
}
