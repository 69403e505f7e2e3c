/**
 * Runs the ingest stage in a Deno Web Worker (workers/ingest.ts): the kline
 * WebSocket, its REST gap backfill and candle validation run there, closed
 * candles reach the bus over the worker bridge, and live prices come back
 * here for the UI and the price cache. Looks like an in-process
 * {@link IngestStage} to the engine host.
 *
 * @module
 */

import type { Bus } from "../engine/ports/bus.ts";
import { StageThread } from "./_stage_thread.ts";
import type { IngestHealth, IngestStage, IngestWorkerInit } from "./ingest.ts";

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
  const thread = new StageThread<IngestHealth>({
    url: new URL("./ingest.ts", import.meta.url),
    name: "ingest",
    bus: deps.bus,
    health: {
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
    },
    onMessage: (data) => {
      const message = data as PriceMessage;
      if (message?.kind === "aura:price") deps.onPrice?.(message.symbol, message.price, message.at);
    },
  });
  await thread.start(deps.init);
  const { caller } = thread;
  return {
    hold: (symbol, interval) => void caller.call("stage.hold", symbol, interval).catch(() => {}),
    release: (symbol, interval) =>
      void caller.call("stage.release", symbol, interval).catch(() => {}),
    health: () => thread.health(),
    stop: () => thread.stop(),
  };
}
