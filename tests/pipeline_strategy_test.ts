/**
 * The strategy stage on real pieces: the simulator (REST history + kline
 * stream), the ingest stage, the in-memory bus and PGlite. It must emit the
 * backtest's signals on the same candles, reach only the strategies of a
 * candle's (symbol, interval), and resume after a restart without skipping
 * or repeating a candle.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { KvBus } from "../adapters/bus/kv.ts";
import { MemoryBus } from "../adapters/bus/memory.ts";
import { RedisStreamsBus } from "../adapters/bus/redis_streams.ts";
import { loadConfig } from "../config.ts";
import type { Bus } from "../engine/ports/bus.ts";
import { startEngine } from "../engine_host.ts";
import { REDIS_TEST_URL, skipWithoutRedis } from "./helpers/services.ts";
import { waitFor } from "../adapters/bus/_wait.ts";
import { KlineHistory } from "../adapters/market/history.ts";
import { openPglite } from "../db/pglite.ts";
import type { Db } from "../db/port.ts";
import { migrate } from "../db/migrate.ts";
import { createStrategy, setStrategyActive } from "../db/strategies.ts";
import { createUser } from "../db/users.ts";
import { runBacktest } from "../engine/backtest/backtest.ts";
import type { Candle } from "../engine/candle.ts";
import { systemClock } from "../engine/clock.ts";
import { strategyChanged, type TradeSignal } from "../engine/events.ts";
import { busyStrategy, walkCandles } from "../engine/live/_test_market.ts";
import { configureLogging } from "../logger.ts";
import { type SimCandle, startSimulator } from "../sim/mod.ts";
import { startIngest } from "../workers/ingest.ts";
import { startStrategyStage, type StrategyStageDeps } from "../workers/strategy.ts";

configureLogging({ level: "FATAL" });

const toSim = (c: Candle): SimCandle => ({
  openTime: c.openTime,
  closeTime: c.closeTime,
  open: String(c.open),
  high: String(c.high),
  low: String(c.low),
  close: String(c.close),
  volume: String(c.volume),
});

// One embedded database for the file (its first start costs seconds); emptied per test.
let shared: Promise<Db> | null = null;
async function database(): Promise<Db> {
  shared ??= openPglite().then(async (db) => (await migrate(db), db));
  const db = await shared;
  await db.query(
    "TRUNCATE users, strategies, trades, strategy_runtime, klines RESTART IDENTITY CASCADE",
  );
  return db;
}

async function setup() {
  const db = await database();
  const sim = await startSimulator();
  const bus = new MemoryBus();
  const signals: TradeSignal[] = [];
  await bus.subscribe("signals", "test", (e) => {
    if (e.type === "trade_signal") signals.push(e);
  });
  const ingest = startIngest({
    bus,
    clock: systemClock,
    wsUrl: sim.wsUrl,
    restUrl: sim.url,
    jumpThresholdPercent: 20,
    backoff: { initialMs: 20, maxMs: 100 },
  });
  const history = new KlineHistory({
    restUrl: sim.url,
    clock: systemClock,
    db,
    jumpThresholdPercent: 20,
  });
  const user = await createUser(db, { username: "u", email: "u@example.com", passwordHash: "x" });
  const addStrategy = async (symbol = "BTCUSDT") => {
    const def = busyStrategy({ symbol });
    const s = await createStrategy(db, user.id, def);
    await setStrategyActive(db, user.id, s.id, true);
    return s.id;
  };
  const startStage = (extra: Partial<StrategyStageDeps> = {}) =>
    startStrategyStage({ db, bus, clock: systemClock, history, streams: ingest, ...extra });
  const close = async () => {
    await ingest.stop();
    await bus.close();
    await sim.close();
  };
  return { db, sim, bus, signals, ingest, addStrategy, startStage, close };
}

/** Index of a candle at which the backtest holds no position (a clean split). */
function flatSplit(candles: Candle[], from: number): number {
  const report = runBacktest(busyStrategy(), candles, { feeRate: 0.001 });
  for (let i = from; i < candles.length; i++) {
    const t = candles[i]!.closeTime;
    if (!report.trades.some((tr) => tr.entryTime <= t && tr.exitTime > t)) return i;
  }
  throw new Error("no flat candle");
}

function expectedSignalIds(candles: Candle[], split: number, strategyId: number): string[] {
  const report = runBacktest(busyStrategy(), candles, { feeRate: 0.001 });
  const after = candles[split - 1]!.closeTime;
  const ids: [number, string][] = [];
  for (const t of report.trades) {
    if (t.entryTime > after) ids.push([t.entryTime, `${strategyId}:${t.entryTime}:ENTRY`]);
    if (t.entryTime > after && t.status === "CLOSED_SIGNAL") {
      ids.push([t.exitTime, `${strategyId}:${t.exitTime}:EXIT`]);
    }
  }
  const open = report.openPosition;
  if (open && open.entryTime > after) {
    ids.push([open.entryTime, `${strategyId}:${open.entryTime}:ENTRY`]);
  }
  // On one candle an EXIT comes before the ENTRY it makes room for.
  return ids.sort((a, b) => a[0] - b[0] || (a[1].endsWith("EXIT") ? -1 : 1)).map((x) => x[1]);
}

Deno.test("[strategy] the live stage emits the backtest's signals on the same candles", async () => {
  const env = await setup();
  try {
    const candles = walkCandles(400, 11);
    const split = flatSplit(candles, 150);
    for (const c of candles.slice(0, split)) env.sim.pushCandle("BTCUSDT", toSim(c));
    const id = await env.addStrategy();
    const stage = await env.startStage();
    try {
      await waitFor(
        () => env.ingest.health().ok && env.ingest.health().stats.connects > 0,
        "ingest",
      );
      for (let i = split; i < candles.length; i++) {
        env.sim.pushCandle("BTCUSDT", toSim(candles[i]!));
        await waitFor(() => stage.health().candles === i - split + 1, `candle ${i}`);
      }
      const expected = expectedSignalIds(candles, split, id);
      assert.ok(expected.length >= 6, `only ${expected.length} signals expected`);
      assert.deepEqual(env.signals.map((s) => s.id), expected);
      const entry = env.signals.find((s) => s.action === "ENTRY")!;
      assert.equal(entry.userId > 0, true);
      assert.equal(entry.symbol, "BTCUSDT");
      assert.equal(entry.riskParams.takeProfitPercent, 0.4);
      assert.ok(entry.trace.klineReceivedAt <= entry.trace.signalAt);
      await waitFor(async () => {
        const [row] = await env.db.query(
          "SELECT last_candle_close_time FROM strategy_runtime WHERE strategy_id = $1",
          [id],
        );
        return Number(row?.last_candle_close_time) === candles.at(-1)!.closeTime;
      }, "the last candle saved");
    } finally {
      await stage.stop();
    }
  } finally {
    await env.close();
  }
});

Deno.test("[strategy] a candle reaches only the strategies of its (symbol, interval)", async () => {
  const env = await setup();
  try {
    const candles = walkCandles(60, 3);
    for (const c of candles.slice(0, 40)) env.sim.pushCandle("BTCUSDT", toSim(c));
    const btc = await env.addStrategy("BTCUSDT");
    const eth = await env.addStrategy("ETHUSDT");
    const stage = await env.startStage();
    try {
      assert.equal(stage.health().strategies, 2);
      assert.deepEqual(env.ingest.health().streams.sort(), [
        "btcusdt@kline_1m",
        "ethusdt@kline_1m",
      ]);
      await waitFor(
        () => env.ingest.health().ok && env.ingest.health().stats.connects > 0,
        "ingest",
      );
      for (let i = 40; i < 60; i++) env.sim.pushCandle("BTCUSDT", toSim(candles[i]!));
      await waitFor(() => stage.health().candles === 20, "20 candles");
      await waitFor(() => stage.health().pendingWrites === 0, "runtime saved");
      const rows = await env.db.query(
        "SELECT strategy_id, last_candle_close_time FROM strategy_runtime ORDER BY strategy_id",
      );
      const last = new Map(rows.map((r) => [Number(r.strategy_id), r.last_candle_close_time]));
      assert.equal(Number(last.get(btc)), candles[59]!.closeTime);
      assert.equal(last.get(eth) ?? null, null, "the ETH strategy saw no BTC candle");

      // Deactivation releases the stream; reactivation takes it again.
      await env.db.query("UPDATE strategies SET is_active = FALSE WHERE id = $1", [eth]);
      await stage.refresh(eth);
      assert.equal(stage.health().strategies, 1);
      assert.deepEqual(env.ingest.health().streams, ["btcusdt@kline_1m"]);
    } finally {
      await stage.stop();
    }
  } finally {
    await env.close();
  }
});

Deno.test('[strategy] changes follow an announcement on "control", and a lost one the periodic re-read', async () => {
  const env = await setup();
  try {
    const btc = await env.addStrategy("BTCUSDT");
    const stage = await env.startStage({ resyncIntervalMs: 300 });
    try {
      assert.equal(stage.health().strategies, 1);
      // Announced (as the API does): followed at once.
      const user = (await env.db.query("SELECT user_id FROM strategies WHERE id = $1", [btc]))[0]!;
      await env.db.query("UPDATE strategies SET is_active = FALSE WHERE id = $1", [btc]);
      await env.bus.publish("control", strategyChanged(Number(user.user_id), btc, Date.now()));
      await waitFor(() => stage.health().strategies === 0, "the announced deactivation", 250);
      // Not announced (a lost message): the re-read catches up.
      const eth = await env.addStrategy("ETHUSDT");
      await waitFor(() => stage.health().strategies === 1, "the periodic re-read", 2_000);
      assert.deepEqual(env.ingest.health().streams, ["ethusdt@kline_1m"]);
      await env.db.query("UPDATE strategies SET is_active = FALSE WHERE id = $1", [eth]);
      await stage.resync();
      assert.equal(stage.health().strategies, 0);
    } finally {
      await stage.stop();
    }
  } finally {
    await env.close();
  }
});

Deno.test("[strategy] a restarted stage neither skips nor repeats a candle", async () => {
  const env = await setup();
  try {
    const candles = walkCandles(400, 11);
    const split = flatSplit(candles, 150);
    for (const c of candles.slice(0, split)) env.sim.pushCandle("BTCUSDT", toSim(c));
    const id = await env.addStrategy();
    const push = async (stage: { health(): { candles: number } }, from: number, to: number) => {
      const base = stage.health().candles;
      for (let i = from; i < to; i++) {
        env.sim.pushCandle("BTCUSDT", toSim(candles[i]!));
        await waitFor(() => stage.health().candles === base + i - from + 1, `candle ${i}`);
      }
    };
    const first = await env.startStage();
    await waitFor(() => env.ingest.health().ok && env.ingest.health().stats.connects > 0, "ingest");
    await push(first, split, 250);
    await first.stop();

    // Down: candles 250-269 close while no strategy stage runs.
    for (let i = 250; i < 270; i++) env.sim.pushCandle("BTCUSDT", toSim(candles[i]!));

    const second = await env.startStage();
    try {
      await waitFor(() => env.ingest.health().ok, "ingest again");
      await waitFor(async () => {
        const [row] = await env.db.query(
          "SELECT last_candle_close_time FROM strategy_runtime WHERE strategy_id = $1",
          [id],
        );
        return Number(row?.last_candle_close_time) === candles[269]!.closeTime;
      }, "catch-up");
      await push(second, 270, candles.length);
      const ids = env.signals.map((s) => s.id);
      assert.equal(new Set(ids).size, ids.length, "no signal repeated");
      assert.deepEqual(ids, expectedSignalIds(candles, split, id));
    } finally {
      await second.stop();
    }
  } finally {
    await env.close();
  }
});

// The engine host with the strategy stage in its Web Worker, over each real bus adapter.
for (const kind of ["memory", "redis", "kv"] as const) {
  Deno.test({
    name: `[strategy] in its worker over the ${kind} bus, the engine emits the backtest's signals`,
    ignore: kind === "redis" && skipWithoutRedis(),
    // Redis and KV keep connections the bus closes asynchronously; PGlite
    // arms statement timers of its own while the worker's queries run.
    sanitizeResources: kind === "memory",
    sanitizeOps: false,
    async fn() {
      const db = await database();
      const sim = await startSimulator();
      const prefix = `aura:test:${crypto.randomUUID().slice(0, 8)}`;
      const bus: Bus = kind === "memory"
        ? new MemoryBus()
        : kind === "redis"
        ? new RedisStreamsBus({ url: REDIS_TEST_URL, prefix, blockMs: 100 })
        : await KvBus.open(":memory:");
      const signals: TradeSignal[] = [];
      await bus.subscribe("signals", "test", (e) => {
        if (e.type === "trade_signal") signals.push(e);
      });
      const dataDir = await Deno.makeTempDir({ prefix: "aura-strategy-" });
      try {
        const candles = walkCandles(260, 11);
        const split = flatSplit(candles, 150);
        for (const c of candles.slice(0, split)) sim.pushCandle("BTCUSDT", toSim(c));
        const user = await createUser(db, { username: "w", email: "w@x.io", passwordHash: "x" });
        const s = await createStrategy(db, user.id, busyStrategy());
        await setStrategyActive(db, user.id, s.id, true);
        const engine = await startEngine({
          config: loadConfig({
            AURA_DATA_DIR: dataDir,
            BINANCE_REST_URL: sim.url,
            BINANCE_WS_URL: sim.wsUrl,
            LOG_LEVEL: "FATAL",
          }),
          db,
          clock: systemClock,
          bus,
          startExecution: null,
          backoff: { initialMs: 20, maxMs: 100 },
        });
        try {
          await waitFor(() => engine.health().ingest?.stats.connects === 1, "ingest");
          for (let i = split; i < candles.length; i++) {
            sim.pushCandle("BTCUSDT", toSim(candles[i]!));
            await waitFor(() => engine.health().strategy.candles === i - split + 1, `candle ${i}`);
          }
          const expected = expectedSignalIds(candles, split, s.id);
          await waitFor(() => signals.length >= expected.length, "signals delivered");
          assert.deepEqual(signals.map((e) => e.id), expected);
        } finally {
          await engine.stop();
        }
      } finally {
        await bus.close();
        await sim.close();
        await Deno.remove(dataDir, { recursive: true });
        if (kind === "redis") await dropRedisKeys(prefix);
      }
    },
  });
}

async function dropRedisKeys(prefix: string): Promise<void> {
  const client = new Redis(REDIS_TEST_URL);
  const keys = await client.keys(`${prefix}:*`);
  if (keys.length) await client.del(...keys);
  client.disconnect();
}

Deno.test("[strategy] two shards share the strategies and each sees every candle", async () => {
  const env = await setup();
  try {
    const candles = walkCandles(320, 11);
    const split = flatSplit(candles, 150);
    for (const c of candles.slice(0, split)) env.sim.pushCandle("BTCUSDT", toSim(c));
    const first = await env.addStrategy();
    const second = await env.addStrategy();
    const start = (index: number) => env.startStage({ shard: { index, count: 2 } });
    const shards = [await start(0), await start(1)];
    try {
      assert.deepEqual(shards.map((s) => s.health().strategies), [1, 1]);
      await waitFor(
        () => env.ingest.health().stats.connects > 0 && env.ingest.health().ok,
        "ingest",
      );
      for (let i = split; i < candles.length; i++) {
        env.sim.pushCandle("BTCUSDT", toSim(candles[i]!));
        await waitFor(
          () => shards.every((s) => s.health().candles === i - split + 1),
          `candle ${i} in both shards`,
        );
      }
      const ids = env.signals.map((s) => s.id);
      for (const id of [first, second]) {
        const expected = expectedSignalIds(candles, split, id);
        assert.ok(expected.length > 0);
        assert.deepEqual(ids.filter((s) => s.startsWith(`${id}:`)), expected);
      }
    } finally {
      for (const s of shards) await s.stop();
    }
  } finally {
    await env.close();
  }
});
