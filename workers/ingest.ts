/**
 * The ingest stage: a thin shell that runs the kline stream client and
 * publishes each sound closed candle as `kline_closed` on the "klines" topic.
 * Live prices go to the UI's event hub (`price` events) as they tick.
 *
 * Which streams are open is decided by whoever holds them: the strategy
 * stage calls {@link IngestStage.hold}/{@link IngestStage.release} as
 * strategies are activated and deactivated.
 *
 * @module
 */

import { BinanceKlineStream, type KlineStreamStats } from "../adapters/market/binance_ws.ts";
import { type MessagePortLike, PortBus } from "../adapters/bus/worker_bridge.ts";
import { type Clock, systemClock } from "../engine/clock.ts";
import { klineClosed } from "../engine/events.ts";
import type { Bus } from "../engine/ports/bus.ts";
import { configureLogging, createLogger, flushLogs, type LogLevel } from "../logger.ts";
import type { EventHub } from "../services/events.ts";
import { Caller, serveCalls } from "./_thread.ts";

/** What the ingest stage needs. */
export interface IngestDeps {
  /** Where `kline_closed` goes. */
  bus: Bus;
  /** Time source. */
  clock: Clock;
  /** Exchange WebSocket base (BINANCE_WS_URL). */
  wsUrl: string;
  /** Exchange REST base (BINANCE_REST_URL), for gap backfill. */
  restUrl: string;
  /** PRICE_JUMP_THRESHOLD_PERCENT. */
  jumpThresholdPercent: number;
  /** The UI's event hub, for `price` events (absent in an engine-only process). */
  events?: EventHub | undefined;
  /** Told about each live price (e.g. a cache write). */
  onPrice?: ((symbol: string, price: string, at: number) => void) | undefined;
  /** Reconnect delays (tests shorten them). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Called after each published candle and each change of streams (a worker reports health with it). */
  onProgress?: () => void;
}

/** Health of the ingest stage. */
export interface IngestHealth {
  /** Whether the WebSocket is open (true when no stream is needed). */
  ok: boolean;
  /** Held streams. */
  streams: string[];
  /** Counters of the stream client. */
  stats: KlineStreamStats;
}

/** The running ingest stage. */
export interface IngestStage {
  /** Adds a holder of (symbol, interval). */
  hold(symbol: string, interval: string): void;
  /** Removes a holder of (symbol, interval). */
  release(symbol: string, interval: string): void;
  /** Connection state and counters. */
  health(): IngestHealth;
  /** Closes the stream; idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the ingest stage (no connection until the first {@link IngestStage.hold}).
 *
 * @example
 * ```ts
 * const ingest = startIngest({ bus, clock, wsUrl, restUrl, jumpThresholdPercent: 20 });
 * ingest.hold("BTCUSDT", "1m");
 * ```
 */
export function startIngest(deps: IngestDeps): IngestStage {
  const log = createLogger("ingest");
  const stream = new BinanceKlineStream({
    wsUrl: deps.wsUrl,
    restUrl: deps.restUrl,
    clock: deps.clock,
    jumpThresholdPercent: deps.jumpThresholdPercent,
    logger: log,
    ...(deps.backoff ? { backoff: deps.backoff } : {}),
    onKline: async (kline, receivedAt) => {
      await deps.bus.publish("klines", klineClosed(kline, receivedAt));
      deps.onProgress?.();
    },
    onPrice: (symbol, price, at) => {
      deps.onPrice?.(symbol, price, at);
      deps.events?.broadcast({ type: "price", data: { symbol, price, time: at } });
    },
  });
  return {
    hold: (symbol, interval) => {
      stream.subscribe(symbol, interval);
      deps.onProgress?.();
    },
    release: (symbol, interval) => {
      stream.unsubscribe(symbol, interval);
      deps.onProgress?.();
    },
    health: () => ({
      ok: stream.streams.length === 0 || stream.connected,
      streams: stream.streams,
      stats: { ...stream.stats },
    }),
    stop: () => stream.close(),
  };
}

/** Settings the main thread sends an ingest worker. */
export interface IngestWorkerInit {
  /** Exchange WebSocket base. */
  wsUrl: string;
  /** Exchange REST base (gap backfill). */
  restUrl: string;
  /** PRICE_JUMP_THRESHOLD_PERCENT. */
  jumpThresholdPercent: number;
  /** Reconnect delays. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Log levels of the worker's own logger. */
  logLevel?: LogLevel;
  /** Lowest level the worker's entries are persisted at. */
  persistLevel?: LogLevel;
}

// Run as a Web Worker: the WebSocket and REST backfill live here, candles go
// out over the worker bridge, live prices and health to the main thread.
if ("WorkerGlobalScope" in globalThis && import.meta.main) {
  const port = self as unknown as MessagePortLike;
  const caller = new Caller(port);
  let stage: IngestStage | null = null;
  let reporter: ReturnType<typeof setInterval> | undefined;
  let reportQueued = false;
  // Coalesced: a burst of candles costs one health message.
  const report = () => {
    if (reportQueued) return;
    reportQueued = true;
    queueMicrotask(() => {
      reportQueued = false;
      void caller.call("stage.progress", stage?.health()).catch(() => {});
    });
  };
  serveCalls(port, {
    "stage.start": (init: IngestWorkerInit) => {
      configureLogging({
        ...(init.logLevel ? { level: init.logLevel } : {}),
        ...(init.persistLevel ? { persistLevel: init.persistLevel } : {}),
        sink: (entries) => caller.call("logs.persist", entries),
      });
      stage = startIngest({
        bus: new PortBus(port),
        clock: systemClock,
        wsUrl: init.wsUrl,
        restUrl: init.restUrl,
        jumpThresholdPercent: init.jumpThresholdPercent,
        onPrice: (symbol, price, at) => port.postMessage({ kind: "aura:price", symbol, price, at }),
        onProgress: report,
        ...(init.backoff ? { backoff: init.backoff } : {}),
      });
      reporter = setInterval(report, 1000);
      return stage.health();
    },
    "stage.hold": (symbol: string, interval: string) => stage?.hold(symbol, interval),
    "stage.release": (symbol: string, interval: string) => stage?.release(symbol, interval),
    "stage.stop": async () => {
      clearInterval(reporter);
      await stage?.stop();
      await flushLogs();
      return stage?.health();
    },
  });
}
