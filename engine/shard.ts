/**
 * Engine shards: several engine processes share one Redis bus and split the
 * work. Shard `index` of `count` evaluates the strategies whose id ≡ index
 * (mod count) and executes for the users whose id ≡ index (mod count), so a
 * user's account has exactly one writer (balance checks, paper book, OCOs)
 * however their strategies are spread. Every shard consumes every event in
 * consumer groups of its own and drops what it does not own.
 *
 * @module
 */

/** This process's share of the work. */
export interface Shard {
  /** 0-based index, below `count`. */
  index: number;
  /** Number of engine processes. */
  count: number;
}

/** The whole work (one engine process). */
export const SOLE_SHARD: Shard = { index: 0, count: 1 };

/**
 * Parses AURA_ENGINE_SHARD ("index/count"); the index must be below the count.
 *
 * @example
 * ```ts
 * shardOf("1/3"); // { index: 1, count: 3 }
 * ```
 */
export function shardOf(value: string): Shard {
  const [index, count] = value.split("/").map(Number) as [number, number];
  if (!(Number.isInteger(index) && Number.isInteger(count) && index >= 0 && index < count)) {
    throw new Error(`AURA_ENGINE_SHARD "${value}": the index must be below the count`);
  }
  return { index, count };
}

/** True when `id` (a strategy's or a user's) belongs to the shard. */
export function owns(shard: Shard, id: number): boolean {
  return id % shard.count === shard.index;
}

/** The suffix of the shard's consumer groups: "" for a sole shard, else "-1of3". */
export function groupSuffix(shard: Shard): string {
  return shard.count === 1 ? "" : `-${shard.index}of${shard.count}`;
}
