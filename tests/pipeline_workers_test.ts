/**
 * The stages in their Deno Web Workers, as the engine host runs them: the
 * database served across threads (transactions included), the execution
 * worker trading on paper and — with keys it decrypts itself — on the
 * simulator, and the ingest worker streaming candles from the simulator.
 */
import assert from "node:assert/strict";
import { MemoryBus } from "../adapters/bus/memory.ts";
import { waitFor } from "../adapters/bus/_wait.ts";
import { configSchema } from "../config.ts";
import { systemClock } from "../engine/clock.ts";
import type { AuraEvent, KlineClosed } from "../engine/events.ts";
import { loadMasterKeys, SecretBox } from "../services/secrets.ts";
import { startSimulator } from "../sim/mod.ts";
import { configureLogging } from "../logger.ts";
import { startExecutionWorker } from "../workers/_execution_thread.ts";
import { startIngestWorker } from "../workers/_ingest_thread.ts";
import { Caller, RemoteDb, serveCalls, serveDb } from "../workers/_thread.ts";
import {
  seedUser,
  signalOf,
  SIM_KEY,
  SIM_SECRET,
  tradesOf,
  waitFor as waitForValue,
} from "./fixtures/execution_rig.ts";
import { dbSuite } from "./helpers/db.ts";

configureLogging({ level: "FATAL" });

const T0 = Date.UTC(2025, 0, 1);
const MASTER_KEY = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));

const suite = dbSuite();

suite.test("a worker's transactions commit, roll back, and are abandoned when it goes", async (db) => {
  const channel = new MessageChannel();
  channel.port1.start();
  channel.port2.start();
  const served = serveDb(db);
  const stop = serveCalls(channel.port1, served.methods);
  const caller = new Caller(channel.port2);
  const remote = new RemoteDb(caller, db.kind);
  const count = async () =>
    Number((await db.query("SELECT count(*)::int AS n FROM system_logs"))[0]!.n);
  const insert = (message: string) => ({
    text: "INSERT INTO system_logs (level, service, message) VALUES ('INFO', 'test', $1)",
    params: [message],
  });
  try {
    const value = await remote.transaction(async (tx) => {
      const { text, params } = insert("kept");
      await tx.query(text, params);
      return 42;
    });
    assert.equal(value, 42);
    assert.equal(await count(), 1, "committed");

    await assert.rejects(
      remote.transaction(async (tx) => {
        const { text, params } = insert("dropped");
        await tx.query(text, params);
        throw new Error("changed my mind");
      }),
      /changed my mind/,
    );
    assert.equal(await count(), 1, "rolled back");

    // A worker that dies inside a transaction: the main thread rolls it back.
    const stuck = remote.transaction(async (tx) => {
      const { text, params } = insert("orphan");
      await tx.query(text, params);
      await new Promise(() => {});
    });
    stuck.catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    await served.abandon();
    assert.equal(await count(), 1, "the abandoned transaction left nothing");
    assert.equal((await db.query("SELECT 1 AS one"))[0]!.one, 1, "the database is free again");
  } finally {
    caller.dispose();
    stop();
    channel.port1.close();
    channel.port2.close();
  }
});

suite.test(
  "the execution worker trades a paper signal: entry, OCO, trade_opened",
  async (db, _kind, url) => {
    const ids = await seedUser(db);
    const bus = new MemoryBus();
    const events: AuraEvent[] = [];
    await bus.subscribe("orders", "test", (event) => void events.push(event));
    const dataDir = await Deno.makeTempDir();
    const config = configSchema.parse({
      AURA_DATA_DIR: dataDir,
      AURA_MASTER_KEY: MASTER_KEY,
      AURA_MARKET_DATA: "none",
      BINANCE_REST_URL: "http://127.0.0.1:9",
      // On Postgres the worker opens a pool of its own.
      ...(url ? { DATABASE_URL: url, DATABASE_POOL_SIZE: "2" } : {}),
    });
    const worker = await startExecutionWorker({ bus, db, clock: systemClock, config });
    try {
      assert.ok(worker.health().ok, "reconciled and consuming");
      await bus.publish("signals", signalOf(ids, "ENTRY", T0));
      const opened = await waitForValue(
        () => events.find((e) => e.type === "trade_opened"),
        "trade_opened from the worker",
      );
      assert.equal(opened.type === "trade_opened" && opened.userId, ids.userId);
      const [trade] = await tradesOf(db, ids.userId);
      assert.equal(trade!.status, "OPEN");
      assert.ok(trade!.ocoListClientOrderId, "protected by an OCO");
      assert.ok(trade!.isPaper);
      await worker.reconcileNow();
      await waitFor(() => worker.health().signals === 1, "the worker's health report");
    } finally {
      await worker.stop();
      await bus.close();
      await Deno.remove(dataDir, { recursive: true });
    }
    assert.equal(worker.health().ok, false, "stopped");
  },
);

suite.test(
  "the execution worker decrypts a live user's keys itself and trades on the simulator",
  async (db, _kind, url) => {
    const sim = await startSimulator({ startPrices: { BTCUSDT: "50000" } });
    sim.addAccount(SIM_KEY, SIM_SECRET, { USDT: "10000" });
    const dataDir = await Deno.makeTempDir();
    const config = configSchema.parse({
      AURA_DATA_DIR: dataDir,
      AURA_MASTER_KEY: MASTER_KEY,
      AURA_MARKET_DATA: "none",
      BINANCE_REST_URL: sim.url,
      ...(url ? { DATABASE_URL: url, DATABASE_POOL_SIZE: "2" } : {}),
    });
    // The same master key the worker loads from its configuration.
    const box = new SecretBox(
      await loadMasterKeys({ masterKey: MASTER_KEY, keyId: "k1", dataDir }),
    );
    const ids = await seedUser(db, { live: box });
    const bus = new MemoryBus();
    const worker = await startExecutionWorker({ bus, db, clock: systemClock, config });
    try {
      await bus.publish("signals", signalOf(ids, "ENTRY", T0));
      const trade = await waitForValue(
        async () => (await tradesOf(db, ids.userId)).find((t) => t.ocoListClientOrderId),
        "a protected live trade",
      );
      assert.equal(trade.isPaper, false);
      const orders = sim.orders(SIM_KEY) as { clientOrderId: string }[];
      assert.ok(
        orders.some((o) => o.clientOrderId === trade.clientOrderIdEntry),
        "entry on the simulator",
      );
    } finally {
      await worker.stop();
      await bus.close();
      await sim.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);

suite.end();

Deno.test("[ingest] the ingest worker streams closed candles and live prices from the simulator", async () => {
  const sim = await startSimulator();
  const bus = new MemoryBus();
  const received: KlineClosed[] = [];
  await bus.subscribe("klines", "test", (event) => {
    if (event.type === "kline_closed") received.push(event);
  });
  const prices: string[] = [];
  const ingest = await startIngestWorker({
    bus,
    onPrice: (symbol, price) => prices.push(`${symbol}:${price}`),
    init: {
      wsUrl: sim.wsUrl,
      restUrl: sim.url,
      jumpThresholdPercent: 20,
      backoff: { initialMs: 50, maxMs: 200 },
    },
  });
  try {
    ingest.hold("BTCUSDT", "1m");
    await waitFor(() => ingest.health().stats.connects === 1 && ingest.health().ok, "connection");
    for (let i = 0; i < 3; i++) {
      const close = String(100 + i);
      sim.pushCandle("BTCUSDT", {
        openTime: T0 + i * 60_000,
        closeTime: T0 + (i + 1) * 60_000 - 1,
        open: close,
        high: close,
        low: close,
        close,
        volume: "1",
      });
    }
    await waitFor(() => received.length === 3, "three candles over the bridge");
    assert.deepEqual(received.map((e) => e.kline.close), [
      "100.00000000",
      "101.00000000",
      "102.00000000",
    ]);
    await waitFor(
      () => prices.includes("BTCUSDT:102.00000000"),
      "the last price on the main thread",
    );
    await waitFor(() => ingest.health().stats.published === 3, "the worker's health report");
    ingest.release("BTCUSDT", "1m");
    await waitFor(() => ingest.health().streams.length === 0, "the stream released");
  } finally {
    await ingest.stop();
    await bus.close();
    await sim.close();
  }
});
