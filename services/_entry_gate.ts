/**
 * The entry gate: what the execution stage knows, in memory, about each
 * strategy's state between two pieces of its work — so an ENTRY signal can
 * be decided without a database round trip.
 *
 * Why this is sound: the execution stage is the only writer of a strategy's
 * trades and intents (one engine shard per user), and it writes them only
 * inside the strategy's lane or the user's exclusive work (services/_lanes.ts).
 * So the strategy's context read from the database after its last piece of
 * work is still true when the next one starts, unless someone else changed
 * the strategy or the user's account (the API: activation, edits, trading
 * mode, keys), which is announced on the bus ("control") and drops the
 * context, and is also caught by a periodic re-read.
 *
 * Rules, per strategy:
 * - any work starting in its lane (or the user's exclusive work) drops its
 *   context; when the work ends, the context is read again in the background
 *   (batched), and kept only if no work started and nothing was dropped
 *   since the read was asked for;
 * - {@link EntryGate.take} hands out a context only for an ENTRY whose candle
 *   is newer than every ENTRY intent the strategy had when it was read
 *   (`lastEntryCandle`) and every ENTRY this process has seen since: a
 *   redelivered or replayed signal always goes the slow way, where the
 *   database tells whether its intent exists;
 * - a strategy the gate does not know (first signal after a start) goes the
 *   slow way too, which primes it.
 *
 * @module
 */

import type { SignalContext } from "../db/order_intents.ts";
import { createLogger } from "../logger.ts";

const log = createLogger("entry-gate");

/** Strategies read back in one statement at most. */
export const READ_BATCH = 25;

/** A strategy's state as the gate keeps it: the signal context without the signal's own intent. */
export type StrategyContext = Omit<SignalContext, "ownIntentStatus">;

/** Reads the current context of strategies (one batched statement). */
export type ContextReader = (
  refs: readonly { userId: number; strategyId: number }[],
) => Promise<(StrategyContext | null)[]>;

interface Entry {
  readonly userId: number;
  /** Bumped by every start of work and every drop. */
  gen: number;
  /** Pieces of work running now. */
  running: number;
  context: StrategyContext | null;
  /** When `context` was read (monotonic ms). */
  readAt: number;
  /** Candle close time of the newest ENTRY signal seen, -1 when none. */
  entrySeenUpTo: number;
}

/** Options of {@link EntryGate}. */
export interface EntryGateOptions {
  /** Reads contexts from the database. */
  read: ContextReader;
  /** A context older than this is not used (ms, default 5 minutes); see {@link EntryGate.refreshAll}. */
  maxAgeMs?: number;
  /** Monotonic time, ms (default performance.now). */
  now?: () => number;
}

/** Counters for health and benches. */
export interface EntryGateStats {
  /** Entries decided from memory. */
  hits: number;
  /** Entries that went the slow way. */
  misses: number;
  /** Strategies known. */
  strategies: number;
}

/**
 * The in-memory entry gate (see the module doc).
 *
 * @example
 * ```ts
 * const gate = new EntryGate({ read: (refs) => readContexts(db, refs) });
 * const context = gate.take(userId, strategyId, signal.candleCloseTime); // null: ask the database
 * gate.prime(userId, strategyId, contextFromDb); // after the slow way
 * gate.end(userId, strategyId); // the lane's work finished: re-read in the background
 * ```
 */
export class EntryGate {
  readonly #read: ContextReader;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<number, Entry>();
  readonly #exclusive = new Map<number, number>();
  readonly #queued = new Map<number, number>();
  #flushScheduled = false;
  #inFlight: Promise<void> = Promise.resolve();
  #closed = false;
  readonly #stats = { hits: 0, misses: 0 };

  /** Creates an empty gate. */
  constructor(options: EntryGateOptions) {
    this.#read = options.read;
    this.#maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Hits, misses and size. */
  get stats(): EntryGateStats {
    return { ...this.#stats, strategies: this.#entries.size };
  }

  /**
   * Starts a piece of the strategy's work for an ENTRY signal of candle
   * `candleCloseTime`: returns the context to decide it with, or null when
   * the database must be asked (unknown, stale, being re-read, or the signal
   * is not newer than every ENTRY seen). Either way the context is dropped
   * (the work may change it); call {@link end} when the work is done.
   */
  take(userId: number, strategyId: number, candleCloseTime: number): StrategyContext | null {
    const entry = this.#entry(userId, strategyId);
    const fresh = entry.context !== null && entry.running === 0 &&
      !this.#exclusive.has(userId) && candleCloseTime > entry.entrySeenUpTo &&
      candleCloseTime > (entry.context.lastEntryCandle ?? -1) &&
      this.#now() - entry.readAt <= this.#maxAgeMs;
    const context = fresh ? entry.context : null;
    if (candleCloseTime > entry.entrySeenUpTo) entry.entrySeenUpTo = candleCloseTime;
    this.#begin(entry);
    if (context) this.#stats.hits++;
    else this.#stats.misses++;
    return context;
  }

  /** Starts a piece of the strategy's work that is not an ENTRY decision (drops its context). */
  begin(userId: number, strategyId: number): void {
    this.#begin(this.#entry(userId, strategyId));
  }

  /**
   * Ends a piece of the strategy's work (after its writes are committed):
   * once none is running, its context is read again in the background.
   */
  end(userId: number, strategyId: number): void {
    const entry = this.#entries.get(strategyId);
    if (!entry || entry.userId !== userId) return;
    entry.running = Math.max(0, entry.running - 1);
    if (entry.running === 0) this.#refresh(strategyId, entry);
  }

  /** Starts the user's exclusive work (reconciliation): every context of the user is dropped. */
  beginExclusive(userId: number): void {
    this.#exclusive.set(userId, (this.#exclusive.get(userId) ?? 0) + 1);
    for (const entry of this.#entries.values()) {
      if (entry.userId === userId) this.#drop(entry);
    }
  }

  /** Ends the user's exclusive work: the user's contexts are read again. */
  endExclusive(userId: number): void {
    const left = (this.#exclusive.get(userId) ?? 1) - 1;
    if (left > 0) return void this.#exclusive.set(userId, left);
    this.#exclusive.delete(userId);
    for (const [id, entry] of this.#entries) {
      if (entry.userId === userId && entry.running === 0) this.#refresh(id, entry);
    }
  }

  /** Someone else changed the strategy: drop its context and read it again. */
  invalidateStrategy(strategyId: number): void {
    const entry = this.#entries.get(strategyId);
    if (!entry) return;
    this.#drop(entry);
    if (entry.running === 0) this.#refresh(strategyId, entry);
  }

  /** Someone else changed the user's account or strategies: drop and re-read them all. */
  invalidateUser(userId: number): void {
    for (const [id, entry] of this.#entries) {
      if (entry.userId !== userId) continue;
      this.#drop(entry);
      if (entry.running === 0) this.#refresh(id, entry);
    }
  }

  /**
   * Reads every idle strategy's context again (the periodic safety net for
   * a change whose announcement was lost); resolves when the reads landed.
   */
  refreshAll(): Promise<void> {
    for (const [id, entry] of this.#entries) {
      if (entry.running === 0 && !this.#exclusive.has(entry.userId)) this.#refresh(id, entry);
    }
    return this.settled();
  }

  /** Resolves once the reads asked for so far have landed. */
  async settled(): Promise<void> {
    while (this.#flushScheduled || this.#queued.size > 0) {
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await this.#inFlight;
  }

  /** Stops reading; contexts are no longer handed out. */
  close(): void {
    this.#closed = true;
    this.#entries.clear();
  }

  #entry(userId: number, strategyId: number): Entry {
    let entry = this.#entries.get(strategyId);
    if (!entry || entry.userId !== userId) {
      entry = {
        userId,
        gen: 0,
        running: 0,
        context: null,
        readAt: 0,
        entrySeenUpTo: entry?.entrySeenUpTo ?? -1,
      };
      if (!this.#closed) this.#entries.set(strategyId, entry);
    }
    return entry;
  }

  #begin(entry: Entry): void {
    entry.running++;
    this.#drop(entry);
  }

  #drop(entry: Entry): void {
    entry.gen++;
    entry.context = null;
  }

  #refresh(strategyId: number, entry: Entry): void {
    if (this.#closed) return;
    this.#queued.set(strategyId, entry.gen);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // Work that ends in the same turn (a candle's entries) is read in one statement.
    setTimeout(() => this.#flush(), 0);
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#closed || this.#queued.size === 0) return void this.#queued.clear();
    const asked = [...this.#queued];
    this.#queued.clear();
    // In statements of READ_BATCH strategies, one after another: a periodic re-read of every
    // strategy never holds the database (the embedded one serves the whole process) for long.
    for (let i = 0; i < asked.length; i += READ_BATCH) {
      const chunk = asked.slice(i, i + READ_BATCH);
      this.#inFlight = this.#inFlight.then(() => this.#readBack(chunk));
    }
  }

  async #readBack(asked: [number, number][]): Promise<void> {
    const refs = asked.flatMap(([strategyId]) => {
      const entry = this.#entries.get(strategyId);
      return entry ? [{ userId: entry.userId, strategyId }] : [];
    });
    if (refs.length === 0 || this.#closed) return;
    const readAt = this.#now();
    let contexts: (StrategyContext | null)[];
    try {
      contexts = await this.#read(refs);
    } catch (error) {
      // Nothing is kept: those strategies' next entries ask the database.
      return log.warn("Could not read strategy contexts", { error: String(error) });
    }
    const gens = new Map(asked);
    refs.forEach((ref, i) => {
      const entry = this.#entries.get(ref.strategyId);
      const context = contexts[i];
      if (!entry || entry.gen !== gens.get(ref.strategyId) || entry.running > 0) return;
      if (this.#exclusive.has(entry.userId) || !context?.found) return;
      entry.context = context;
      entry.readAt = readAt;
    });
  }
}
