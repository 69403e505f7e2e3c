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
}

/** The wall clock (the only place allowed to call `Date.now()`). */
export const systemClock: Clock = { now: () => Date.now() };

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
