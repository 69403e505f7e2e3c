/**
 * How AURA talks to an exchange that fails: every call goes through
 * {@link ExchangeResilience.run}, which
 *
 * - refuses at once while the circuit breaker is open (N consecutive
 *   temporary failures open it; after a cool-down one trial call half-opens it);
 * - waits out a 429's Retry-After and retries; after a 418 (IP ban) it stops
 *   calling until the ban ends and surfaces API_003;
 * - reads `X-MBX-USED-WEIGHT-1M` from every answer and pauses until the next
 *   minute when the weight nears the limit;
 * - on -1021 resynchronises the clock offset and retries once;
 * - retries temporary failures (timeouts, 5xx, -1001, -1007, network) with
 *   exponential backoff and full jitter — but for an order it first asks the
 *   exchange for the order by its client id, and only resends when the
 *   exchange has never seen it, so a market order is never sent twice.
 *
 * Time comes from the Clock; waiting goes through an injectable `sleep`.
 *
 * @module
 */

import type { Clock } from "../../engine/clock.ts";
import { AuraError } from "../../engine/errors.ts";
import {
  classifyExchangeError,
  type ExchangeFailure,
  headerValue,
  type ResponseInfo,
} from "./errors.ts";

/** Tuning of {@link ExchangeResilience}; every field has a production default. */
export interface ResilienceOptions {
  /** Source of time. */
  clock: Clock;
  /** Waits `ms`; default a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Uniform [0, 1) for jitter; default Math.random. */
  random?: () => number;
  /** Attempts per call for temporary failures (default 4). */
  maxAttempts?: number;
  /** First backoff, ms (default 250). */
  baseDelayMs?: number;
  /** Backoff ceiling, ms (default 8,000). */
  maxDelayMs?: number;
  /** Consecutive temporary failures that open the breaker (default 5). */
  breakerThreshold?: number;
  /** How long the breaker stays open before a trial call, ms (default 30,000). */
  breakerCooldownMs?: number;
  /** Request weight allowed per minute (Binance spot: 6,000). */
  weightLimit?: number;
  /** Share of the weight limit at which calls pause until the next minute (default 0.9). */
  weightThreshold?: number;
  /** Longest wait accepted for a rate limit before giving up with API_003, ms (default 60,000). */
  maxWaitMs?: number;
  /** Retry-After assumed when a 429/418 has none, ms (default 1,000 / 60,000). */
  defaultRetryAfterMs?: number;
}

/** What a call may do besides being retried. */
export interface RunOptions<T> {
  /** For orders: finds the order by client id (null when the exchange never saw it). */
  recover?: () => Promise<T | null>;
  /** Resynchronises the clock offset after -1021. */
  resync?: () => Promise<void>;
  /** The HTTP status and headers of the last answer (for Retry-After and weight). */
  lastResponse?: () => ResponseInfo | undefined;
  /**
   * Which circuit breaker guards the call (default `"reads"`). Orders get
   * their own (`"orders"`): Binance's matching engine can fail while market
   * data and queries still answer, and those successes must not hide it.
   */
  circuit?: string;
}

/** Breaker state, for health pages and tests. */
export type BreakerState = "closed" | "open" | "half_open";

/**
 * Marks an order error whose outcome is unknown (the order may have executed):
 * the caller must reconcile by client id later, never resend blindly.
 */
function outcomeUnknown(error: AuraError): AuraError {
  return new AuraError(
    error.code,
    `${error.message}; the order may have executed, reconcile by client id`,
    { ...(error.details as object | undefined), outcomeUnknown: true },
  );
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retries, circuit breaker and weight tracking for one exchange connection. */
export class ExchangeResilience {
  readonly #o: Required<Omit<ResilienceOptions, "clock">> & { clock: Clock };
  readonly #breakers = new Map<string, CircuitBreaker>();
  #blockedUntil = 0;
  #usedWeight = 0;

  /** Uses `options.clock` for every time decision. */
  constructor(options: ResilienceOptions) {
    this.#o = {
      sleep: defaultSleep,
      random: Math.random,
      maxAttempts: 4,
      baseDelayMs: 250,
      maxDelayMs: 8_000,
      breakerThreshold: 5,
      breakerCooldownMs: 30_000,
      weightLimit: 6_000,
      weightThreshold: 0.9,
      maxWaitMs: 60_000,
      defaultRetryAfterMs: 1_000,
      ...options,
    };
  }

  /** The state of one circuit (`"orders"` or `"reads"`) now. */
  breakerState(circuit = "orders"): BreakerState {
    return this.#breaker(circuit).state;
  }

  /** The last request weight the exchange reported. */
  get usedWeight(): number {
    return this.#usedWeight;
  }

  /** Records an answer's headers: request weight used this minute. */
  observe(response: ResponseInfo | undefined): void {
    const weight = Number(
      headerValue(response?.headers, "x-mbx-used-weight-1m") ??
        headerValue(response?.headers, "x-mbx-used-weight"),
    );
    if (!Number.isFinite(weight)) return;
    this.#usedWeight = weight;
    if (weight >= this.#o.weightLimit * this.#o.weightThreshold) {
      const minute = 60_000;
      this.#blockedUntil = Math.max(
        this.#blockedUntil,
        Math.ceil((this.#o.clock.now() + 1) / minute) * minute,
      );
    }
  }

  /** Runs `call` under the policy in the module doc; `action` names it in errors ("place OCO for \"BTCUSDT\""). */
  async run<T>(action: string, call: () => Promise<T>, options: RunOptions<T> = {}): Promise<T> {
    let attempt = 0;
    let resynced = false;
    let mustRecover = false;
    const breaker = this.#breaker(options.circuit ?? "reads");
    while (true) {
      try {
        breaker.enter(action);
      } catch (error) {
        throw mustRecover ? outcomeUnknown(error as AuraError) : error;
      }
      await this.#waitForLimits(action);
      try {
        if (mustRecover && options.recover) {
          const found = await options.recover();
          // A successful lookup proves reads work, not that orders do: it
          // neither closes the breaker nor uses up a half-open trial.
          this.observe(options.lastResponse?.());
          breaker.releaseTrial();
          if (found !== null) return found;
          mustRecover = false; // the exchange never saw it: sending again is safe
          continue;
        }
        const result = await call();
        this.observe(options.lastResponse?.());
        breaker.succeeded();
        return result;
      } catch (error) {
        const failure = classifyExchangeError(error, action, options.lastResponse?.());
        this.observe(options.lastResponse?.());
        breaker.releaseTrial();
        if (failure.kind === "rate_limited" || failure.kind === "banned") {
          this.#block(failure);
          if (failure.kind === "banned" || ++attempt >= this.#o.maxAttempts) throw failure.error;
          continue;
        }
        if (failure.kind === "clock_skew" && options.resync && !resynced) {
          resynced = true;
          await options.resync();
          continue;
        }
        if (failure.kind !== "temporary") {
          breaker.succeeded(); // the exchange answered: it is up
          throw failure.error;
        }
        breaker.failed();
        if (options.recover) mustRecover = true;
        if (++attempt >= this.#o.maxAttempts) {
          throw options.recover ? outcomeUnknown(failure.error) : failure.error;
        }
        await this.#o.sleep(this.#backoff(attempt));
      }
    }
  }

  /** Exponential backoff with full jitter: random in [0, min(max, base × 2^(n-1))]. */
  #backoff(attempt: number): number {
    const ceiling = Math.min(this.#o.maxDelayMs, this.#o.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(this.#o.random() * ceiling);
  }

  #breaker(circuit: string): CircuitBreaker {
    let breaker = this.#breakers.get(circuit);
    if (!breaker) {
      breaker = new CircuitBreaker(
        this.#o.clock,
        this.#o.breakerThreshold,
        this.#o.breakerCooldownMs,
      );
      this.#breakers.set(circuit, breaker);
    }
    return breaker;
  }

  #block(failure: ExchangeFailure): void {
    const fallback = failure.kind === "banned" ? 60_000 : this.#o.defaultRetryAfterMs;
    this.#blockedUntil = Math.max(
      this.#blockedUntil,
      this.#o.clock.now() + (failure.retryAfterMs ?? fallback),
    );
  }

  async #waitForLimits(action: string): Promise<void> {
    const wait = this.#blockedUntil - this.#o.clock.now();
    if (wait <= 0) return;
    if (wait > this.#o.maxWaitMs) {
      throw new AuraError(
        "API_003",
        `Cannot ${action}: exchange rate limit or ban in force for ${Math.ceil(wait / 1000)} s`,
        {
          retryInMs: wait,
        },
      );
    }
    await this.#o.sleep(wait);
  }
}

/**
 * Opens after `threshold` consecutive failures; after `cooldownMs` lets one
 * trial call through (half-open): success closes it, failure re-opens it.
 */
export class CircuitBreaker {
  readonly #clock: Clock;
  readonly #threshold: number;
  readonly #cooldownMs: number;
  #failures = 0;
  #openedAt: number | undefined;
  #trialInFlight = false;

  /** A closed breaker. */
  constructor(clock: Clock, threshold: number, cooldownMs: number) {
    this.#clock = clock;
    this.#threshold = threshold;
    this.#cooldownMs = cooldownMs;
  }

  /** The state now. */
  get state(): BreakerState {
    if (this.#openedAt === undefined) return "closed";
    return this.#clock.now() - this.#openedAt >= this.#cooldownMs ? "half_open" : "open";
  }

  /** Lets a call through or throws TRADE_004 while open (or while the half-open trial runs). */
  enter(action: string): void {
    const state = this.state;
    if (state === "closed") return;
    if (state === "half_open" && !this.#trialInFlight) {
      this.#trialInFlight = true;
      return;
    }
    const retryIn = Math.max(0, this.#openedAt! + this.#cooldownMs - this.#clock.now());
    throw new AuraError(
      "TRADE_004",
      `Cannot ${action}: exchange circuit is open after ${this.#failures} consecutive failures, next trial in ${
        Math.ceil(retryIn / 1000)
      } s`,
      { breaker: state, retryInMs: retryIn },
    );
  }

  /** The call went through: close. */
  succeeded(): void {
    this.#failures = 0;
    this.#openedAt = undefined;
    this.#trialInFlight = false;
  }

  /** The call failed temporarily: count it; open at the threshold, re-open after a failed trial. */
  failed(): void {
    this.#failures++;
    this.#trialInFlight = false;
    if (this.#openedAt !== undefined || this.#failures >= this.#threshold) {
      this.#openedAt = this.#clock.now();
    }
  }

  /** The call ended without a verdict on health (a lookup, a rate limit): free the trial slot. */
  releaseTrial(): void {
    this.#trialInFlight = false;
  }
}
