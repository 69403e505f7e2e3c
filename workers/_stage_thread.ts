/**
 * The main thread's side of a stage running in a Deno Web Worker: the bus
 * served over the worker bridge, the worker's calls answered (its persisted
 * log entries and health reports, plus the stage's own methods), its
 * uncaught errors logged and shown in its health, and one start/stop path.
 * workers/_ingest_thread.ts, _strategy_thread.ts and _execution_thread.ts
 * are each a few lines on top of it.
 *
 * @module
 */

import { serveBus } from "../adapters/bus/worker_bridge.ts";
import type { LogEntry } from "../db/logs.ts";
import type { Bus } from "../engine/ports/bus.ts";
import { createLogger, persistLogEntries } from "../logger.ts";
import { Caller, type Methods, serveCalls } from "./_thread.ts";

/** How to run one stage's worker. */
export interface StageThreadOptions<H> {
  /** The worker module. */
  url: URL;
  /** Logger service name for the worker's failures. */
  name: string;
  /** The pipeline bus (served to the worker). */
  bus: Bus;
  /** Health until the worker's first report. */
  health: H;
  /** The stage's own methods the worker calls (database, streams, …). */
  methods?: Methods;
  /** Other messages from the worker (e.g. live prices). */
  onMessage?: (data: unknown) => void;
  /** Runs after the worker is terminated (e.g. abandon its open transactions). */
  onClosed?: () => Promise<void>;
}

/**
 * A stage in its worker.
 *
 * @example
 * ```ts
 * const thread = new StageThread({ url, name: "ingest", bus, health: initialHealth });
 * await thread.start(init);
 * thread.health(); // the worker's latest report, ok only while it runs
 * await thread.stop();
 * ```
 */
export class StageThread<H extends { ok: boolean }> {
  /** Calls the worker's methods. */
  readonly caller: Caller;
  readonly #worker: Worker;
  readonly #host: { close(): Promise<void> };
  readonly #stopServing: () => void;
  readonly #onError: (event: ErrorEvent) => void;
  readonly #onMessage: ((event: MessageEvent) => void) | null;
  readonly #onClosed: (() => Promise<void>) | undefined;
  #health: H;
  #failed = false;
  #stopped = false;

  /** Spawns the worker and serves it; nothing runs until {@link start}. */
  constructor(options: StageThreadOptions<H>) {
    const log = createLogger(options.name);
    this.#health = options.health;
    this.#onClosed = options.onClosed;
    this.#worker = new Worker(options.url.href, { type: "module" });
    this.#host = serveBus(options.bus, this.#worker);
    this.#stopServing = serveCalls(this.#worker, {
      ...options.methods,
      "logs.persist": (entries: LogEntry[]) => persistLogEntries(entries),
      "stage.progress": (latest: H | undefined) => this.update(latest),
    });
    const onMessage = options.onMessage;
    this.#onMessage = onMessage ? ({ data }: MessageEvent) => onMessage(data) : null;
    if (this.#onMessage) this.#worker.addEventListener("message", this.#onMessage);
    this.#onError = (event: ErrorEvent) => {
      event.preventDefault();
      this.#failed = true;
      log.error("Stage worker failed", { error: event.message });
    };
    this.#worker.addEventListener("error", this.#onError);
    this.caller = new Caller(this.#worker);
  }

  /** Calls the worker's `stage.start` with `init`; on failure the worker is closed and the error thrown. */
  async start(init: unknown): Promise<void> {
    try {
      this.update(await this.caller.call<H>("stage.start", init));
    } catch (error) {
      await this.#shutdown();
      throw error;
    }
  }

  /** Takes a health report (ignored when absent). */
  update(latest: H | undefined): void {
    if (latest) this.#health = latest;
  }

  /** The latest report; `ok` only while the worker runs and has not failed. */
  health(): H {
    return { ...this.#health, ok: this.#health.ok && !this.#stopped && !this.#failed };
  }

  /** Asks the stage to stop, then closes the worker; idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.caller.call("stage.stop").catch(() => {});
    await this.#shutdown();
  }

  async #shutdown(): Promise<void> {
    this.caller.dispose();
    this.#stopServing();
    if (this.#onMessage) this.#worker.removeEventListener("message", this.#onMessage);
    this.#worker.removeEventListener("error", this.#onError);
    this.#worker.terminate();
    await this.#onClosed?.();
    await this.#host.close();
  }
}
