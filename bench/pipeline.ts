/**
 * Pipeline latency: a closed candle arriving on the bus → every signal it
 * causes published on "signals" (the execution worker's input), through the
 * real strategy stage (fan-out, runners, runtime writes to an embedded
 * database). Strategies use always-true rules, so every candle makes each of
 * them exit and re-enter: two signals per strategy per candle.
 *
 * Scenarios: 100 strategies on 10 symbols over the in-memory bus (target
 * p99 ≤ 5 ms per candle), the same over Redis Streams and Deno KV queues, and
 * 1,000 strategies over 100 symbols whose candles close at the same moment
 * (target: all signals within 50 ms of the candles' arrival). Prints plain
 * lines and the process RSS. Candle → entry order sent, end to end through
 * the workers, is bench/pipeline_e2e.ts.
 *
 * Run: `deno run -A bench/pipeline.ts` (Redis at REDIS_URL or 127.0.0.1 db 15;
 * skipped with a line when absent).
 *
 * @module
 */

import { BENCH_REDIS_URL, openScratchRedisBus, redisAnswers } from "./_redis.ts";
import { KvBus } from "../adapters/bus/kv.ts";
import { MemoryBus } from "../adapters/bus/memory.ts";
import { migrate } from "../db/migrate.ts";
import { openPglite } from "../db/pglite.ts";
import type { Db } from "../db/port.ts";
import { createStrategy } from "../db/strategies.ts";
import { createUser } from "../db/users.ts";
import { systemClock } from "../engine/clock.ts";
import { klineClosed } from "../engine/events.ts";
import { KNOWN_SYMBOLS } from "../engine/orders/known_symbols.ts";
import type { Bus } from "../engine/ports/bus.ts";
import { configureLogging } from "../logger.ts";
import { startStrategyStage } from "../workers/strategy.ts";

const MINUTE = 60_000;
const T0 = Date.UTC(2025, 0, 1);

interface Scenario {
  name: string;
  strategies: number;
  symbols: number;
  rounds: number;
  bus: () => Promise<{ bus: Bus; cleanup(): Promise<void> }>;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

// Real symbols first: the paper exchange trades only symbols it has rules for.
const KNOWN = Object.keys(KNOWN_SYMBOLS).filter((s) => s.endsWith("USDT"));
const symbolName = (i: number) => KNOWN[i] ?? `S${String(i).padStart(3, "0")}USDT`;

async function seed(db: Db, strategies: number, symbols: number, users = 1): Promise<void> {
  await db.query("TRUNCATE users, strategies, strategy_runtime RESTART IDENTITY CASCADE");
  const ids: number[] = [];
  for (let u = 0; u < users; u++) {
    const user = await createUser(db, {
      username: `bench${u}`,
      email: `b${u}@x.io`,
      passwordHash: "x",
    });
    ids.push(user.id);
  }
  for (let i = 0; i < strategies; i++) {
    const s = await createStrategy(db, ids[i % users]!, {
      name: `bench ${i}`,
      symbol: symbolName(i % symbols),
      interval: "1m",
      entryConditions: [{ left: { indicator: "PRICE" }, op: ">", right: { value: 0 } }],
      exitConditions: [{ left: { indicator: "PRICE" }, op: ">", right: { value: 0 } }],
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

/** Runs one scenario; latencies per round (all symbols' candles → last signal), ms. */
async function run(db: Db, s: Scenario): Promise<Record<string, number>> {
  await seed(db, s.strategies, s.symbols);
  const { bus, cleanup } = await s.bus();
  const sentAt = new Map<string, number>(); // `${symbol}:${closeTime}` → performance.now()
  const lastSignal = new Map<string, number>();
  const signalLatency: number[] = [];
  let received = 0;
  const sub = await bus.subscribe("signals", "bench", (event) => {
    if (event.type !== "trade_signal") return;
    const key = `${event.symbol}:${event.candleCloseTime}`;
    const now = performance.now();
    lastSignal.set(key, now);
    signalLatency.push(now - sentAt.get(key)!);
    received++;
  });
  const stage = await startStrategyStage({
    db,
    bus,
    clock: systemClock,
    // No warm-up: the always-true rules need none.
    history: {
      latest: () => Promise.resolve([]),
      since: () => Promise.resolve({ klines: [], complete: true }),
    },
  });
  const roundLatency: number[] = [];
  const candleLatency: number[] = [];
  const writeLatency: number[] = [];
  let expected = 0;
  try {
    for (let r = 0; r < s.rounds; r++) {
      const openTime = T0 + r * MINUTE;
      const start = performance.now();
      for (let i = 0; i < s.symbols; i++) {
        const symbol = symbolName(i);
        const price = String(100 + (r % 5));
        sentAt.set(`${symbol}:${openTime + MINUTE - 1}`, performance.now());
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
          }, Date.now()),
        );
      }
      // The first candle only enters; every later one exits and re-enters.
      expected += r === 0 ? s.strategies : 2 * s.strategies;
      const deadline = performance.now() + 30_000;
      while (received < expected && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      if (received < expected) throw new Error(`${s.name}: round ${r} timed out`);
      let last = 0;
      for (let i = 0; i < s.symbols; i++) {
        const key = `${symbolName(i)}:${openTime + MINUTE - 1}`;
        const t = lastSignal.get(key)!;
        candleLatency.push(t - sentAt.get(key)!);
        last = Math.max(last, t);
      }
      roundLatency.push(last - start);
      // Candles of one interval close once per interval: let the background
      // runtime write of this round finish before the next close, as it would live.
      const writeStart = performance.now();
      while (stage.health().pendingWrites > 0) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      writeLatency.push(performance.now() - writeStart);
    }
  } finally {
    await stage.stop();
    await sub.close();
    await cleanup();
  }
  // The first rounds pay for JIT warm-up; keep them out of the figures.
  const skip = Math.min(3, Math.floor(s.rounds / 5));
  const rounds = roundLatency.slice(skip).sort((a, b) => a - b);
  const candles = candleLatency.slice(skip * s.symbols).sort((a, b) => a - b);
  const signals = signalLatency.slice(skip * s.strategies * 2).sort((a, b) => a - b);
  return {
    candle_p50_ms: percentile(candles, 0.5),
    candle_p99_ms: percentile(candles, 0.99),
    signal_p99_ms: percentile(signals, 0.99),
    round_p50_ms: percentile(rounds, 0.5),
    round_max_ms: rounds.at(-1) ?? NaN,
    signals: received,
    runtime_write_p50_ms: percentile(writeLatency.sort((a, b) => a - b), 0.5),
    rss_mb: Deno.memoryUsage().rss / 1024 / 1024,
  };
}

/**
 * Runs every scenario and returns figures keyed `<scenario> <figure>`.
 *
 * @example
 * ```ts
 * const figures = await benchPipeline();
 * console.log(figures["memory 100 strategies candle_p99_ms"]);
 * ```
 */
export async function benchPipeline(): Promise<Record<string, number>> {
  configureLogging({ level: "ERROR" });
  const db = await openPglite();
  await migrate(db);
  const redisUrl = BENCH_REDIS_URL;
  const scenarios: Scenario[] = [
    {
      name: "memory 100 strategies",
      strategies: 100,
      symbols: 10,
      rounds: 200,
      bus: () => Promise.resolve({ bus: new MemoryBus(), cleanup: () => Promise.resolve() }),
    },
    {
      name: "memory 1000 strategies",
      strategies: 1000,
      symbols: 100,
      rounds: 40,
      bus: () => Promise.resolve({ bus: new MemoryBus(), cleanup: () => Promise.resolve() }),
    },
    {
      name: "kv 100 strategies",
      strategies: 100,
      symbols: 10,
      rounds: 10,
      bus: async () => {
        const bus = await KvBus.open(":memory:");
        return { bus, cleanup: () => bus.close() };
      },
    },
  ];
  if (await redisAnswers(redisUrl)) {
    scenarios.splice(2, 0, {
      name: "redis 100 strategies",
      strategies: 100,
      symbols: 10,
      rounds: 100,
      bus: () => {
        const { bus, close } = openScratchRedisBus(redisUrl);
        return Promise.resolve({ bus, cleanup: close });
      },
    });
  } else {
    console.log(`pipeline redis: skipped (no Redis at ${redisUrl})`);
  }
  const figures: Record<string, number> = {};
  try {
    for (const scenario of scenarios) {
      const result = await run(db, scenario);
      for (const [k, v] of Object.entries(result)) figures[`${scenario.name} ${k}`] = v;
    }
  } finally {
    await db.close();
  }
  return figures;
}

if (import.meta.main) {
  const figures = await benchPipeline();
  for (const [name, value] of Object.entries(figures)) {
    console.log(`pipeline ${name}: ${Number.isInteger(value) ? value : value.toFixed(3)}`);
  }
}
