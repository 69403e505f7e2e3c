/**
 * Fault injection: the ways real Binance misbehaves, switched on by tests and
 * by `deno task sim` flags. All randomness comes from the simulator's seeded
 * generator so a faulty run can be replayed.
 *
 * @module
 */

/** The knobs a test turns; see {@link Faults}. */
export interface FaultSettings {
  /** Added delay before every REST answer, ms. */
  latencyMs: number;
  /** Share (0..1) of order requests that execute and then answer 5xx. */
  failAfterExecuteRate: number;
  /** Share (0..1) of order requests that answer 5xx without executing. */
  failBeforeRate: number;
  /** The next N REST requests answer 429 with Retry-After. */
  rateLimitBurst: number;
  /** The next N REST requests answer 418 (IP ban). */
  banBurst: number;
  /** Server clock offset, ms (positive: the server runs ahead). */
  clockSkewMs: number;
}

/** A small seeded PRNG (mulberry32); `next()` is uniform in [0, 1). */
export class SeededRandom {
  #state: number;
  /** Starts the sequence at `seed`. */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** The next number in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** What a fault check decided for one request. */
export type FaultVerdict = "ok" | "ban" | "rate-limit" | "fail-before" | "fail-after";

/** The live fault settings plus the decisions they lead to. */
export class Faults implements FaultSettings {
  /** @inheritdoc */
  latencyMs = 0;
  /** @inheritdoc */
  failAfterExecuteRate = 0;
  /** @inheritdoc */
  failBeforeRate = 0;
  /** @inheritdoc */
  rateLimitBurst = 0;
  /** @inheritdoc */
  banBurst = 0;
  /** @inheritdoc */
  clockSkewMs = 0;
  readonly #random: SeededRandom;
  readonly #dropWebSockets: () => void;

  /** `dropWebSockets` is the server's hook that closes every open socket. */
  constructor(random: SeededRandom, dropWebSockets: () => void) {
    this.#random = random;
    this.#dropWebSockets = dropWebSockets;
  }

  /** Closes every open WebSocket (market streams and the WebSocket API) at once. */
  dropWebSockets(): void {
    this.#dropWebSockets();
  }

  /** Decides the fate of one REST request; bursts are consumed here. */
  verdict(isOrderRequest: boolean): FaultVerdict {
    if (this.banBurst > 0) {
      this.banBurst--;
      return "ban";
    }
    if (this.rateLimitBurst > 0) {
      this.rateLimitBurst--;
      return "rate-limit";
    }
    if (!isOrderRequest) return "ok";
    if (this.failBeforeRate > 0 && this.#random.next() < this.failBeforeRate) return "fail-before";
    if (this.failAfterExecuteRate > 0 && this.#random.next() < this.failAfterExecuteRate) {
      return "fail-after";
    }
    return "ok";
  }
}
