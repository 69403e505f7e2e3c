/**
 * Runs the strategy stage in a Deno Web Worker (workers/strategy.ts) and
 * serves it from the main thread: the bus over the worker bridge, database
 * statements, and the ingest stage's stream holds. Looks like an in-process
 * {@link StrategyStage} to the engine host.
 *
 * @module
 */

import { serveBus } from "../adapters/bus/worker_bridge.ts";
import type { Db } from "../db/port.ts";
import type { Bus } from "../engine/ports/bus.ts";
import { Caller, dbMethods, serveCalls } from "./_thread.ts";
import type {
  StrategyStage,
  StrategyStageHealth,
  StrategyWorkerInit,
  StreamHolder,
} from "./strategy.ts";

/** What the worker needs from the main thread. */
export interface StrategyWorkerDeps {
  /** The pipeline bus (served to the worker). */
  bus: Bus;
  /** The database (statements run here). */
  db: Db;
  /** The ingest stage. */
  streams?: StreamHolder | undefined;
  /** History source and validation settings. */
  init: Omit<StrategyWorkerInit, "dbKind">;
}

/**
 * Starts the worker and resolves once every active strategy has started.
 *
 * @example
 * ```ts
 * const stage = await startStrategyWorker({ bus, db, streams: ingest, init: { restUrl, jumpThresholdPercent: 20 } });
 * ```
 */
export async function startStrategyWorker(deps: StrategyWorkerDeps): Promise<StrategyStage> {
  const worker = new Worker(new URL("./strategy.ts", import.meta.url).href, { type: "module" });
  const host = serveBus(deps.bus, worker);
  let health: StrategyStageHealth = {
    ok: false,
    strategies: 0,
    pairs: 0,
    candles: 0,
    signals: 0,
    lastKlineAt: null,
    pendingWrites: 0,
  };
  const stopServing = serveCalls(worker, {
    ...dbMethods(deps.db),
    "streams.hold": (symbol: string, interval: string) => deps.streams?.hold(symbol, interval),
    "streams.release": (symbol: string, interval: string) =>
      deps.streams?.release(symbol, interval),
    "stage.progress": (latest: StrategyStageHealth | undefined) => {
      if (latest) health = latest;
    },
  });
  const caller = new Caller(worker);
  const shutdown = async () => {
    caller.dispose();
    stopServing();
    worker.terminate();
    await host.close();
  };
  try {
    health = await caller.call<StrategyStageHealth>(
      "stage.start",
      {
        ...deps.init,
        dbKind: deps.db.kind,
      } satisfies StrategyWorkerInit,
    );
  } catch (error) {
    await shutdown();
    throw error;
  }
  let stopped = false;
  return {
    async refresh(strategyId) {
      const latest = await caller.call<StrategyStageHealth | undefined>(
        "stage.refresh",
        strategyId,
      );
      if (latest) health = latest;
    },
    health: () => ({ ...health, ok: health.ok && !stopped }),
    async stop() {
      if (stopped) return;
      stopped = true;
      await caller.call("stage.stop").catch(() => {});
      await shutdown();
    },
  };
}
