/**
 * The execution stage: a thin shell that wires the execution service to the
 * bus. It consumes `trade_signal` ("signals", group "execution"), feeds
 * closed klines to the paper exchanges ("klines", so paper OCO legs trigger
 * with the shared fill model), forwards the exchanges' order events to the
 * service, and publishes what happens on "orders".
 *
 * Crash-only: start-up runs reconciliation before consuming anything, and
 * the same reconciliation runs every `reconcileIntervalMs`. All its state is
 * in the database and on the exchange. The engine host runs it in a Deno Web
 * Worker (workers/_execution_thread.ts serves it; the shell at the end of this
 * file is the worker's side), or on its own thread for tests that need a
 * ManualClock or crash hooks.
 *
 * @module
 */

import { groupSuffix, owns, shardOf } from "../engine/shard.ts";
import { Deduper, idempotent } from "../adapters/bus/dedupe.ts";
import { type MessagePortLike, PortBus } from "../adapters/bus/worker_bridge.ts";
import type { Config } from "../config.ts";
import type { Db } from "../db/port.ts";
import { openPostgres } from "../db/postgres.ts";
import { systemClock } from "../engine/clock.ts";
import type { ResilienceOptions } from "../adapters/exchange/resilience.ts";
import type { ExecutionContext, ExternalStage } from "../engine_host.ts";
import type { OrderEvent as BusEvent } from "../engine/events.ts";
import type { Subscription } from "../engine/ports/bus.ts";
import { configureLogging, createLogger, flushLogs } from "../logger.ts";
import { ExchangeFactory } from "../services/exchange_factory.ts";
import { type CrashStep, ExecutionService } from "../services/execution.ts";
import { IntentJournal } from "../services/_intent_journal.ts";
import { discoverEntries } from "../services/_discovery.ts";
import { RunMarker } from "../services/_run_marker.ts";
import { reconcile } from "../services/reconcile.ts";
import { loadMasterKeys, SecretBox } from "../services/secrets.ts";
import { Caller, RemoteDb, serveCalls } from "./_thread.ts";

const log = createLogger("execution-worker");

/** Signals handled at once: enough for every strategy of a busy candle. */
export const SIGNAL_WINDOW = 256;

/** Options beyond the host's context. */
export interface ExecutionStageOptions extends ExecutionContext {
  /** Decrypts users' secrets (default: from the configured master keys). */
  secrets?: SecretBox | null;
  /** Reconciliation period, ms (default 30,000). */
  reconcileIntervalMs?: number;
  /** ccxt order polling period, ms. */
  pollIntervalMs?: number;
  /** ccxt resilience tuning. */
  resilience?: Omit<ResilienceOptions, "clock">;
  /** How long an entry not seen by the exchange may still be in flight, ms (default 15,000). */
  inFlightMs?: number;
  /** Crash-test hook. */
  crashPoint?: (step: CrashStep) => void | Promise<void>;
  /** Called after each reconciliation (a worker reports its health with it). */
  onProgress?: () => void;
  /**
   * The intent journal's file (default: `<AURA_DATA_DIR>/journal/execution-<shard>.jsonl`
   * when AURA_INTENT_JOURNAL=file; null: none, every intent is recorded in the database first).
   */
  journalPath?: string | null;
}

/** Where the execution stage of `shard` keeps its intent journal, or null when it keeps none. */
export function journalPathOf(config: Config): string | null {
  if (config.AURA_INTENT_JOURNAL !== "file") return null;
  const shard = config.AURA_ENGINE_SHARD.replace("/", "-of-");
  return `${config.AURA_DATA_DIR}/journal/execution-${shard}.jsonl`;
}

/** Health of the execution stage. */
export interface ExecutionHealth extends Record<string, unknown> {
  /** Consuming and last reconciliation succeeded. */
  ok: boolean;
  /** Signals handled since start. */
  signals: number;
  /** Last reconciliation time (clock ms), null before the first. */
  lastReconcileAt: number | null;
  /** Entries decided in memory (journaled) and through the database; null without a journal. */
  entryGate?: { hits: number; misses: number; strategies: number } | null;
}

/** The running stage. */
export interface ExecutionStage extends ExternalStage {
  /** The service (tests, benches). */
  readonly service: ExecutionService;
  /** The exchanges per user. */
  readonly exchanges: ExchangeFactory;
  /** Runs one reconciliation now. */
  reconcileNow(): Promise<void>;
  /** @inheritdoc */
  health(): ExecutionHealth;
}

/** Starts the stage: reconcile, then consume. */
export async function startExecutionStage(options: ExecutionStageOptions): Promise<ExecutionStage> {
  const { bus, db, clock, config } = options;
  const secrets = options.secrets !== undefined ? options.secrets : new SecretBox(
    await loadMasterKeys({
      masterKey: config.AURA_MASTER_KEY,
      keyId: config.AURA_MASTER_KEY_ID,
      oldKeys: config.AURA_MASTER_KEYS_OLD,
      dataDir: config.AURA_DATA_DIR,
    }),
  );
  const exchanges = new ExchangeFactory({
    db,
    clock,
    secrets,
    restUrl: config.BINANCE_REST_URL,
    paperBalanceUsdt: String(config.AURA_PAPER_BALANCE_USDT),
    ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(options.resilience ? { resilience: options.resilience } : {}),
  });
  const publish = (event: BusEvent) => bus.publish("orders", event);
  const path = options.journalPath !== undefined ? options.journalPath : journalPathOf(config);
  const journal = path === null ? null : await IntentJournal.open(path);
  // Beside the journal: whether the last run stopped cleanly, else when it was last alive.
  const marker = path === null ? null : await RunMarker.open(`${path}.run`, clock);
  const service = new ExecutionService({
    db,
    clock,
    exchanges,
    publish,
    journal,
    ...(options.crashPoint ? { crashPoint: options.crashPoint } : {}),
  });
  // Over a shared Redis bus, each engine process executes for its own users only.
  const shard = shardOf(config.AURA_ENGINE_SHARD);
  const suffix = groupSuffix(shard);
  const health: ExecutionHealth = { ok: true, signals: 0, lastReconcileAt: null };
  let reconciling: Promise<void> | null = null;
  // After an unclean stop: entries whose journal line a power loss took, found on the exchange.
  // Until that succeeds, entries of candles the previous run may have traded wait.
  service.holdEntriesUpTo(marker?.heldUpTo ?? -Infinity);
  const discover = async () => {
    for (const window of marker?.owed ?? []) {
      try {
        await discoverEntries({ db, exchanges, owns: (userId) => owns(shard, userId) }, window);
        await marker!.discharge(window);
      } catch (error) {
        log.error("Discovery failed; retried on the next reconciliation", {
          window,
          error: String(error),
        });
      }
    }
    service.holdEntriesUpTo(marker?.heldUpTo ?? -Infinity);
  };
  const reconcileNow = () => {
    // Journaled intents that missed the database first, so reconciliation sees them.
    reconciling ??= service.restoreJournal().then(discover).then(() =>
      reconcile({
        db,
        clock,
        exchanges,
        service,
        publish,
        owns: (userId) => owns(shard, userId),
        ...(options.inFlightMs !== undefined ? { inFlightMs: options.inFlightMs } : {}),
      })
    )
      .then(() => service.refreshGate())
      .then(() => {
        health.ok = true;
        health.lastReconcileAt = clock.now();
      }, (error) => {
        health.ok = false;
        log.error("Reconciliation failed", { error: String(error) });
      })
      .finally(() => {
        reconciling = null;
        options.onProgress?.();
      });
    return reconciling;
  };
  exchanges.onOrderEvent((userId, event, paper) => {
    service.handleOrderEvent(userId, event, paper).catch((error) =>
      log.error("Order event failed", { userId, event: event.id, error: String(error) })
    );
  });

  try {
    await reconcileNow();
    // Start-up copied every journaled intent: the file starts empty.
    if (health.ok) journal?.compact();
  } catch (error) {
    journal?.close();
    await marker?.abandon();
    throw error;
  }
  const subscriptions: Subscription[] = [];
  subscriptions.push(
    await bus.subscribe(
      "signals",
      `execution${suffix}`,
      idempotent(async (event) => {
        if (event.type !== "trade_signal" || !owns(shard, event.userId)) return;
        health.signals++;
        await service.handleSignal(event);
      }, new Deduper()),
      // A candle's signals are handled together (lanes keep each strategy's order).
      { concurrency: SIGNAL_WINDOW },
    ),
  );
  // What the API changed (a strategy, a user's mode or keys): the entry gate reads it again.
  subscriptions.push(
    await bus.subscribe("control", `execution-control${suffix}`, (event) => {
      if (event.type === "strategy_changed") service.onStrategyChanged(Number(event.strategyId));
      else if (event.type === "account_changed") service.onAccountChanged(event.userId);
    }),
  );
  // Paper markets move on closed klines of any interval, but a candle that
  // overlaps one already fed (a 1h after its 1m candles) is skipped, so a leg
  // is never triggered by a range from before the OCO existed. Each shard feeds its
  // own paper books every candle (a group of its own).
  const fedUntil = new Map<string, number>();
  subscriptions.push(
    await bus.subscribe("klines", `execution-paper${suffix}`, async (event) => {
      if (event.type !== "kline_closed") return;
      if (event.kline.openTime <= (fedUntil.get(event.symbol) ?? -1)) return;
      fedUntil.set(event.symbol, event.kline.closeTime);
      for (const handle of await exchanges.paperHandles()) {
        handle.paper!.onCandle(event.symbol, event.kline);
      }
    }),
  );
  const timer = setInterval(() => void reconcileNow(), options.reconcileIntervalMs ?? 30_000);
  log.info("Execution stage running");

  let stopped = false;
  return {
    service,
    exchanges,
    reconcileNow,
    health: () => ({ ...health, entryGate: service.gateStats }),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      for (const subscription of subscriptions) await subscription.close();
      await reconciling;
      await exchanges.close();
      // Order events that arrived before the close still finish their writes.
      await service.idle();
      await journal?.synced().catch(() => {}); // a failed sync was reported to its appends
      journal?.close();
      // Everything is synced: the next start has nothing to look for on the exchange.
      await marker?.close();
      log.info("Execution stage stopped");
    },
  };
}

/** Settings the main thread sends an execution worker. */
export interface ExecutionWorkerInit {
  /** The process's configuration (master keys, exchange URLs, paper balance, logging). */
  config: Config;
  /** Which database the main thread holds. */
  dbKind: Db["kind"];
  /** True: statements go to the main thread's database; false: open a pool to DATABASE_URL. */
  remoteDb: boolean;
  /** Reconciliation period, ms. */
  reconcileIntervalMs?: number;
}

// Run as a Web Worker: the bus over postMessage (PortBus), the database on the
// main thread (RemoteDb) or a pool of its own, secrets decrypted here only.
if ("WorkerGlobalScope" in globalThis && import.meta.main) {
  const port = self as unknown as MessagePortLike;
  const caller = new Caller(port);
  let stage: ExecutionStage | null = null;
  let db: Db | null = null;
  let reporter: ReturnType<typeof setInterval> | undefined;
  const report = () => void caller.call("stage.progress", stage?.health()).catch(() => {});
  serveCalls(port, {
    "stage.start": async (init: ExecutionWorkerInit) => {
      const { config } = init;
      configureLogging({
        level: config.LOG_LEVEL,
        persistLevel: config.LOG_PERSIST_LEVEL,
        sink: (entries) => caller.call("logs.persist", entries),
      });
      db = init.remoteDb
        ? new RemoteDb(caller, init.dbKind)
        : openPostgres(config.DATABASE_URL!, { max: config.DATABASE_POOL_SIZE });
      stage = await startExecutionStage({
        bus: new PortBus(port),
        db,
        clock: systemClock,
        config,
        onProgress: report,
        ...(init.reconcileIntervalMs ? { reconcileIntervalMs: init.reconcileIntervalMs } : {}),
      });
      reporter = setInterval(report, 1000);
      return stage.health();
    },
    "stage.reconcile": async () => {
      await stage?.reconcileNow();
      return stage?.health();
    },
    "stage.stop": async () => {
      clearInterval(reporter);
      await stage?.stop();
      await flushLogs();
      await db?.close();
      return stage?.health();
    },
  });
}
