/**
 * The strategy stage: a thin shell around engine/live. It loads the active
 * strategies, starts each one (a fresh snapshot is resumed and the candles it
 * missed are evaluated; otherwise its indicators warm up from history), then
 * evaluates every `kline_closed` for exactly the strategies of that
 * (symbol, interval) and publishes their `trade_signal`s on "signals". After
 * each candle the last processed candle and the snapshot are saved
 * (strategy_runtime), so a restart neither skips nor repeats a candle.
 * Positions come from the database on start and from the order events.
 *
 * @module
 */

import { groupSuffix, owns, type Shard, SOLE_SHARD } from "../engine/shard.ts";
import { Deduper, idempotent } from "../adapters/bus/dedupe.ts";
import { KlineHistory } from "../adapters/market/history.ts";
import { type MessagePortLike, PortBus } from "../adapters/bus/worker_bridge.ts";
import { listActiveStrategies, type StrategyRecord } from "../db/strategies.ts";
import { findOpenTradeForStrategy } from "../db/trades.ts";
import type { Db } from "../db/port.ts";
import { type Candle, INTERVAL_MS, type KlineData, toCandle } from "../engine/candle.ts";
import { type Clock, preciseNow, systemClock } from "../engine/clock.ts";
import type { AuraEvent, KlineClosed, OrderEvent, TradeSignal } from "../engine/events.ts";
import { FanoutIndex } from "../engine/live/fanout.ts";
import { LiveStrategy, type LiveStrategyState } from "../engine/live/live_strategy.ts";
import type { Bus, Subscription } from "../engine/ports/bus.ts";
import { parseStrategy, type RiskParams } from "../engine/strategy/rules.ts";
import type { StrategySignal } from "../engine/strategy/runner.ts";
import { configureLogging, createLogger, type LogLevel } from "../logger.ts";
import { frozenRisk, signalEvent } from "./_signal_event.ts";
import { Caller, RemoteDb, serveCalls } from "./_thread.ts";
import {
  clearRuntimeState,
  loadRuntime,
  type RuntimeRow,
  saveRuntime,
} from "../db/strategy_runtime.ts";

const log = createLogger("strategy");

/** Closed candles handled at once (one per pair closing at the same time). */
export const KLINE_WINDOW = 64;

/** Who holds kline streams open (the ingest stage). */
export interface StreamHolder {
  /** Adds a holder of (symbol, interval). */
  hold(symbol: string, interval: string): void;
  /** Removes a holder. */
  release(symbol: string, interval: string): void;
}

/** What the strategy stage needs. */
export interface StrategyStageDeps {
  /** Strategies, trades and strategy_runtime. */
  db: Db;
  /** Consumes "klines" and "orders", publishes "signals". */
  bus: Bus;
  /** Time source (signal stamps). */
  clock: Clock;
  /** Warm-up and catch-up candles. */
  history: Pick<KlineHistory, "latest" | "since">;
  /** The ingest stage, told which streams the active strategies need. */
  streams?: StreamHolder | undefined;
  /** Candles fed to a strategy that starts without a usable snapshot (default 500, at most 1,000). */
  warmupCandles?: number;
  /** Missed candles evaluated on resume; further behind, the strategy warms up instead (default 1,000). */
  maxCatchUpCandles?: number;
  /**
   * This process's share of the strategies when several engine processes
   * share a Redis bus: strategy id mod `count` = `index` (default 0 of 1).
   * Each shard consumes every candle in consumer groups of its own.
   */
  shard?: Shard;
  /** Called after each candle and each strategy start (a worker reports its health with it). */
  onProgress?: () => void;
  /** Period of the re-read of every active strategy, ms (default 60,000). */
  resyncIntervalMs?: number;
}

/** Health of the strategy stage. */
export interface StrategyStageHealth {
  /** True while consuming. */
  ok: boolean;
  /** Strategies running. */
  strategies: number;
  /** Distinct (symbol, interval) pairs. */
  pairs: number;
  /** Candles evaluated. */
  candles: number;
  /** Signals published. */
  signals: number;
  /** receivedAt of the last candle, ms (null before the first). */
  lastKlineAt: number | null;
  /** Strategies whose latest runtime is not yet saved. */
  pendingWrites: number;
}

/** The running strategy stage. */
export interface StrategyStage {
  /** Re-reads one strategy (created, changed, (de)activated, deleted) and follows it. */
  refresh(strategyId: number): Promise<void>;
  /** Re-reads every active strategy and follows the differences (also done periodically). */
  resync(): Promise<void>;
  /** Counters. */
  health(): StrategyStageHealth;
  /** Stops consuming; idempotent. */
  stop(): Promise<void>;
}

interface Slot {
  live: LiveStrategy;
  record: StrategyRecord;
  userId: number;
  interval: string;
  risk: Readonly<RiskParams>;
  // Candles that arrived while the strategy was starting; replayed after.
  buffer: KlineClosed[] | null;
}

/**
 * Starts the stage: subscribes first (so no candle is lost while strategies
 * start), then starts every active strategy.
 *
 * @example
 * ```ts
 * const stage = await startStrategyStage({ db, bus, clock, history, streams: ingest });
 * await stage.refresh(42); // after the API activated strategy 42
 * ```
 */
export async function startStrategyStage(deps: StrategyStageDeps): Promise<StrategyStage> {
  const index = new FanoutIndex<Slot>();
  const counters = { candles: 0, signals: 0, lastKlineAt: null as number | null };
  let stopped = false;
  const writer = new RuntimeWriter(deps.db, () => deps.onProgress?.());
  // Strategy changes are applied one at a time, in order.
  let changes: Promise<void> = Promise.resolve();

  const eventsOf = (
    slot: Slot,
    signals: readonly StrategySignal[],
    kline: KlineClosed | null,
  ): TradeSignal[] => {
    if (signals.length === 0) return [];
    const now = preciseNow(deps.clock);
    return signals.map((signal) => {
      const live = kline !== null && signal.candleCloseTime === kline.kline.closeTime;
      const price = live ? kline.kline.close : signal.price;
      return signalEvent(signal, slot, price, kline?.receivedAt ?? now, now);
    });
  };
  // Published together: adapters keep call order (one Redis connection
  // pipelines its XADDs), and one round trip per candle beats one per signal.
  const publish = async (events: readonly TradeSignal[]) => {
    if (events.length === 0) return;
    await Promise.all(events.map((event) => deps.bus.publish("signals", event)));
    counters.signals += events.length;
  };

  const runtimeOf = (slot: Slot): RuntimeRow => {
    const state = slot.live.state();
    return {
      strategyId: slot.record.id,
      lastCandleCloseTime: state.runner.lastCloseTime < 0 ? null : state.runner.lastCloseTime,
      state,
    };
  };

  const onKline = async (event: KlineClosed) => {
    counters.candles++;
    counters.lastKlineAt = event.receivedAt;
    const slots = index.get(event.symbol, event.interval);
    if (slots.length === 0) return;
    const candle = toCandle(event.kline);
    const touched: RuntimeRow[] = [];
    // Evaluate and publish now; persist in the background (one batched statement).
    const events: TradeSignal[] = [];
    for (const slot of slots) {
      if (slot.buffer !== null) {
        slot.buffer.push(event);
        continue;
      }
      if (!(candle.closeTime > slot.live.lastCloseTime)) continue; // a redelivered candle
      events.push(...eventsOf(slot, slot.live.onCandle(candle), event));
      touched.push(runtimeOf(slot));
    }
    await publish(events);
    for (const row of touched) writer.mark(row);
    deps.onProgress?.();
  };

  const start = async (record: StrategyRecord) => {
    let definition;
    try {
      definition = parseStrategy({
        name: record.name,
        symbol: record.symbol,
        interval: record.interval,
        entryConditions: record.entryConditions,
        exitConditions: record.exitConditions,
        riskParams: record.riskParams,
      });
    } catch (error) {
      log.error("Strategy cannot run: its definition is invalid", {
        userId: record.userId,
        strategyId: record.id,
        error: error instanceof Error ? error.message : String(error),
      });
      return;
    }
    const id = String(record.id);
    const slot: Slot = {
      live: new LiveStrategy(id, record.userId, definition),
      record,
      userId: record.userId,
      interval: definition.interval,
      risk: frozenRisk(definition),
      buffer: [],
    };
    index.set(id, record.symbol, record.interval, slot);
    deps.streams?.hold(record.symbol, record.interval);
    try {
      const saved = (await loadRuntime(deps.db, [record.id])).get(record.id)?.state ?? null;
      const trade = await findOpenTradeForStrategy(deps.db, record.id);
      const history = await historyFor(deps, record, slot.live, saved);
      const { mode, signals } = slot.live.start({
        saved,
        history,
        openTrade: trade === null ? null : {
          signalId: trade.signalId,
          tradeId: String(trade.id),
          takeProfit: Number(trade.takeProfitPrice ?? Infinity),
          stopLoss: Number(trade.stopLossPrice ?? 0),
        },
      });
      await publish(eventsOf(slot, signals, null));
      // Candles that arrived meanwhile, in order; the runner skips those the history held.
      while (slot.buffer && slot.buffer.length) {
        const event = slot.buffer.shift()!;
        await publish(eventsOf(slot, slot.live.onCandle(toCandle(event.kline)), event));
      }
      slot.buffer = null;
      writer.mark(runtimeOf(slot));
      await writer.flush();
      deps.onProgress?.();
      log.info("Strategy started", {
        userId: record.userId,
        strategyId: record.id,
        mode,
        historyCandles: history.length,
        catchUpSignals: signals.length,
      });
    } catch (error) {
      index.delete(id);
      deps.streams?.release(record.symbol, record.interval);
      log.error("Strategy could not start", {
        userId: record.userId,
        strategyId: record.id,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };

  const stopOne = async (id: number, keepSnapshot: boolean) => {
    const slot = index.delete(String(id));
    if (!slot) return;
    deps.streams?.release(slot.record.symbol, slot.record.interval);
    writer.forget(id);
    await writer.flush();
    if (!keepSnapshot) await clearRuntimeState(deps.db, id);
  };

  const shard = deps.shard ?? SOLE_SHARD;
  const mine = (s: StrategyRecord) => owns(shard, s.id);
  const suffix = groupSuffix(shard);
  const orders = await deps.bus.subscribe(
    "orders",
    `strategy-positions${suffix}`,
    (event: AuraEvent) => {
      if (!("strategyId" in event) || event.type === "trade_signal") return;
      index.byId(event.strategyId)?.live.onOrderEvent(event as OrderEvent);
    },
  );
  const klines: Subscription = await deps.bus.subscribe(
    "klines",
    `strategy${suffix}`,
    idempotent(
      (event) => event.type === "kline_closed" ? onKline(event) : undefined,
      new Deduper({ capacity: 5_000 }),
    ),
    // Candles of every pair closing together are evaluated at once: each is
    // evaluated synchronously on delivery (so in order), only its publish is awaited.
    { concurrency: KLINE_WINDOW },
  );

  const active = (await listActiveStrategies(deps.db)).filter(mine);
  await runLimited(active, 8, start);
  log.info("Strategy stage running", { strategies: index.size, pairs: index.pairs });

  // Follows the stored strategies: those given (or every one), in order with other changes.
  // In an `all` process a change is followed twice (the API's direct call, then its own
  // announcement on "control"); the second finds nothing to do after one indexed read.
  const follow = (ids: number[] | null) => {
    const run = changes.then(async () => {
      if (stopped) return;
      const records = new Map(
        (await listActiveStrategies(deps.db, ids ?? undefined)).filter(mine).map((s) => [s.id, s]),
      );
      const wanted = ids ?? [
        ...new Set([...records.keys(), ...index.values().map((slot) => slot.record.id)]),
      ];
      for (const strategyId of wanted) {
        if (stopped) return;
        const record = records.get(strategyId);
        const current = index.byId(String(strategyId));
        if (current && record && sameDefinition(current.record, record)) {
          current.record = record;
          continue;
        }
        if (current) await stopOne(strategyId, false);
        if (record) await start(record);
      }
      deps.onProgress?.();
    });
    changes = run.catch(() => {});
    return run;
  };
  // What the API changed, announced by this or another process (the web role).
  const control = await deps.bus.subscribe(
    "control",
    `strategy-control${suffix}`,
    (event) => event.type === "strategy_changed" ? follow([Number(event.strategyId)]) : undefined,
  );
  // A change whose announcement was lost is caught up by a periodic re-read.
  const resync = setInterval(
    () =>
      void follow(null).catch((error) =>
        log.warn("Could not re-read the active strategies", { error: String(error) })
      ),
    deps.resyncIntervalMs ?? 60_000,
  );

  return {
    refresh: (strategyId) => follow([strategyId]),
    resync: () => follow(null),
    health: () => ({
      ok: !stopped,
      strategies: index.size,
      pairs: index.pairs,
      candles: counters.candles,
      signals: counters.signals,
      lastKlineAt: counters.lastKlineAt,
      pendingWrites: writer.pending,
    }),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(resync);
      await control.close();
      await changes;
      await klines.close();
      await orders.close();
      await writer.flush();
      for (const slot of index.values()) {
        deps.streams?.release(slot.record.symbol, slot.record.interval);
      }
    },
  };
}

/**
 * Saves runtime rows off the hot path: rows marked while a write runs are
 * coalesced (latest per strategy) into the next single statement. A crash
 * before a write only means the restart evaluates those candles again, with
 * the same signal ids, which consumers drop.
 */
class RuntimeWriter {
  readonly #db: Db;
  readonly #onSaved: () => void;
  #dirty = new Map<number, RuntimeRow>();
  readonly #latest = new Map<number, number>();
  #running: Promise<void> | null = null;
  #quiet = true;

  constructor(db: Db, onSaved: () => void) {
    this.#db = db;
    this.#onSaved = onSaved;
  }

  get pending(): number {
    return this.#dirty.size + (this.#running ? 1 : 0);
  }

  mark(row: RuntimeRow): void {
    // Candles of a pair are evaluated in order, but their publishes may settle out of
    // order: never let an older snapshot replace a newer one.
    const latest = this.#latest.get(row.strategyId);
    const at = row.lastCandleCloseTime ?? -1;
    if (latest !== undefined && at < latest) return;
    this.#latest.set(row.strategyId, at);
    this.#dirty.set(row.strategyId, row);
    this.#quiet = false;
    this.#running ??= this.#drain();
  }

  forget(strategyId: number): void {
    this.#dirty.delete(strategyId);
    this.#latest.delete(strategyId);
  }

  async flush(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    // Candles of many symbols close together: wait for the burst to go quiet
    // (the database shares this thread), but never longer than 1 s.
    const started = performance.now();
    do {
      this.#quiet = true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    } while (!this.#quiet && performance.now() - started < 1000);
    try {
      while (this.#dirty.size) {
        const rows = [...this.#dirty.values()];
        this.#dirty = new Map();
        await saveRuntime(this.#db, rows).catch((error) =>
          log.error("Could not save strategy runtime", { error: String(error), rows: rows.length })
        );
      }
    } finally {
      this.#running = null;
      this.#onSaved();
    }
  }
}

function sameDefinition(a: StrategyRecord, b: StrategyRecord): boolean {
  const pick = (s: StrategyRecord) =>
    JSON.stringify([s.symbol, s.interval, s.entryConditions, s.exitConditions, s.riskParams]);
  return pick(a) === pick(b);
}

/** Candles after the snapshot when it can be resumed, else the warm-up window. */
async function historyFor(
  deps: StrategyStageDeps,
  record: StrategyRecord,
  live: LiveStrategy,
  saved: LiveStrategyState | null,
): Promise<Candle[]> {
  const toCandles = (klines: KlineData[]) => klines.map(toCandle);
  const step = INTERVAL_MS[record.interval];
  const context = { userId: record.userId, strategyId: record.id };
  if (saved !== null && saved.runner.lastCloseTime >= 0 && step !== undefined) {
    try {
      const { klines, complete } = await deps.history.since(
        record.symbol,
        record.interval,
        saved.runner.lastCloseTime + 1,
        deps.maxCatchUpCandles ?? 1000,
      );
      const candles = toCandles(klines);
      if (complete && live.canResume(saved, candles)) return candles;
    } catch (error) {
      log.warn("Missed candles unavailable; warming up instead", {
        ...context,
        error: String(error),
      });
    }
  }
  const warmup = Math.min(1000, deps.warmupCandles ?? 500);
  try {
    return toCandles(await deps.history.latest(record.symbol, record.interval, warmup));
  } catch (error) {
    // Better running (indicators warm up from live candles) than refusing to start.
    log.warn("History unavailable; the strategy warms up from live candles", {
      ...context,
      error: String(error),
    });
    return [];
  }
}

async function runLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}

/** Settings the main thread sends a strategy worker. */
export interface StrategyWorkerInit {
  /** Exchange REST base (history). */
  restUrl: string;
  /** PRICE_JUMP_THRESHOLD_PERCENT. */
  jumpThresholdPercent: number;
  /** Which database the main thread holds. */
  dbKind: Db["kind"];
  /** Log level of the worker's own logger. */
  logLevel?: LogLevel;
  /** The process's shard of the strategies. */
  shard?: Shard;
}

// Run as a Web Worker: the bus comes over postMessage (PortBus), database
// statements run on the main thread (RemoteDb), history is fetched here.
if ("WorkerGlobalScope" in globalThis && import.meta.main) {
  const port = self as unknown as MessagePortLike;
  const caller = new Caller(port);
  let stage: StrategyStage | null = null;
  serveCalls(port, {
    "stage.start": async (init: StrategyWorkerInit) => {
      if (init.logLevel) configureLogging({ level: init.logLevel });
      const db = new RemoteDb(caller, init.dbKind);
      const report = () => void caller.call("stage.progress", stage?.health()).catch(() => {});
      stage = await startStrategyStage({
        db,
        bus: new PortBus(port),
        clock: systemClock,
        history: new KlineHistory({
          restUrl: init.restUrl,
          clock: systemClock,
          db,
          jumpThresholdPercent: init.jumpThresholdPercent,
        }),
        streams: {
          hold: (symbol, interval) => void caller.call("streams.hold", symbol, interval),
          release: (symbol, interval) => void caller.call("streams.release", symbol, interval),
        },
        onProgress: report,
        ...(init.shard ? { shard: init.shard } : {}),
      });
      return stage.health();
    },
    "stage.resync": async () => {
      await stage?.resync();
      return stage?.health();
    },
    "stage.refresh": async (strategyId: number) => {
      await stage?.refresh(strategyId);
      return stage?.health();
    },
    "stage.stop": async () => {
      await stage?.stop();
      return stage?.health();
    },
  });
}
