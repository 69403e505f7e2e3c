/**
 * Drawdown maths and the drawdown circuit breaker, shared by the backtester
 * and the live execution worker so both halt a strategy at the same point.
 *
 * @module
 */

/** A plain-JSON image of a {@link DrawdownBreaker}, for restarts. */
export interface DrawdownBreakerSnapshot {
  /** Highest equity seen. */
  peak: number;
  /** Whether the breaker has tripped. */
  halted: boolean;
}

/**
 * Trips (for good, until {@link DrawdownBreaker.reset}) once equity falls
 * `maxDrawdownPercent` or more below its running peak. A tripped strategy opens
 * no new positions; open ones keep their take-profit/stop-loss.
 *
 * @example
 * ```ts
 * const breaker = new DrawdownBreaker(10);
 * breaker.update(10_000); // false
 * breaker.update(8_900);  // true: 11% below the peak
 * ```
 */
export class DrawdownBreaker {
  /** Drawdown in percent (0–100] at which the breaker trips. */
  readonly maxDrawdownPercent: number;
  #peak = 0;
  #last = 0;
  // Equity below which the exact percentage is worth computing: a hair above
  // the trip level, so the per-candle path is one comparison, no division.
  #checkBelow = -Infinity;
  #halted = false;

  /** Creates a breaker tripping at `maxDrawdownPercent` percent below the peak. */
  constructor(maxDrawdownPercent: number) {
    this.maxDrawdownPercent = maxDrawdownPercent;
  }

  /** Feeds the current equity; returns true once the breaker has tripped. */
  update(equity: number): boolean {
    this.#last = equity;
    if (equity > this.#peak) {
      this.#peak = equity;
      this.#checkBelow = equity * (1 - this.maxDrawdownPercent / 100) * (1 + 1e-9);
    } else if (equity <= this.#checkBelow && this.drawdownPercent >= this.maxDrawdownPercent) {
      this.#halted = true;
    }
    return this.#halted;
  }

  /** True once the drawdown reached the limit. */
  get halted(): boolean {
    return this.#halted;
  }

  /** Highest equity fed so far. */
  get peak(): number {
    return this.#peak;
  }

  /** Drawdown of the last equity fed, in percent of the peak. */
  get drawdownPercent(): number {
    const peak = this.#peak;
    return peak > 0 ? ((peak - this.#last) / peak) * 100 : 0;
  }

  /** Clears the peak and the halt (an operator's decision, never automatic). */
  reset(): void {
    this.#peak = 0;
    this.#last = 0;
    this.#checkBelow = -Infinity;
    this.#halted = false;
  }

  /** Plain-JSON state. */
  snapshot(): DrawdownBreakerSnapshot {
    return { peak: this.#peak, halted: this.#halted };
  }

  /** Resumes from {@link snapshot}. */
  restore(s: DrawdownBreakerSnapshot): void {
    this.#peak = s.peak;
    this.#last = s.peak;
    this.#checkBelow = s.peak * (1 - this.maxDrawdownPercent / 100) * (1 + 1e-9);
    this.#halted = s.halted;
  }
}

/** Largest `(peak − equity) / peak` over the curve, in percent (0 for an empty curve). */
export function maxDrawdownPercent(equity: ArrayLike<number>): number {
  let peak = -Infinity;
  let trough = Infinity; // lowest equity since the current peak
  let worst = 0;
  for (let i = 0; i < equity.length; i++) {
    const e = equity[i]!;
    if (e > peak) {
      peak = trough = e;
    } else if (e < trough) {
      // Only a new low since the peak can deepen the drawdown: divide only then.
      trough = e;
      if (peak > 0) {
        const dd = (peak - e) / peak;
        if (dd > worst) worst = dd;
      }
    }
  }
  return worst * 100;
}
