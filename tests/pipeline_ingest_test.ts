/**
 * The ingest stage against the real simulator and the in-memory bus:
 * exactly-once closed candles across a dropped WebSocket (REST backfill of
 * the gap), anomalies withheld, reference-counted streams.
 */
import assert from "node:assert/strict";
import { MemoryBus } from "../adapters/bus/memory.ts";
import { waitFor } from "../adapters/bus/_wait.ts";
import { BinanceKlineStream } from "../adapters/market/binance_ws.ts";
import type { KlineData } from "../engine/candle.ts";
import { systemClock } from "../engine/clock.ts";
import type { KlineClosed } from "../engine/events.ts";
import { configureLogging } from "../logger.ts";
import { type SimCandle, startSimulator } from "../sim/mod.ts";
import { startIngest } from "../workers/ingest.ts";

configureLogging({ level: "FATAL" });

const MINUTE = 60_000;
const T0 = Date.UTC(2025, 0, 1);

function candle(i: number, close = 100 + (i % 7)): SimCandle {
  return {
    openTime: T0 + i * MINUTE,
    closeTime: T0 + (i + 1) * MINUTE - 1,
    open: String(close),
    high: String(close + 1),
    low: String(close - 1),
    close: String(close),
    volume: "2",
  };
}

async function setup() {
  const sim = await startSimulator();
  const bus = new MemoryBus();
  const received: KlineClosed[] = [];
  await bus.subscribe("klines", "test", (event) => {
    if (event.type === "kline_closed") received.push(event);
  });
  const ingest = startIngest({
    bus,
    clock: systemClock,
    wsUrl: sim.wsUrl,
    restUrl: sim.url,
    jumpThresholdPercent: 20,
    backoff: { initialMs: 50, maxMs: 200 },
  });
  const close = async () => {
    await ingest.stop();
    await bus.close();
    await sim.close();
  };
  return { sim, bus, received, ingest, close };
}

const openTimes = (events: KlineClosed[], symbol = "BTCUSDT") =>
  events.filter((e) => e.symbol === symbol).map((e) => (e.kline.openTime - T0) / MINUTE);

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

Deno.test("[ingest] each closed candle is published exactly once across a dropped WebSocket", async () => {
  const { sim, received, ingest, close } = await setup();
  try {
    ingest.hold("BTCUSDT", "1m");
    await waitFor(() => ingest.health().stats.connects === 1 && ingest.health().ok, "connection");
    for (let i = 0; i < 5; i++) sim.pushCandle("BTCUSDT", candle(i));
    await waitFor(() => received.length === 5, "five live candles");

    sim.faults.dropWebSockets();
    // Closed while nobody listens: only REST can deliver these.
    for (let i = 5; i < 10; i++) sim.pushCandle("BTCUSDT", candle(i));
    await waitFor(() => ingest.health().stats.connects === 2, "reconnect");
    await waitFor(() => received.length === 10, "backfilled candles");
    for (let i = 10; i < 13; i++) sim.pushCandle("BTCUSDT", candle(i));
    await waitFor(() => received.length === 13, "live candles after reconnect");

    assert.deepEqual(openTimes(received), range(0, 13));
    assert.equal(new Set(received.map((e) => e.id)).size, 13);
    assert.equal(ingest.health().stats.backfilled, 5);
    const first = received[0]!;
    assert.equal(first.id, `BTCUSDT:1m:${T0}`);
    assert.equal(Number(first.kline.close), 100);
  } finally {
    await close();
  }
});

Deno.test("[ingest] anomalies are withheld and never published", async () => {
  const { sim, received, ingest, close } = await setup();
  try {
    ingest.hold("BTCUSDT", "1m");
    await waitFor(() => ingest.health().ok && ingest.health().stats.connects === 1, "connection");
    sim.pushCandle("BTCUSDT", candle(0, 100));
    sim.pushCandle("BTCUSDT", candle(1, 101));
    sim.pushCandle("BTCUSDT", { ...candle(2, 101), high: "90", low: "110" }); // high < low
    sim.pushCandle("BTCUSDT", candle(2, 102)); // the corrected copy passes
    sim.pushCandle("BTCUSDT", candle(2, 102)); // duplicate
    sim.pushCandle("BTCUSDT", candle(1, 101)); // out of order
    sim.pushCandle("BTCUSDT", candle(3, 150)); // +47%: price jump
    sim.pushCandle("BTCUSDT", candle(4, 151)); // sound relative to the new level
    await waitFor(() => received.length === 4, "sound candles");
    await waitFor(() => ingest.health().stats.outOfOrder === 1, "out-of-order candle seen");
    assert.deepEqual(openTimes(received), [0, 1, 2, 4]);
    assert.deepEqual(received.map((e) => Number(e.kline.close)), [100, 101, 102, 151]);
    const stats = ingest.health().stats;
    assert.equal(stats.anomalies, 2);
    assert.equal(stats.duplicates, 1);
  } finally {
    await close();
  }
});

Deno.test("[ingest] streams are reference counted: released by the last holder only", async () => {
  const { sim, received, ingest, close } = await setup();
  try {
    ingest.hold("BTCUSDT", "1m");
    ingest.hold("BTCUSDT", "1m");
    ingest.hold("ETHUSDT", "1m");
    await waitFor(() => ingest.health().ok && ingest.health().stats.connects === 1, "connection");
    assert.deepEqual(ingest.health().streams.sort(), ["btcusdt@kline_1m", "ethusdt@kline_1m"]);
    const push = (i: number) => {
      sim.pushCandle("BTCUSDT", candle(i));
      sim.pushCandle("ETHUSDT", candle(i, 3000));
    };
    push(0);
    await waitFor(() => received.length === 2, "both streams");

    ingest.release("BTCUSDT", "1m"); // one holder left
    push(1);
    await waitFor(() => received.length === 4, "both streams still");

    ingest.release("BTCUSDT", "1m"); // the last holder: UNSUBSCRIBE
    assert.deepEqual(ingest.health().streams, ["ethusdt@kline_1m"]);
    // The UNSUBSCRIBE goes out in a microtask; an ETH candle after it proves it was sent first.
    await new Promise((resolve) => queueMicrotask(() => resolve(undefined)));
    await waitFor(async () => {
      push(2 + received.length);
      await new Promise((r) => setTimeout(r, 20));
      return received.filter((e) => e.symbol === "ETHUSDT").length >= 4;
    }, "ETH candles after the unsubscribe");
    const btcAfter = received.filter((e) =>
      e.symbol === "BTCUSDT" && e.kline.openTime > T0 + MINUTE
    );
    assert.ok(btcAfter.length <= 1, `BTC candles after the last release: ${btcAfter.length}`);

    ingest.hold("BTCUSDT", "1m"); // subscribed again on the same connection
    const before = received.filter((e) => e.symbol === "BTCUSDT").length;
    await waitFor(async () => {
      push(100 + received.length);
      await new Promise((r) => setTimeout(r, 20));
      return received.filter((e) => e.symbol === "BTCUSDT").length > before;
    }, "BTC again after re-subscribing");
    assert.equal(ingest.health().stats.connects, 1, "all on one connection");
  } finally {
    await close();
  }
});

Deno.test("[ingest] the connection is rotated before the 24-hour cut without losing a candle", async () => {
  const sim = await startSimulator();
  const got: KlineData[] = [];
  const stream = new BinanceKlineStream({
    wsUrl: sim.wsUrl,
    restUrl: sim.url,
    clock: systemClock,
    jumpThresholdPercent: 20,
    maxConnectionMs: 150,
    backoff: { initialMs: 10, maxMs: 20 },
    onKline: (k) => void got.push(k),
  });
  try {
    stream.subscribe("BTCUSDT", "1m");
    await waitFor(() => stream.connected, "first connection");
    let i = 0;
    await waitFor(async () => {
      sim.pushCandle("BTCUSDT", candle(i++));
      await new Promise((r) => setTimeout(r, 10));
      return stream.stats.connects >= 3 && got.length >= 20;
    }, "several rotations");
    const expected = got.length;
    await waitFor(() => stream.connected, "connected");
    sim.pushCandle("BTCUSDT", candle(i++));
    await waitFor(() => got.length > expected && got.length === i, "every candle");
    assert.deepEqual(got.map((k) => (k.openTime - T0) / MINUTE), range(0, i));
  } finally {
    await stream.close();
    await sim.close();
  }
});

/** A hand-written stand-in for Binance's stream server: the test decides what it sends. */
function fakeStreamServer() {
  const sockets: WebSocket[] = [];
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    requests.push(new URL(req.url).pathname + new URL(req.url).search);
    socket.onopen = () => sockets.push(socket);
    return response;
  });
  const send = (message: unknown) => {
    const socket = sockets.at(-1)!;
    socket.send(JSON.stringify(message));
  };
  const kline = (c: SimCandle, closed = true) => ({
    stream: "btcusdt@kline_1m",
    data: {
      e: "kline",
      E: c.closeTime,
      s: "BTCUSDT",
      k: {
        t: c.openTime,
        T: c.closeTime,
        s: "BTCUSDT",
        i: "1m",
        o: c.open,
        h: c.high,
        l: c.low,
        c: c.close,
        v: c.volume,
        x: closed,
      },
    },
  });
  return {
    url: `ws://127.0.0.1:${server.addr.port}`,
    sockets,
    requests,
    send,
    kline,
    close: async () => {
      for (const s of sockets) if (s.readyState === WebSocket.OPEN) s.close();
      await server.shutdown();
    },
  };
}

Deno.test("[ingest] a serverShutdown event makes the client reconnect at once and backfill", async () => {
  const sim = await startSimulator();
  const fake = fakeStreamServer();
  const got: KlineData[] = [];
  const prices: string[] = [];
  const stream = new BinanceKlineStream({
    wsUrl: fake.url,
    restUrl: sim.url,
    clock: systemClock,
    jumpThresholdPercent: 20,
    backoff: { initialMs: 10_000, maxMs: 10_000 }, // only the announced shutdown reconnects fast
    onKline: (k) => void got.push(k),
    onPrice: (_symbol, price) => void prices.push(price),
  });
  try {
    stream.subscribe("BTCUSDT", "1m");
    await waitFor(() => fake.sockets.length === 1, "connection");
    assert.equal(fake.requests[0], "/stream?streams=btcusdt@kline_1m");
    for (let i = 0; i < 3; i++) sim.pushCandle("BTCUSDT", candle(i)); // REST history
    fake.send(fake.kline(candle(0), false)); // still open: a price, not a candle
    fake.send(fake.kline(candle(0)));
    await waitFor(() => got.length === 1, "first closed candle");
    assert.equal(prices.length, 2);

    fake.send({ e: "serverShutdown", E: Date.now() });
    await waitFor(
      () => fake.sockets.length === 2 && stream.connected,
      "reconnect after shutdown",
      3_000,
    );
    await waitFor(() => got.length === 3, "backfill of candles 1-2 through REST");
    fake.send(fake.kline(candle(3)));
    await waitFor(() => got.length === 4, "live again");
    assert.deepEqual(got.map((k) => (k.openTime - T0) / MINUTE), [0, 1, 2, 3]);
  } finally {
    await stream.close();
    await fake.close();
    await sim.close();
  }
});
