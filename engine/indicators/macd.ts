/**
 * Moving average convergence/divergence, TA-Lib style.
 *
 * @module
 */

import {
  cacheError,
  checkPeriod,
  notFinite,
  openSnapshot,
  readNested,
  readNumber,
} from "./_checks.ts";
import { Ema } from "./ema.ts";
import type { IndicatorSnapshot, StreamingIndicator } from "./types.ts";

/**
 * Streaming MACD exactly as TA-Lib's `TA_MACD` (default compatibility):
 *
 * - the slow EMA is a TA-Lib EMA of every input; the fast EMA starts
 *   `slow - fast` inputs later, so its SMA seed is the mean of the `fast`
 *   inputs ending at index `slow - 1` and both lines start together there;
 * - the MACD line is `fast - slow` from index `slow - 1`; the signal line is a
 *   TA-Lib EMA(`signal`) of the MACD line (seeded with the mean of its first
 *   `signal` values); histogram = MACD - signal;
 * - all three outputs start at index `slow - 1 + signal - 1` (33 for 12/26/9);
 *   before that they are NaN, like TA-Lib, which outputs nothing there;
 * - if `slow < fast` the two are swapped, as TA-Lib does.
 *
 * `value` is the MACD line.
 *
 * @example
 * ```ts
 * const macd = new Macd(12, 26, 9);
 * for (const close of closes) macd.update(close);
 * if (macd.histogram > 0) console.log("bullish", macd.macd, macd.signal);
 * ```
 */
export class Macd implements StreamingIndicator {
  /** Fast EMA period (2 to 100000). */
  readonly fastPeriod: number;
  /** Slow EMA period (2 to 100000, at least `fastPeriod` after the swap). */
  readonly slowPeriod: number;
  /** Signal EMA period (1 to 100000). */
  readonly signalPeriod: number;
  /** `slow - 1 + signal - 1`: inputs consumed before the first value. */
  readonly lookback: number;
  private readonly fastEma: Ema;
  private readonly slowEma: Ema;
  private readonly signalEma: Ema;
  private readonly fastOffset: number; // inputs the fast EMA skips
  private n = 0;
  private line = 0; // latest MACD line value (defined from input slow - 1)

  /** Creates MACD(fast, slow, signal), e.g. `new Macd(12, 26, 9)`. */
  constructor(fast: number, slow: number, signal: number) {
    checkPeriod("MACD", "fast", fast, 2);
    checkPeriod("MACD", "slow", slow, 2);
    checkPeriod("MACD", "signal", signal, 1);
    if (slow < fast) [fast, slow] = [slow, fast];
    this.fastPeriod = fast;
    this.slowPeriod = slow;
    this.signalPeriod = signal;
    this.lookback = slow - 1 + signal - 1;
    this.fastOffset = slow - fast;
    this.fastEma = new Ema(fast);
    this.slowEma = new Ema(slow);
    this.signalEma = new Ema(signal);
  }

  /** Feeds the next closed value; returns the MACD line (NaN while warming up). */
  update(value: number): number {
    if (value - value !== 0) throw notFinite(this.label(), value);
    const n = this.n + 1;
    this.n = n;
    this.slowEma.update(value);
    if (n > this.fastOffset) this.fastEma.update(value);
    if (n >= this.slowPeriod) {
      const line = this.fastEma.value - this.slowEma.value;
      this.line = line;
      this.signalEma.update(line);
    }
    return n > this.lookback ? this.line : NaN;
  }

  /** Replaces the last fed value and returns the recomputed MACD line; acts as update when empty. */
  replace(value: number): number {
    const n = this.n;
    if (n === 0) return this.update(value);
    if (value - value !== 0) throw notFinite(this.label(), value);
    // Each inner EMA took the last input iff the same condition held then.
    this.slowEma.replace(value);
    if (n > this.fastOffset) this.fastEma.replace(value);
    if (n >= this.slowPeriod) {
      const line = this.fastEma.value - this.slowEma.value;
      this.line = line;
      this.signalEma.replace(line);
    }
    return n > this.lookback ? this.line : NaN;
  }

  /** The MACD line (fast EMA - slow EMA), NaN while warming up. */
  get macd(): number {
    return this.n > this.lookback ? this.line : NaN;
  }

  /** The signal line (EMA of the MACD line), NaN while warming up. */
  get signal(): number {
    return this.n > this.lookback ? this.signalEma.value : NaN;
  }

  /** MACD - signal, NaN while warming up. */
  get histogram(): number {
    return this.n > this.lookback ? this.line - this.signalEma.value : NaN;
  }

  /** Same as {@link macd}. */
  get value(): number {
    return this.macd;
  }

  /** True once `lookback + 1` values were fed. */
  get isStable(): boolean {
    return this.n > this.lookback;
  }

  /** Number of values fed. */
  get count(): number {
    return this.n;
  }

  /** Back to the freshly-constructed state. */
  reset(): void {
    this.n = 0;
    this.line = 0;
    this.fastEma.reset();
    this.slowEma.reset();
    this.signalEma.reset();
  }

  /** Plain-JSON image of the state (one nested snapshot per inner EMA). */
  snapshot(): IndicatorSnapshot {
    return {
      indicator: "MACD",
      params: { fast: this.fastPeriod, slow: this.slowPeriod, signal: this.signalPeriod },
      count: this.n,
      state: {
        line: this.line,
        fast: this.fastEma.snapshot(),
        slow: this.slowEma.snapshot(),
        signal: this.signalEma.snapshot(),
      },
    };
  }

  /** Resumes from a snapshot of a MACD with the same periods; throws SYS_002 otherwise. */
  restore(s: IndicatorSnapshot): void {
    const label = this.label();
    const params = { fast: this.fastPeriod, slow: this.slowPeriod, signal: this.signalPeriod };
    const state = openSnapshot(label, "MACD", params, s);
    const line = readNumber(label, state, "line");
    // Restore into scratch EMAs first so a bad snapshot leaves this MACD untouched.
    const fast = new Ema(this.fastPeriod);
    const slow = new Ema(this.slowPeriod);
    const signal = new Ema(this.signalPeriod);
    fast.restore(readNested(label, state, "fast"));
    slow.restore(readNested(label, state, "slow"));
    signal.restore(readNested(label, state, "signal"));
    const count = s.count;
    const expected = [
      count,
      Math.max(0, count - this.fastOffset),
      Math.max(0, count - slow.period + 1),
    ];
    if (slow.count !== expected[0] || fast.count !== expected[1] || signal.count !== expected[2]) {
      throw cacheError(
        label,
        `inner counts ${slow.count}/${fast.count}/${signal.count} (slow/fast/signal) ` +
          `do not fit count "${count}"`,
      );
    }
    this.fastEma.restore(fast.snapshot());
    this.slowEma.restore(slow.snapshot());
    this.signalEma.restore(signal.snapshot());
    this.n = count;
    this.line = line;
  }

  private label(): string {
    return `MACD(${this.fastPeriod},${this.slowPeriod},${this.signalPeriod})`;
  }
}
