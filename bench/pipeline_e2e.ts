/**
 * End to end, as AURA runs (issue 5's target): a closed candle published on
 * "klines" by ingest → the entry order sent to the paper exchange, through
 * the engine host with its stages in their Web Workers (strategy, execution),
 * the bus on the main thread, and the trades, intents and runtime in the
 * database. 100 active strategies of 10 users on 4 symbols are evaluated on
 * every candle. Latency is each trade's own stored trace: `entrySentAt −
 * klineReceivedAt`, stamped with sub-millisecond wall time in both threads.
 *
 * Scenarios:
 * - `staggered` (the target's case): each strategy has its own price band;
 *   the price climbs one step a candle, so each candle makes one strategy per
 *   symbol enter (4 entries among the 100) and, 30 steps later, exit at a
 *   profit; then the price falls back and the climb repeats.
 * - `burst`: all 100 strategies enter on the same candle and exit on the next.
 * - `re-entering`: every strategy exits and re-enters on every candle (the
 *   entry waits for its own exit).
 *
 * Intents: journaled locally before each order (AURA_INTENT_JOURNAL=file,
 * the default), and, for comparison, recorded in the database first
 * (`db-first`, AURA_INTENT_JOURNAL=db).
 *
 * Storage: embedded PGlite (the zero-set-up default) and Postgres (set
 * `DATABASE_URL`, or a local server at 127.0.0.1 — skipped with a line when
 * none answers). Buses: memory, Redis Streams (REDIS_URL or 127.0.0.1 db 15)
 * and Deno KV queues.
 *
 * Run: `deno run -A bench/pipeline_e2e.ts`. `AURA_BENCH_CYCLES` (default 20:
 * 1,900 measured entries) sets the staggered runs' length: a stall delays a
 * whole candle's entries at once, so a short run's p99 is its one worst
 * candle. `AURA_BENCH_TRACE=1` prints where the time goes.
 *
 * @module
 */

import postgres from "postgres";
import { BENCH_REDIS_URL, openScratchRedisBus, redisAnswers } from "./_redis.ts";
import { KvBus } from "../adapters/bus/kv.ts";
import { MemoryBus } from "../adapters/bus/memory.ts";
import { configSchema } from "../config.ts";
import { migrate } from "../db/migrate.ts";
import { openPglite } from "../db/pglite.ts";
import type { Db } from "../db/port.ts";
import { openPostgres } from "../db/postgres.ts";
import { createStrategy } from "../db/strategies.ts";
import { createUser } from "../db/users.ts";
import { preciseNow, systemClock } from "../engine/clock.ts";
import { klineClosed } from "../engine/events.ts";
import type { Bus } from "../engine/ports/bus.ts";
import { startEngine } from "../engine_host.ts";
import { configureLogging } from "../logger.ts";

const MINUTE = 60_000;
const T0 = Date.UTC(2025, 0, 1);
const SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"];
const STRATEGIES = 100;
const USERS = 10;

interface Storage {
  name: string;
  open(): Promise<{ db: Db; url?: string; close(): Promise<void> }>;
}

interface BusChoice {
  name: string;
  open(): Promise<{ bus: Bus; close(): Promise<void> }>;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

type Mode = "staggered" | "burst" | "re-entering";

/** Steps of a staggered climb: 25 entry bands per symbol, exits 30 steps after each. */
const STEPS = STRATEGIES / SYMBOLS.length + 31;

/** Entry and exit conditions of strategy `i`. */
function rulesOf(mode: Mode, i: number) {
  const price = { indicator: "PRICE" } as const;
  if (mode === "re-entering") {
    const always = [{ left: price, op: ">", right: { value: 0 } }];
    return { entryConditions: always, exitConditions: always };
  }
  if (mode === "burst") {
    return {
      entryConditions: [{ left: price, op: ">", right: { value: 100.5 } }],
      exitConditions: [{ left: price, op: "<", right: { value: 100.5 } }],
    };
  }
  const band = 101 + Math.floor(i / SYMBOLS.length);
  return {
    entryConditions: [
      { left: price, op: ">", right: { value: band } },
      { left: price, op: "<", right: { value: band + 1 } },
    ],
    exitConditions: [{ left: price, op: ">", right: { value: band + 30 } }],
  };
}

/** The close of round `r`, and how many entries it makes. */
function roundOf(mode: Mode, r: number): { price: string; entries: number; exits: number } {
  if (mode === "re-entering") {
    return { price: String(100 + (r % 5)), entries: STRATEGIES, exits: r === 0 ? 0 : STRATEGIES };
  }
  if (mode === "burst") {
    return r % 2 === 0
      ? { price: "101", entries: STRATEGIES, exits: 0 }
      : { price: "100", entries: 0, exits: STRATEGIES };
  }
  const step = r % STEPS; // price 100.5 + step
  const bands = STRATEGIES / SYMBOLS.length;
  return {
    price: String(100.5 + step),
    entries: step >= 1 && step <= bands ? SYMBOLS.length : 0,
    exits: step >= 31 && step <= bands + 30 ? SYMBOLS.length : 0,
  };
}

async function seed(db: Db, mode: Mode): Promise<void> {
  await db.query(
    "TRUNCATE users, strategies, strategy_runtime, trades, order_intents RESTART IDENTITY CASCADE",
  );
  const users: number[] = [];
  for (let u = 0; u < USERS; u++) {
    users.push(
      (await createUser(db, {
        username: `e2e${u}`,
        email: `e2e${u}@x.io`,
        passwordHash: "x",
      })).id,
    );
  }
  for (let i = 0; i < STRATEGIES; i++) {
    const s = await createStrategy(db, users[i % USERS]!, {
      name: `e2e ${i}`,
      symbol: SYMBOLS[i % SYMBOLS.length]!,
      interval: "1m",
      ...rulesOf(mode, i),
      riskParams: {
        positionSizeUsd: 100,
        takeProfitPercent: 50,
        stopLossPercent: 50,
        maxDrawdownPercent: 100,
      },
    });
    await db.query("UPDATE strategies SET is_active = TRUE WHERE id = $1", [s.id]);
  }
}

async function until(
  condition: () => Promise<boolean> | boolean,
  what: string,
  state: () => string = () => "",
  ms = 30_000,
) {
  const deadline = performance.now() + ms;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what} ${state()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** One run: `rounds` candles per symbol; entry latencies of every round after the first entry round. */
async function run(
  storage: Storage,
  busChoice: BusChoice,
  options: { rounds: number; mode: Mode; thread?: "worker" | "main"; journal?: "file" | "db" },
): Promise<Record<string, number>> {
  const store = await storage.open();
  const { db } = store;
  await seed(db, options.mode);
  const { bus, close: closeBus } = await busChoice.open();
  const config = configSchema.parse({
    AURA_MARKET_DATA: "none",
    AURA_DATA_DIR: await Deno.makeTempDir(),
    BINANCE_REST_URL: "http://127.0.0.1:9",
    AURA_PAPER_BALANCE_USDT: "100000000",
    LOG_LEVEL: Deno.env.get("AURA_BENCH_LOG") ?? "ERROR",
    AURA_INTENT_JOURNAL: options.journal ?? "file",
    ...(store.url ? { DATABASE_URL: store.url } : {}),
  });
  const thread = options.thread ?? "worker";
  const engine = await startEngine({
    config,
    db,
    clock: systemClock,
    bus,
    strategyThread: thread,
    executionThread: thread,
  });
  let expectedTrades = 0;
  let open = 0;
  let last = "";
  try {
    for (let r = 0; r < options.rounds; r++) {
      const openTime = T0 + r * MINUTE;
      const { price, entries, exits } = roundOf(options.mode, r);
      for (const symbol of SYMBOLS) {
        await bus.publish(
          "klines",
          klineClosed({
            symbol,
            interval: "1m",
            openTime,
            closeTime: openTime + MINUTE - 1,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: "1",
          }, preciseNow(systemClock)),
        );
      }
      expectedTrades += entries;
      open += entries - exits;
      // Every entry protected (or every exit closed) before the next candle, as a minute apart
      // would; polled only once the candle's work is done, so polling does not load the database.
      await new Promise((resolve) => setTimeout(resolve, 40));
      await until(
        async () => {
          const [row] = await db.query(
            `SELECT count(*)::int AS trades,
             count(*) FILTER (WHERE status = 'OPEN' AND oco_list_client_order_id IS NULL)::int
               AS unprotected,
             count(*) FILTER (WHERE status = 'OPEN')::int AS open
           FROM trades`,
          );
          last = `${JSON.stringify(row)} expected ${expectedTrades} trades, ${open} open`;
          return Number(row!.trades) === expectedTrades && Number(row!.unprotected) === 0 &&
            Number(row!.open) === open;
        },
        `round ${r}`,
        () => last,
      );
      await until(() => engine.health().strategy.pendingWrites === 0, "runtime writes");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await engine.stop();
    await closeBus();
  }
  const rows = await db.query("SELECT latency FROM trades ORDER BY id");
  if (Deno.env.get("AURA_BENCH_TRACE")) {
    // Where the time goes: each step of the trace, from the previous one.
    const traces = rows.slice(STRATEGIES).map((r) => r.latency as Record<string, number>);
    const steps = ["klineReceivedAt", "signalAt", "receivedAt", "plannedAt", "intentRecordedAt"];
    for (let i = 1; i <= steps.length; i++) {
      const [from, to] = [steps[i - 1]!, steps[i] ?? "entrySentAt"];
      const d = traces.map((l) => l[to]! - l[from]!).sort((a, b) => a - b);
      console.log(
        `  ${from} → ${to}: p50 ${percentile(d, 0.5).toFixed(2)} p90 ${
          percentile(d, 0.9).toFixed(2)
        } p99 ${percentile(d, 0.99).toFixed(2)} ms`,
      );
    }
    // By rank within its candle: a stall that delays a whole round shows in every rank alike.
    const rounds = new Map<number, number[]>();
    for (const l of traces) {
      const round = rounds.get(l.candleCloseTime!) ?? [];
      round.push(l.entrySentAt! - l.klineReceivedAt!);
      rounds.set(l.candleCloseTime!, round);
    }
    const byRank: number[][] = [];
    for (const round of rounds.values()) {
      round.sort((a, b) => a - b).forEach((d, i) => (byRank[i] ??= []).push(d));
    }
    byRank.forEach((d, i) => {
      d.sort((a, b) => a - b);
      console.log(
        `  entry ${i + 1} of its candle: p50 ${percentile(d, 0.5).toFixed(2)} p90 ${
          percentile(d, 0.9).toFixed(2)
        } p99 ${percentile(d, 0.99).toFixed(2)} ms`,
      );
    });
    // The slowest entries, step by step.
    const slowest = [...traces].sort((a, b) =>
      (b.entrySentAt! - b.klineReceivedAt!) - (a.entrySentAt! - a.klineReceivedAt!)
    ).slice(0, 5);
    const path = [...steps, "entrySentAt"];
    for (const l of slowest) {
      const parts = path.slice(1).map((k, i) => `${k} +${(l[k]! - l[path[i]!]!).toFixed(2)}`);
      console.log(`  slow: ${parts.join(" ")}`);
    }
  }
  await store.close();
  await Deno.remove(config.AURA_DATA_DIR, { recursive: true }).catch(() => {});
  // The first hundred entries warm up the JIT and the database's plans.
  const measured = rows.slice(STRATEGIES).map((r) => {
    const l = r.latency as Record<string, number>;
    return { sent: l.entrySentAt! - l.klineReceivedAt!, signal: l.signalAt! - l.klineReceivedAt! };
  });
  const sent = measured.map((m) => m.sent).sort((a, b) => a - b);
  const signal = measured.map((m) => m.signal).sort((a, b) => a - b);
  return {
    candle_to_entry_sent_p50_ms: percentile(sent, 0.5),
    candle_to_entry_sent_p99_ms: percentile(sent, 0.99),
    candle_to_entry_sent_max_ms: sent.at(-1) ?? NaN,
    candle_to_signal_p99_ms: percentile(signal, 0.99),
    entries_measured: sent.length,
    rss_mb: Deno.memoryUsage().rss / 1024 / 1024,
  };
}

async function postgresUrl(): Promise<string | null> {
  const base = Deno.env.get("DATABASE_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const admin = postgres(base, { max: 1, onnotice: () => {}, connect_timeout: 2 });
  try {
    await admin`DROP DATABASE IF EXISTS aura_bench_e2e WITH (FORCE)`;
    await admin`CREATE DATABASE aura_bench_e2e`;
    const url = new URL(base);
    url.pathname = "/aura_bench_e2e";
    return url.toString();
  } catch {
    return null;
  } finally {
    await admin.end();
  }
}

/**
 * Runs the end-to-end scenarios and returns figures keyed `<storage> <bus> <figure>`.
 *
 * @example
 * ```ts
 * const figures = await benchPipelineEndToEnd();
 * console.log(figures["postgres memory candle_to_entry_sent_p99_ms"]);
 * ```
 */
export async function benchPipelineEndToEnd(): Promise<Record<string, number>> {
  configureLogging({ level: "ERROR" });
  const storages: Storage[] = [{
    name: "pglite",
    async open() {
      const db = await openPglite();
      await migrate(db);
      return { db, close: () => db.close() };
    },
  }];
  const pg = await postgresUrl();
  if (pg) {
    storages.unshift({
      name: "postgres",
      async open() {
        const db = openPostgres(pg);
        await migrate(db);
        return { db, url: pg, close: () => db.close() };
      },
    });
  } else console.log("pipeline_e2e postgres: skipped (no Postgres at DATABASE_URL or 127.0.0.1)");
  const buses: BusChoice[] = [{
    name: "memory",
    open: () => {
      const bus = new MemoryBus();
      return Promise.resolve({ bus, close: () => bus.close() });
    },
  }];
  const redis = (await redisAnswers(BENCH_REDIS_URL)) ? BENCH_REDIS_URL : null;
  if (redis) {
    buses.push({
      name: "redis",
      open: () => Promise.resolve(openScratchRedisBus(redis)),
    });
  } else console.log("pipeline_e2e redis: skipped (no Redis)");
  buses.push({
    name: "kv",
    async open() {
      const bus = await KvBus.open(":memory:");
      return { bus, close: () => bus.close() };
    },
  });

  // AURA_BENCH_ONLY="postgres memory" runs the scenarios whose name contains it.
  const only = Deno.env.get("AURA_BENCH_ONLY") ?? "";
  const figures: Record<string, number> = {};
  const record = (name: string, result: Record<string, number>) => {
    for (const [k, v] of Object.entries(result)) figures[`${name} ${k}`] = v;
  };
  for (const storage of storages) {
    for (const bus of buses) {
      const name = `${storage.name} ${bus.name} staggered`;
      // KV queues cost ~50 ms a hop: fewer rounds show it.
      if (name.includes(only)) {
        record(
          name,
          await run(storage, bus, {
            rounds: (bus.name === "kv" ? 2 : Number(Deno.env.get("AURA_BENCH_CYCLES") ?? 20)) *
              STEPS,
            mode: "staggered",
            thread: Deno.env.get("AURA_BENCH_THREAD") === "main" ? "main" : "worker",
          }),
        );
      }
    }
    // The same, with every intent recorded in the database before its order (AURA_INTENT_JOURNAL=db).
    const dbFirst = `${storage.name} memory staggered db-first`;
    if (dbFirst.includes(only)) {
      record(
        dbFirst,
        await run(storage, buses[0]!, {
          rounds: Number(Deno.env.get("AURA_BENCH_CYCLES") ?? 20) * STEPS,
          mode: "staggered",
          journal: "db",
        }),
      );
    }
    for (const mode of ["burst", "re-entering"] as const) {
      const name = `${storage.name} memory ${mode}`;
      if (name.includes(only)) record(name, await run(storage, buses[0]!, { rounds: 12, mode }));
    }
  }
  return figures;
}

if (import.meta.main) {
  const figures = await benchPipelineEndToEnd();
  for (const [name, value] of Object.entries(figures)) {
    console.log(`pipeline_e2e ${name}: ${Number.isInteger(value) ? value : value.toFixed(3)}`);
  }
}
