/**
 * Restores publish order for the KV bus. Deno KV's queue hands out messages
 * in no particular order (bursts arrive shuffled by 10–20 ms), so each copy
 * carries a link to the previous copy its publisher sent to the same group;
 * a copy is released once its predecessor was, or after `gapTimeoutMs` when
 * the predecessor went elsewhere (another process, a restart).
 *
 * @module
 */

/** Where a copy sits in its publisher's chain for one group. */
export interface ChainLink {
  /** Publisher id. */
  readonly from: string;
  /** Publisher's sequence number of this copy. */
  readonly seq: number;
  /** Sequence number of the previous copy to the same group, -1 for the first. */
  readonly prev: number;
}

interface Held<T> {
  readonly item: T;
  readonly link: ChainLink;
  readonly heldSince: number;
}

/** Holds out-of-order items until their predecessors were released. */
export class ChainReorderer<T> {
  readonly #gapTimeoutMs: number;
  #held: Held<T>[] = [];
  readonly #released = new Map<string, number>();

  /** Creates an empty reorderer. */
  constructor(gapTimeoutMs: number) {
    this.#gapTimeoutMs = gapTimeoutMs;
  }

  /** Adds an item that arrived at `now`; returns the items released, in order. */
  add(item: T, link: ChainLink, now: number): T[] {
    this.#held.push({ item, link, heldSince: now });
    this.#held.sort((a, b) =>
      a.link.from < b.link.from ? -1 : a.link.from > b.link.from ? 1 : a.link.seq - b.link.seq
    );
    return this.release(now);
  }

  /** Releases what is due at `now` (successors of released items, timed-out gaps). */
  release(now: number): T[] {
    const out: T[] = [];
    for (let progress = true; progress;) {
      progress = false;
      for (let i = 0; i < this.#held.length; i++) {
        const { item, link, heldSince } = this.#held[i]!;
        // Only the lowest held copy of each publisher may go next.
        if (i > 0 && this.#held[i - 1]!.link.from === link.from) continue;
        const last = this.#released.get(link.from);
        const due = link.prev === -1 || link.prev === last ||
          (last !== undefined && link.seq <= last) || now - heldSince >= this.#gapTimeoutMs;
        if (!due) continue;
        this.#held.splice(i, 1);
        this.#released.set(link.from, Math.max(link.seq, last ?? -1));
        out.push(item);
        progress = true;
        break;
      }
    }
    return out;
  }

  /** When the oldest held item times out (ms timestamp), or null when nothing is held. */
  nextDeadline(): number | null {
    if (this.#held.length === 0) return null;
    return Math.min(...this.#held.map((h) => h.heldSince)) + this.#gapTimeoutMs;
  }

  /** Removes and returns every held item (oldest first). */
  drain(): T[] {
    const items = this.#held.map((h) => h.item);
    this.#held = [];
    return items;
  }
}
