/**
 * Time enters the engine only through a {@link Clock}, so the same code runs
 * live, in backtests and in tests.
 *
 * @module
 */

/** A source of the current time in Unix milliseconds. */
export interface Clock {
  /** Current time in Unix milliseconds. */
  now(): number;
  /**
   * Current time in Unix milliseconds with a sub-millisecond fraction, for
   * latency traces (a pipeline hop takes well under a millisecond). Clocks
   * without one are read with {@link preciseNow} through `now()`.
   */
  precise?(): number;
}

/** The wall clock (the only place allowed to call `Date.now()`). */
export const systemClock: Clock = {
  now: () => Date.now(),
  // timeOrigin + now() is one wall-clock timeline across a process's workers.
  precise: () => performance.timeOrigin + performance.now(),
};

/** The clock's precise time when it has one, else its `now()`. */
export function preciseNow(clock: Clock): number {
  return clock.precise ? clock.precise() : clock.now();
}

/** A clock that only moves when told to; for tests and replays. */
export class ManualClock implements Clock {
  #now: number;
  /** Starts at `start` ms. */
  constructor(start = 0) {
    this.#now = start;
  }
  /** The current manual time. */
  now(): number {
    return this.#now;
  }
  /** Sets the time (ms). */
  set(ms: number): void {
    this.#now = ms;
  }
  /** Moves the time forward by `ms`. */
  advance(ms: number): void {
    this.#now += ms;
  }
}
