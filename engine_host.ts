/**
 * The engine host: the trading pipeline of the `engine` (and `all`) role.
 * It opens the bus (memory in process; Redis Streams when REDIS_URL is set;
 * Deno KV queues on request, AURA_BUS), starts the stages in order
 * execution → ingest → strategy (the strategy stage subscribes before it
 * tells ingest which streams to open, so nothing published is missed),
 * bridges order events to the UI's event hub, and stops them in reverse.
 * Each stage runs in a Deno Web Worker of its own by default (two cores
 * share the pipeline; the bus and the embedded database stay on this
 * thread and are served to the workers); with a clock other than the
 * system clock they run on this thread.
 *
 * @module
 */

import { shardOf } from "./engine/shard.ts";
import { KvBus } from "./adapters/bus/kv.ts";
import { MemoryBus } from "./adapters/bus/memory.ts";
import { RedisStreamsBus } from "./adapters/bus/redis_streams.ts";
import { KlineHistory } from "./adapters/market/history.ts";
import type { Config } from "./config.ts";
import type { Db } from "./db/port.ts";
import { type Clock, systemClock } from "./engine/clock.ts";
import { accountChanged, strategyChanged } from "./engine/events.ts";
import type { Bus } from "./engine/ports/bus.ts";
import type { Cache } from "./engine/ports/cache.ts";
import { createLogger } from "./logger.ts";
import type { EventHub } from "./services/events.ts";
import { startExecutionStage } from "./workers/execution.ts";
import { startExecutionWorker } from "./workers/_execution_thread.ts";
import { startStrategyWorker } from "./workers/_strategy_thread.ts";
import { type IngestHealth, type IngestStage, startIngest } from "./workers/ingest.ts";
import { startIngestWorker } from "./workers/_ingest_thread.ts";
import {
  startStrategyStage,
  type StrategyStage,
  type StrategyStageHealth,
} from "./workers/strategy.ts";

const log = createLogger("engine");

/** Which bus adapter runs. */
export type BusKind = "memory" | "kv" | "redis";

/** A stage started by someone else against the host's bus (the execution worker). */
export interface ExternalStage {
  /** Readiness and counters. */
  health(): { ok: boolean } & Record<string, unknown>;
  /** Stops it; idempotent. */
  stop(): Promise<void>;
}

/** What the host passes to the execution starter. */
export interface ExecutionContext {
  /** The pipeline bus ("signals" in, "orders" out). */
  bus: Bus;
  /** Storage. */
  db: Db;
  /** Time source. */
  clock: Clock;
  /** Configuration. */
  config: Config;
}

/** What {@link startEngine} needs. */
export interface EngineDeps {
  /** Configuration (bus, market data, exchange URLs, jump threshold). */
  config: Config;
  /** Storage. */
  db: Db;
  /** Time source. */
  clock: Clock;
  /** The UI's event hub (prices, trade events); absent in an engine-only process. */
  events?: EventHub | undefined;
  /** Live prices (last kline tick per symbol). */
  cache?: Cache | undefined;
  /** Told about each live price (e.g. the portfolio's LivePrices). */
  onPrice?: ((symbol: string, price: string, at: number) => void) | undefined;
  /** A bus to use instead of the configured one (tests, benches); the host does not close it. */
  bus?: Bus | undefined;
  /**
   * Starts the execution stage on the bus (default: workers/execution.ts, in
   * a Web Worker unless `executionThread` is "main"; null: none, e.g. a
   * process that only computes signals).
   */
  startExecution?: ((context: ExecutionContext) => Promise<ExternalStage>) | null | undefined;
  /**
   * Where the default execution stage runs: "worker" (default with the
   * system clock) or "main" (this thread; the default with any other clock,
   * which cannot cross threads).
   */
  executionThread?: "worker" | "main";
  /**
   * Where the strategy stage runs: "worker" (default, a Deno Web Worker) or
   * "main" (this thread, e.g. with a ManualClock, which cannot cross threads).
   */
  strategyThread?: "worker" | "main";
  /**
   * Where ingest runs: "worker" (default with the system clock, a Deno Web
   * Worker) or "main" (this thread; the default with any other clock).
   */
  ingestThread?: "worker" | "main";
  /** Reconnect delays of the kline stream (tests shorten them). */
  backoff?: { initialMs?: number; maxMs?: number };
}

/** Health of the whole engine. */
export interface EngineHealth {
  /** All stages ok. */
  ok: boolean;
  /** The bus adapter. */
  bus: BusKind | "external";
  /** Ingest (null when AURA_MARKET_DATA=none). */
  ingest: IngestHealth | null;
  /** Strategy stage. */
  strategy: StrategyStageHealth;
  /** Execution stage (null when none was started). */
  execution: ({ ok: boolean } & Record<string, unknown>) | null;
}

/** The running engine. */
export interface Engine {
  /** The pipeline bus. */
  readonly bus: Bus;
  /**
   * Tells the engine a strategy was created, changed, (de)activated or
   * deleted: this process's strategy stage follows it before this resolves,
   * and a `strategy_changed` on "control" tells every stage of every engine
   * process (the execution stage's entry gate reads the strategy again).
   */
  onStrategyChanged(strategyId: number, userId: number): Promise<void>;
  /** Tells the engine a user's trading mode or API keys changed (`account_changed`). */
  onAccountChanged(userId: number): Promise<void>;
  /** Stage health. */
  health(): EngineHealth;
  /** Stops every stage (reverse order) and the bus it opened; idempotent. */
  stop(): Promise<void>;
}

/** The bus AURA_BUS asks for: explicit, else redis with REDIS_URL, else memory. */
export function busKindOf(config: Pick<Config, "AURA_BUS" | "REDIS_URL">): BusKind {
  return config.AURA_BUS ?? (config.REDIS_URL ? "redis" : "memory");
}

/** Opens the configured bus. */
export async function openBus(config: Config): Promise<{ kind: BusKind; bus: Bus }> {
  const kind = busKindOf(config);
  if (kind === "redis") {
    if (!config.REDIS_URL) throw new Error("AURA_BUS=redis needs REDIS_URL");
    return {
      kind,
      bus: new RedisStreamsBus({
        url: config.REDIS_URL,
        prefix: config.AURA_BUS_PREFIX,
        onError: (error) => log.warn("Redis bus recovered from an error", { error: String(error) }),
      }),
    };
  }
  if (kind === "kv") {
    await Deno.mkdir(config.AURA_DATA_DIR, { recursive: true });
    return { kind, bus: await KvBus.open(`${config.AURA_DATA_DIR}/bus.kv`) };
  }
  return { kind, bus: new MemoryBus() };
}

/**
 * Starts the engine. Start-up is recovery: the execution worker reconciles
 * before it consumes, the strategy stage resumes each strategy's snapshot.
 *
 * @example
 * ```ts
 * const engine = await startEngine({ config, db, clock: systemClock, events });
 * strategyService.engine = engine; // onStrategyChanged after each API change
 * ```
 */
export async function startEngine(deps: EngineDeps): Promise<Engine> {
  const { config } = deps;
  const opened = deps.bus ? null : await openBus(config);
  const bus = deps.bus ?? opened!.bus;
  let execution: ExternalStage | null = null;
  let ingest: IngestStage | null = null;
  let strategy: StrategyStage | null = null;
  let bridge: { close(): Promise<void> } | null = null;
  let stopped = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Producers first, so every stage drains into a consumer that is still there.
    await ingest?.stop();
    await strategy?.stop();
    await execution?.stop();
    await bridge?.close();
    if (opened) await opened.bus.close();
    log.info("Engine stopped");
  };

  try {
    // Each process's UI needs every event: over Redis, a group of its own.
    const uiGroup = opened?.kind === "redis" ? `ui-events-${crypto.randomUUID()}` : "ui-events";
    if (deps.events) bridge = await bridgeOrderEvents(bus, deps.events, uiGroup);
    const startExecution = deps.startExecution !== undefined
      ? deps.startExecution
      : (deps.executionThread ?? (deps.clock === systemClock ? "worker" : "main")) === "main"
      ? startExecutionStage
      : startExecutionWorker;
    if (startExecution) {
      execution = await startExecution({ bus, db: deps.db, clock: deps.clock, config });
    }
    if (config.AURA_MARKET_DATA !== "none") {
      const onPrice = (symbol: string, price: string, at: number) => {
        deps.onPrice?.(symbol, price, at);
        deps.cache?.setPrice(symbol, price, at).catch(() => {});
        deps.events?.broadcast({ type: "price", data: { symbol, price, time: at } });
      };
      const stream = {
        wsUrl: config.BINANCE_WS_URL,
        restUrl: config.BINANCE_REST_URL,
        jumpThresholdPercent: config.PRICE_JUMP_THRESHOLD_PERCENT,
        ...(deps.backoff ? { backoff: deps.backoff } : {}),
      };
      ingest = (deps.ingestThread ?? (deps.clock === systemClock ? "worker" : "main")) === "main"
        ? startIngest({ bus, clock: deps.clock, onPrice, ...stream })
        : await startIngestWorker({
          bus,
          onPrice,
          init: { ...stream, logLevel: config.LOG_LEVEL, persistLevel: config.LOG_PERSIST_LEVEL },
        });
    }
    const history = {
      restUrl: config.BINANCE_REST_URL,
      jumpThresholdPercent: config.PRICE_JUMP_THRESHOLD_PERCENT,
    };
    const shard = shardOf(config.AURA_ENGINE_SHARD);
    strategy = deps.strategyThread === "main"
      ? await startStrategyStage({
        db: deps.db,
        bus,
        clock: deps.clock,
        history: new KlineHistory({ ...history, clock: deps.clock, db: deps.db }),
        streams: ingest ?? undefined,
        shard,
      })
      : await startStrategyWorker({
        bus,
        db: deps.db,
        streams: ingest ?? undefined,
        init: { ...history, logLevel: config.LOG_LEVEL, shard },
      });
  } catch (error) {
    await stop();
    throw error;
  }
  log.info("Engine running", {
    bus: opened?.kind ?? "external",
    marketData: config.AURA_MARKET_DATA,
    execution: execution !== null,
  });

  return {
    bus,
    async onStrategyChanged(id, userId) {
      await announceStrategyChange(bus, deps.clock, id, userId);
      await strategy!.refresh(id);
    },
    onAccountChanged: (userId) => announceAccountChange(bus, deps.clock, userId),
    health() {
      const ingestHealth = ingest?.health() ?? null;
      const strategyHealth = strategy!.health();
      const executionHealth = execution?.health() ?? null;
      return {
        ok: (ingestHealth?.ok ?? true) && strategyHealth.ok && (executionHealth?.ok ?? true),
        bus: opened?.kind ?? "external",
        ingest: ingestHealth,
        strategy: strategyHealth,
        execution: executionHealth,
      };
    },
    stop,
  };
}

/** Publishes a `strategy_changed` on "control"; a bus failure is logged (the periodic re-reads catch up). */
export async function announceStrategyChange(
  bus: Bus,
  clock: Clock,
  strategyId: number,
  userId: number,
): Promise<void> {
  await bus.publish("control", strategyChanged(userId, strategyId, clock.now())).catch((error) =>
    log.warn("Could not announce a strategy change", { strategyId, error: String(error) })
  );
}

/** Publishes an `account_changed` on "control"; a bus failure is logged. */
export async function announceAccountChange(bus: Bus, clock: Clock, userId: number): Promise<void> {
  await bus.publish("control", accountChanged(userId, clock.now())).catch((error) =>
    log.warn("Could not announce an account change", { userId, error: String(error) })
  );
}

/**
 * Forwards trade and strategy events from the "orders" topic to their
 * user's UI stream. Used by the engine host and by a web-only process that
 * shares a Redis bus with engine processes.
 */
export async function bridgeOrderEvents(
  bus: Bus,
  events: EventHub,
  group = "ui-events",
): Promise<{ close(): Promise<void> }> {
  return await bus.subscribe("orders", group, (event) => {
    if (!("userId" in event)) return;
    switch (event.type) {
      case "trade_opened":
      case "trade_closed":
      case "trade_failed":
        events.publish(event.userId, { type: "trade", data: { ...event } });
        return;
      case "strategy_halted":
        events.publish(event.userId, { type: "strategy", data: { ...event } });
        return;
      case "reconciliation_report":
        events.publish(event.userId, { type: "notification", data: { ...event } });
        return;
      default:
        return;
    }
  });
}
