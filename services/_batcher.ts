/**
 * Group commit for the execution hot path: requests made while a batch is
 * being served are gathered and served together by the next one, so a
 * hundred signals of one candle cost two or three statements instead of
 * hundreds. Nothing waits on a timer: the first request of a quiet period is
 * served at once (after the current microtasks, which gathers what was asked
 * for in the same turn), and a burst settles into batches as large as the
 * database is slow. With `parallel` above 1 (a connection pool), that many
 * batches may be in flight at once, so a request arriving during a batch
 * does not wait for it.
 *
 * @module
 */

interface Waiting<I, O> {
  readonly item: I;
  readonly resolve: (value: O) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Serves items in batches: `run(items)` must return one result per item, in
 * the same order. A failing batch rejects each of its items.
 *
 * @example
 * ```ts
 * const contexts = new Batcher((signals) => loadSignalContexts(db, signals));
 * const context = await contexts.load(signal);
 * ```
 */
export class Batcher<I, O> {
  readonly #run: (items: I[]) => Promise<O[]>;
  readonly #maxBatch: number;
  readonly #parallel: number;
  #waiting: Waiting<I, O>[] = [];
  #running = 0;
  #scheduled = false;
  /** Sizes of the batches served so far (for benches), capped to the last 1,000. */
  readonly sizes: number[] = [];

  /**
   * Creates a batcher; batches hold at most `maxBatch` items (default 500)
   * and at most `parallel` run at once (default 1).
   */
  constructor(
    run: (items: I[]) => Promise<O[]>,
    options: { maxBatch?: number; parallel?: number } = {},
  ) {
    this.#run = run;
    this.#maxBatch = options.maxBatch ?? 500;
    this.#parallel = Math.max(1, options.parallel ?? 1);
  }

  /** Resolves with the item's result once its batch was served. */
  load(item: I): Promise<O> {
    const { promise, resolve, reject } = Promise.withResolvers<O>();
    this.#waiting.push({ item, resolve, reject });
    this.#schedule();
    return promise;
  }

  #schedule(): void {
    if (this.#scheduled || this.#running >= this.#parallel || this.#waiting.length === 0) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      void this.#serve();
    });
  }

  async #serve(): Promise<void> {
    if (this.#running >= this.#parallel || this.#waiting.length === 0) return;
    this.#running++;
    const batch = this.#waiting.splice(0, this.#maxBatch);
    this.sizes.push(batch.length);
    if (this.sizes.length > 1000) this.sizes.shift();
    try {
      const results = await this.#run(batch.map((w) => w.item));
      if (results.length !== batch.length) {
        throw new Error(`A batch of ${batch.length} returned ${results.length} results`);
      }
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (error) {
      for (const w of batch) w.reject(error);
    } finally {
      this.#running--;
      this.#schedule();
    }
  }
}
