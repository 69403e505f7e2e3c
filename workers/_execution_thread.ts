/**
 * Runs the execution stage in a Deno Web Worker (workers/execution.ts) and
 * serves it from the main thread: the bus over the worker bridge, the
 * database when it lives here (PGlite; with DATABASE_URL the worker opens its
 * own pool), and the worker's persisted log entries. Users' secrets are
 * decrypted inside the worker only. Looks like an in-process stage to the
 * engine host.
 *
 * @module
 */

import type { ExecutionContext, ExternalStage } from "../engine_host.ts";
import { StageThread } from "./_stage_thread.ts";
import { serveDb } from "./_thread.ts";
import type { ExecutionHealth, ExecutionWorkerInit } from "./execution.ts";

/** The execution stage in its worker. */
export interface ExecutionWorker extends ExternalStage {
  /** Runs one reconciliation now and resolves when it finished. */
  reconcileNow(): Promise<void>;
  /** @inheritdoc */
  health(): ExecutionHealth;
}

/** Options beyond the host's context. */
export interface ExecutionWorkerOptions {
  /** Reconciliation period, ms (default 30,000). */
  reconcileIntervalMs?: number;
}

/**
 * Starts the worker; resolves once its start-up reconciliation ran and it consumes signals.
 *
 * @example
 * ```ts
 * const execution = await startExecutionWorker({ bus, db, clock: systemClock, config });
 * ```
 */
export async function startExecutionWorker(
  context: ExecutionContext,
  options: ExecutionWorkerOptions = {},
): Promise<ExecutionWorker> {
  const { bus, db, config } = context;
  // A Postgres server is reached from the worker itself; PGlite exists once, here.
  const remoteDb = db.kind === "pglite" || !config.DATABASE_URL;
  const served = remoteDb ? serveDb(db) : null;
  const thread = new StageThread<ExecutionHealth>({
    url: new URL("./execution.ts", import.meta.url),
    name: "execution-worker",
    bus,
    health: { ok: false, signals: 0, lastReconcileAt: null },
    methods: served?.methods ?? {},
    ...(served ? { onClosed: () => served.abandon() } : {}),
  });
  await thread.start(
    {
      config,
      dbKind: db.kind,
      remoteDb,
      ...(options.reconcileIntervalMs ? { reconcileIntervalMs: options.reconcileIntervalMs } : {}),
    } satisfies ExecutionWorkerInit,
  );
  return {
    async reconcileNow() {
      thread.update(await thread.caller.call<ExecutionHealth | undefined>("stage.reconcile"));
    },
    health: () => thread.health(),
    stop: () => thread.stop(),
  };
}
