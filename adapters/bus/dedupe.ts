/**
 * Idempotent consumers: the bus delivers at least once, so a handler may see
 * an event twice (a redelivery after a crash, a publisher that retried). A
 * {@link Deduper} remembers which ids were handled; {@link idempotent} wraps a
 * handler so that it runs once per id.
 *
 * @module
 */

import type { EventHandler } from "../../engine/ports/bus.ts";

/** Options of a {@link Deduper}. */
export interface DeduperOptions {
  /** Ids kept in memory, least recently seen dropped first (default 10,000). */
  capacity?: number;
  /**
   * Durable check for ids the memory has forgotten or never saw (e.g. a
   * `processed_events` table written in the handler's own transaction).
   */
  isProcessed?: (id: string) => Promise<boolean>;
}

/** A bounded LRU of processed ids with an optional durable fallback. */
export class Deduper {
  readonly #capacity: number;
  readonly #isProcessed?: (id: string) => Promise<boolean>;
  // A Map iterates in insertion order: re-inserting on a hit makes it an LRU.
  readonly #seen = new Map<string, true>();

  /** Creates an empty deduper. */
  constructor(options: DeduperOptions = {}) {
    this.#capacity = Math.max(1, options.capacity ?? 10_000);
    this.#isProcessed = options.isProcessed;
  }

  /** True when `id` was processed (memory first, then the durable check). */
  async has(id: string): Promise<boolean> {
    if (this.#seen.has(id)) {
      this.#seen.delete(id);
      this.#seen.set(id, true);
      return true;
    }
    if (this.#isProcessed && await this.#isProcessed(id)) {
      this.remember(id);
      return true;
    }
    return false;
  }

  /** Records `id` as processed. */
  remember(id: string): void {
    this.#seen.delete(id);
    this.#seen.set(id, true);
    if (this.#seen.size > this.#capacity) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
  }

  /** Ids held in memory. */
  get size(): number {
    return this.#seen.size;
  }
}

/**
 * Wraps `handler` so it runs at most once per event id (while the id is
 * remembered). An id is remembered only after the handler resolved, so a
 * failed event is still retried; a copy arriving while the first is being
 * handled waits for it and shares its outcome.
 *
 * @example
 * ```ts
 * await bus.subscribe("signals", "execution", idempotent(onSignal, new Deduper()));
 * ```
 */
export function idempotent(handler: EventHandler, deduper: Deduper): EventHandler {
  const inFlight = new Map<string, Promise<void>>();
  return (event, delivery) => {
    const running = inFlight.get(event.id);
    if (running) return running;
    // Registered before the first await, so a concurrent copy always finds it.
    const run = (async () => {
      try {
        if (await deduper.has(event.id)) return;
        await handler(event, delivery);
        deduper.remember(event.id);
      } finally {
        inFlight.delete(event.id);
      }
    })();
    inFlight.set(event.id, run);
    return run;
  };
}
