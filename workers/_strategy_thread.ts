/**
 * Runs the strategy stage in a Deno Web Worker (workers/strategy.ts) and
 * serves it from the main thread: the bus over the worker bridge, database
 * statements, and the ingest stage's stream holds. Looks like an in-process
 * {@link StrategyStage} to the engine host.
 *
 * @module
 */

import type { Db } from "../db/port.ts";
import type { Bus } from "../engine/ports/bus.ts";
import { StageThread } from "./_stage_thread.ts";
import { dbMethods } from "./_thread.ts";
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
  const thread = new StageThread<StrategyStageHealth>({
    url: new URL("./strategy.ts", import.meta.url),
    name: "strategy-worker",
    bus: deps.bus,
    health: {
      ok: false,
      strategies: 0,
      pairs: 0,
      candles: 0,
      signals: 0,
      lastKlineAt: null,
      pendingWrites: 0,
    },
    methods: {
      ...dbMethods(deps.db),
      "streams.hold": (symbol: string, interval: string) => deps.streams?.hold(symbol, interval),
      "streams.release": (symbol: string, interval: string) =>
        deps.streams?.release(symbol, interval),
    },
  });
  await thread.start({ ...deps.init, dbKind: deps.db.kind } satisfies StrategyWorkerInit);
  return {
    async refresh(strategyId) {
      thread.update(
        await thread.caller.call<StrategyStageHealth | undefined>("stage.refresh", strategyId),
      );
    },
    async resync() {
      thread.update(await thread.caller.call<StrategyStageHealth | undefined>("stage.resync"));
    },
    health: () => thread.health(),
    stop: () => thread.stop(),
  };
}
