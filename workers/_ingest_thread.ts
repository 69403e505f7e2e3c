/**
 * Runs the ingest stage in a Deno Web Worker (workers/ingest.ts): the kline
 * WebSocket, its REST gap backfill and candle validation run there, closed
 * candles reach the bus over the worker bridge, and live prices come back
 * here for the UI and the price cache. Looks like an in-process
 * {@link IngestStage} to the engine host.
 *
 * @module
 */

import { serveBus } from "../adapters/bus/worker_bridge.ts";
import type { LogEntry } from "../db/logs.ts";
import type { Bus } from "../engine/ports/bus.ts";
import { createLogger, persistLogEntries } from "../logger.ts";
import { Caller, serveCalls } from "./_thread.ts";
import type { IngestHealth, IngestStage, IngestWorkerInit } from "./ingest.ts";

const log = createLogger("ingest");

/** What the worker needs from the main thread. */
export interface IngestWorkerDeps {
  /** Where closed candles go (served to the worker). */
  bus: Bus;
  /** Told about each live price. */
  onPrice?: ((symbol: string, price: string, at: number) => void) | undefined;
  /** Stream settings. */
  init: IngestWorkerInit;
}

type PriceMessage = { kind: "aura:price"; symbol: string; price: string; at: number };

/**
 * Starts the worker (no connection until the first hold).
 *
 * @example
 * ```ts
 * const ingest = await startIngestWorker({ bus, init: { wsUrl, restUrl, jumpThresholdPercent: 20 } });
 * ingest.hold("BTCUSDT", "1m");
 * ```
 */
export async function startIngestWorker(deps: IngestWorkerDeps): Promise<IngestStage> {
  const worker = new Worker(new URL("./ingest.ts", import.meta.url).href, { type: "module" });
  const host = serveBus(deps.bus, worker);
  let health: IngestHealth = {
    ok: true,
    streams: [],
    stats: {
      connects: 0,
      published: 0,
      backfilled: 0,
      duplicates: 0,
      outOfOrder: 0,
      anomalies: 0,
      backfillFailures: 0,
    },
  };
  let failed = false;
  const stopServing = serveCalls(worker, {
    "logs.persist": (entries: LogEntry[]) => persistLogEntries(entries),
    "stage.progress": (latest: IngestHealth | undefined) => {
      if (latest) health = latest;
    },
  });
  const onPrice = ({ data }: MessageEvent) => {
    const message = data as PriceMessage;
    if (message?.kind === "aura:price") deps.onPrice?.(message.symbol, message.price, message.at);
  };
  worker.addEventListener("message", onPrice);
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    failed = true;
    log.error("Ingest worker failed", { error: event.message });
  };
  worker.addEventListener("error", onError);
  const caller = new Caller(worker);
  const shutdown = async () => {
    caller.dispose();
    stopServing();
    worker.removeEventListener("message", onPrice);
    worker.removeEventListener("error", onError);
    worker.terminate();
    await host.close();
  };
  try {
    health = await caller.call<IngestHealth>("stage.start", deps.init);
  } catch (error) {
    await shutdown();
    throw error;
  }
  let stopped = false;
  return {
    hold: (symbol, interval) => void caller.call("stage.hold", symbol, interval).catch(() => {}),
    release: (symbol, interval) =>
      void caller.call("stage.release", symbol, interval).catch(() => {}),
    health: () => ({ ...health, ok: health.ok && !stopped && !failed }),
    async stop() {
      if (stopped) return;
      stopped = true;
      await caller.call("stage.stop").catch(() => {});
      await shutdown();
    },
  };
}
