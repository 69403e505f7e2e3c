/**
 * The strategy worker's fan-out index: strategies by (symbol, interval), so
 * a closed candle reaches only the strategies that trade it, in O(1).
 *
 * @module
 */

/** Key of a (symbol, interval) pair, e.g. `BTCUSDT|1m`. */
export function pairKey(symbol: string, interval: string): string {
  return `${symbol}|${interval}`;
}

const NONE: readonly never[] = Object.freeze([]);

/**
 * Values by id, grouped by (symbol, interval). Each group is a plain array
 * rebuilt on change: reads (every candle) vastly outnumber changes.
 *
 * @example
 * ```ts
 * const index = new FanoutIndex<LiveStrategy>();
 * index.set("42", "BTCUSDT", "1m", live);
 * for (const s of index.get("BTCUSDT", "1m")) s.onCandle(candle);
 * ```
 */
export class FanoutIndex<T> {
  readonly #byId = new Map<string, { key: string; value: T }>();
  readonly #groups = new Map<string, readonly T[]>();

  /** Adds or replaces the value of `id` under (symbol, interval). */
  set(id: string, symbol: string, interval: string, value: T): void {
    this.delete(id);
    const key = pairKey(symbol, interval);
    this.#byId.set(id, { key, value });
    this.#groups.set(key, [...(this.#groups.get(key) ?? NONE), value]);
  }

  /** Removes `id`; returns its value, or undefined when absent. */
  delete(id: string): T | undefined {
    const entry = this.#byId.get(id);
    if (!entry) return undefined;
    this.#byId.delete(id);
    const rest = (this.#groups.get(entry.key) ?? NONE).filter((v) => v !== entry.value);
    if (rest.length) this.#groups.set(entry.key, rest);
    else this.#groups.delete(entry.key);
    return entry.value;
  }

  /** The value of `id`. */
  byId(id: string): T | undefined {
    return this.#byId.get(id)?.value;
  }

  /** The values under (symbol, interval); an empty array when none. */
  get(symbol: string, interval: string): readonly T[] {
    return this.#groups.get(pairKey(symbol, interval)) ?? NONE;
  }

  /** Every value. */
  values(): T[] {
    return [...this.#byId.values()].map((e) => e.value);
  }

  /** Number of values. */
  get size(): number {
    return this.#byId.size;
  }

  /** Number of distinct (symbol, interval) pairs. */
  get pairs(): number {
    return this.#groups.size;
  }
}
