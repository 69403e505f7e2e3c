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

import { serveBus } from "../adapters/bus/worker_bridge.ts";
import type { LogEntry } from "../db/logs.ts";
import type { ExecutionContext, ExternalStage } from "../engine_host.ts";
import { createLogger, persistLogEntries } from "../logger.ts";
import { Caller, serveCalls, serveDb } from "./_thread.ts";
import type { ExecutionHealth, ExecutionWorkerInit } from "./execution.ts";

const log = createLogger("execution-worker");

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
  const worker = new Worker(new URL("./execution.ts", import.meta.url).href, { type: "module" });
  const host = serveBus(bus, worker);
  // A Postgres server is reached from the worker itself; PGlite exists once, here.
  const remoteDb = db.kind === "pglite" || !config.DATABASE_URL;
  const served = remoteDb ? serveDb(db) : null;
  let health: ExecutionHealth = { ok: false, signals: 0, lastReconcileAt: null };
  let failed = false;
  const stopServing = serveCalls(worker, {
    ...(served?.methods ?? {}),
    "logs.persist": (entries: LogEntry[]) => persistLogEntries(entries),
    "stage.progress": (latest: ExecutionHealth | undefined) => {
      if (latest) health = latest;
    },
  });
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    failed = true;
    log.error("Execution worker failed", { error: event.message });
  };
  worker.addEventListener("error", onError);
  const caller = new Caller(worker);
  const shutdown = async () => {
    caller.dispose();
    stopServing();
    worker.removeEventListener("error", onError);
    worker.terminate();
    await served?.abandon();
    await host.close();
  };
  try {
    health = await caller.call<ExecutionHealth>(
      "stage.start",
      {
        config,
        dbKind: db.kind,
        remoteDb,
        ...(options.reconcileIntervalMs
          ? { reconcileIntervalMs: options.reconcileIntervalMs }
          : {}),
      } satisfies ExecutionWorkerInit,
    );
  } catch (error) {
    await shutdown();
    throw error;
  }
  let stopped = false;
  return {
    async reconcileNow() {
      const latest = await caller.call<ExecutionHealth | undefined>("stage.reconcile");
      if (latest) health = latest;
    },
    health: () => ({ ...health, ok: health.ok && !stopped && !failed }),
    async stop() {
      if (stopped) return;
      stopped = true;
      await caller.call("stage.stop").catch(() => {});
      await shutdown();
    },
  };
}
