/**
 * The ccxt adapter's order events through Binance's WebSocket API user data
 * stream, against the simulator: delivery with polling off, the catch-up poll
 * after a dropped connection, one event per id when stream and polling both
 * run (with the polling path's exact content), the fallback to polling when
 * the WebSocket cannot connect, and what goes over the wire.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import {
  CcxtBinanceExchange,
  type CcxtBinanceOptions,
  wsApiUrlOf,
} from "../adapters/exchange/ccxt_binance.ts";
import { UserEventTranslator } from "../adapters/exchange/_user_events.ts";
import { waitFor } from "../adapters/exchange/contract_test_suite.ts";
import { tradeClientIds } from "../engine/orders/client_ids.ts";
import { planEntry, planOco } from "../engine/orders/plan.ts";
import type { Fill, Order, OrderEvent } from "../engine/ports/exchange.ts";
import type { SimCandle } from "../sim/market.ts";
import { type Simulator, startSimulator } from "../sim/server.ts";

const KEY = "stream-key";
const SECRET = "stream-secret-never-sent";

interface Adapter {
  exchange: CcxtBinanceExchange;
  events: OrderEvent[];
  /** Every text frame the adapter sent. */
  sent: string[];
  /** Sockets opened so far. */
  connections: () => number;
}

/** An adapter on `sim` recording its events and every frame it sends. */
function openAdapter(sim: Simulator, options: Partial<CcxtBinanceOptions> = {}): Adapter {
  const sent: string[] = [];
  let connections = 0;
  const exchange = new CcxtBinanceExchange({
    apiKey: KEY,
    secret: SECRET,
    endpoint: sim.url,
    userStream: { initialDelayMs: 50, maxDelayMs: 200 },
    connectWebSocket: (url) => {
      connections++;
      const socket = new WebSocket(url);
      const send = socket.send.bind(socket);
      socket.send = (data) => {
        sent.push(String(data));
        send(data);
      };
      return socket;
    },
    ...options,
  });
  const events: OrderEvent[] = [];
  exchange.subscribeOrderEvents((event) => events.push(event));
  return { exchange, events, sent, connections: () => connections };
}

async function withSim(body: (sim: Simulator) => Promise<void>): Promise<void> {
  const sim = await startSimulator({ startPrices: { BTCUSDT: "50000" } });
  sim.addAccount(KEY, SECRET, { USDT: "10000" });
  try {
    await body(sim);
  } finally {
    await sim.close();
  }
}

/** Market entry then a 2 % / 1 % OCO, as the execution engine places them. */
async function enter(exchange: CcxtBinanceExchange, signalId: string) {
  const rules = await exchange.getSymbolRules("BTCUSDT");
  const lastPrice = await exchange.getLastPrice("BTCUSDT");
  const entry = await exchange.marketBuyQuote(planEntry({
    signal: { id: signalId, symbol: "BTCUSDT", takeProfitPercent: 2, stopLossPercent: 1 },
    rules,
    quoteBalance: (await exchange.getBalances()).USDT?.free ?? "0",
    positionSizeUsd: 100,
    lastPrice,
  }));
  const oco = planOco({
    rules,
    executedQty: entry.executedQty,
    commission: entry.commission,
    commissionAsset: entry.commissionAsset,
    entryPrice: entry.avgPrice,
    lastPrice,
    takeProfitPercent: 2,
    stopLossPercent: 1,
  });
  if (oco.action !== "PLACE_OCO") throw new Error(`expected an OCO, got ${oco.action}`);
  const ids = tradeClientIds(signalId);
  await exchange.placeOco({
    symbol: "BTCUSDT",
    ...oco,
    listClientOrderId: ids.ocoList,
    aboveClientOrderId: ids.takeProfit,
    belowClientOrderId: ids.stopLoss,
  });
  return { entry, oco, ids };
}

/** A 1m candle spanning `low`..`high`. */
function bar(minute: number, low: string, high: string): SimCandle {
  const openTime = Date.UTC(2025, 0, 1) + minute * 60_000;
  return { openTime, closeTime: openTime + 59_999, open: low, high, low, close: high, volume: "3" };
}

const listPolls = (sim: Simulator, since = 0) =>
  sim.requestLog.slice(since).filter((r) => r.path === "/api/v3/openOrderList").length;
const countOf = (events: OrderEvent[], id: string) => events.filter((e) => e.id === id).length;
const eventWith = (events: OrderEvent[], id: string) => () => events.find((e) => e.id === id);

Deno.test("[user stream] an OCO take-profit fill arrives through the stream with polling off", () =>
  withSim(async (sim) => {
    const a = openAdapter(sim, { pollIntervalMs: 0, safetyPollIntervalMs: 0 });
    try {
      await waitFor(() => a.exchange.userStreamLive || undefined, "the subscription");
      // The one catch-up poll that follows every (re)connect.
      await waitFor(() => listPolls(sim) > 0 || undefined, "the catch-up poll");
      const { ids, oco } = await enter(a.exchange, "uds-tp");
      const mark = sim.requestLog.length;
      sim.pushCandle("BTCUSDT", bar(0, "50000", "51500"));
      const event = await waitFor(eventWith(a.events, `oco_leg_filled:${ids.ocoList}`), "the fill");
      assert.ok(event.type === "oco_leg_filled");
      assert.equal(event.leg, "TAKE_PROFIT");
      assert.equal(event.price, oco.takeProfitPrice);
      assert.equal(event.quantity, oco.quantity);
      assert.equal(event.clientOrderId, ids.takeProfit);
      assert.equal(listPolls(sim, mark), 0, "no REST poll ran after the fill");
      assert.equal(countOf(a.events, `order_filled:${ids.entry}`), 1);
    } finally {
      await a.exchange.close();
    }
  }));

Deno.test("[user stream] events during a dropped connection arrive once after the reconnect", () =>
  withSim(async (sim) => {
    const a = openAdapter(sim, { pollIntervalMs: 0, safetyPollIntervalMs: 0 });
    try {
      await waitFor(() => a.exchange.userStreamLive || undefined, "the subscription");
      const first = await enter(a.exchange, "uds-gap-1");
      sim.faults.dropWebSockets();
      // Fills while no socket is open: only the catch-up poll after the reconnect can see it.
      sim.pushCandle("BTCUSDT", bar(0, "50000", "51500"));
      await waitFor(eventWith(a.events, `oco_leg_filled:${first.ids.ocoList}`), "the gap's fill");
      await waitFor(() => a.exchange.userStreamLive || undefined, "the resubscription");
      assert.ok(a.connections() >= 2, "a second socket was opened");
      const subscribes = a.sent.filter((f) => f.includes("userDataStream.subscribe.signature"));
      assert.ok(subscribes.length >= 2, "it subscribed again");

      // After the reconnect the stream itself delivers again.
      const second = await enter(a.exchange, "uds-gap-2");
      const mark = sim.requestLog.length;
      sim.pushCandle("BTCUSDT", bar(1, "49000", "51000"));
      const stop = await waitFor(
        eventWith(a.events, `oco_leg_filled:${second.ids.ocoList}`),
        "the stop-loss after the reconnect",
      );
      assert.ok(stop.type === "oco_leg_filled" && stop.leg === "STOP_LOSS");
      assert.equal(listPolls(sim, mark), 0);
      const ids = a.events.map((e) => e.id);
      assert.deepEqual(ids, [...new Set(ids)], "no event id twice");
      assert.equal(countOf(a.events, `oco_leg_filled:${first.ids.ocoList}`), 1);
    } finally {
      await a.exchange.close();
    }
  }));

Deno.test("[user stream] stream and fast polling together still report each event once", () =>
  withSim(async (sim) => {
    const a = openAdapter(sim, { pollIntervalMs: 10, safetyPollIntervalMs: 10 });
    try {
      await waitFor(() => a.exchange.userStreamLive || undefined, "the subscription");
      const { ids } = await enter(a.exchange, "uds-both");
      sim.pushCandle("BTCUSDT", bar(0, "50000", "51500"));
      await waitFor(eventWith(a.events, `oco_leg_filled:${ids.ocoList}`), "the fill");
      const mark = sim.requestLog.length;
      // Let the safety poll look at the finished list a few times.
      await waitFor(() => listPolls(sim, mark) >= 3 || undefined, "three more polls");
      assert.equal(countOf(a.events, `oco_leg_filled:${ids.ocoList}`), 1);
      assert.equal(countOf(a.events, `order_filled:${ids.entry}`), 1);
      assert.equal(a.events.length, 2);
    } finally {
      await a.exchange.close();
    }
  }));

Deno.test("[user stream] stream events carry the same ids and content as the polling path", () =>
  withSim(async (sim) => {
    // One account, two adapters: one hears only the stream, the other only polls (and trades).
    const stream = openAdapter(sim, { pollIntervalMs: 0, safetyPollIntervalMs: 0 });
    const polling = openAdapter(sim, { wsApiUrl: null, pollIntervalMs: 10 });
    try {
      await waitFor(() => stream.exchange.userStreamLive || undefined, "the subscription");
      const { ids } = await enter(polling.exchange, "uds-same");
      sim.pushCandle("BTCUSDT", bar(0, "50000", "51500"));
      const id = `oco_leg_filled:${ids.ocoList}`;
      const fromStream = await waitFor(eventWith(stream.events, id), "the streamed fill");
      const fromPoll = await waitFor(eventWith(polling.events, id), "the polled fill");
      assert.deepEqual(fromStream, fromPoll);
      const entryId = `order_filled:${ids.entry}`;
      const entryStream = await waitFor(eventWith(stream.events, entryId), "the streamed entry");
      assert.deepEqual(entryStream, polling.events.find((e) => e.id === entryId));
      assert.equal(polling.connections(), 0, "wsApiUrl null opens no socket");
    } finally {
      await stream.exchange.close();
      await polling.exchange.close();
    }
  }));

Deno.test("[user stream] polling takes over while the WebSocket cannot connect", () =>
  withSim(async (sim) => {
    // Nothing listens on the WebSocket URL: every attempt is refused and retried with backoff.
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (closed.addr as Deno.NetAddr).port;
    closed.close();
    const a = openAdapter(sim, {
      wsApiUrl: `ws://127.0.0.1:${port}/ws-api/v3`,
      pollIntervalMs: 10,
      safetyPollIntervalMs: 0,
    });
    try {
      const { ids } = await enter(a.exchange, "uds-fallback");
      await waitFor(() => a.connections() >= 2 || undefined, "a reconnect attempt");
      await waitFor(() => listPolls(sim) > 0 || undefined, "a poll that tracks the list");
      sim.pushCandle("BTCUSDT", bar(0, "50000", "51500"));
      await waitFor(eventWith(a.events, `oco_leg_filled:${ids.ocoList}`), "the polled fill");
      assert.equal(a.exchange.userStreamLive, false);
    } finally {
      await a.exchange.close();
    }
  }));

Deno.test("[user stream] the secret goes out only as the key of the subscription's signature", () =>
  withSim(async (sim) => {
    const a = openAdapter(sim, { pollIntervalMs: 0 });
    try {
      await waitFor(() => a.exchange.userStreamLive || undefined, "the subscription");
      sim.faults.dropWebSockets();
      await waitFor(() => a.connections() >= 2 || undefined, "a reconnect");
      await waitFor(() => a.exchange.userStreamLive || undefined, "the resubscription");
      assert.ok(a.sent.length >= 2);
      for (const frame of a.sent) {
        assert.ok(!frame.includes(SECRET), `secret in ${frame}`);
        const message = JSON.parse(frame);
        assert.equal(message.method, "userDataStream.subscribe.signature");
        const { signature, ...params } = message.params;
        assert.deepEqual(Object.keys(params).sort(), ["apiKey", "recvWindow", "timestamp"]);
        assert.equal(params.apiKey, KEY);
        const payload = Object.keys(params).sort().map((k) => `${k}=${params[k]}`).join("&");
        assert.equal(signature, createHmac("sha256", SECRET).update(payload).digest("hex"));
      }
    } finally {
      await a.exchange.close();
    }
  }));

Deno.test("[user stream] cancelling an OCO is reported once although reply and stream both show it", () =>
  withSim(async (sim) => {
    const a = openAdapter(sim, { pollIntervalMs: 0, safetyPollIntervalMs: 0 });
    try {
      await waitFor(() => a.exchange.userStreamLive || undefined, "the subscription");
      const { ids } = await enter(a.exchange, "uds-cancel");
      await a.exchange.cancelOrderList({ symbol: "BTCUSDT", listClientOrderId: ids.ocoList });
      const id = `oco_cancelled:${ids.ocoList}`;
      await waitFor(eventWith(a.events, id), "the cancellation");
      // A later stream event proves the cancel's own reports were already processed.
      sim.pushCandle("BTCUSDT", bar(0, "50000", "50100"));
      await enter(a.exchange, "uds-cancel-2");
      await waitFor(
        eventWith(a.events, `order_filled:${tradeClientIds("uds-cancel-2").entry}`),
        "a later event",
      );
      assert.equal(countOf(a.events, id), 1);
    } finally {
      await a.exchange.close();
    }
  }));

Deno.test("[user stream] a connection that stops answering pings is dropped and reopened", () =>
  withSim(async (sim) => {
    // A WebSocket API that acknowledges the subscription, then goes silent (a half-open link).
    let accepted = 0;
    const sockets: WebSocket[] = [];
    const silent = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
      const { socket, response } = Deno.upgradeWebSocket(request);
      accepted++;
      sockets.push(socket);
      socket.onmessage = (message) => {
        const { id, method } = JSON.parse(String(message.data));
        if (method === "userDataStream.subscribe.signature") {
          socket.send(JSON.stringify({ id, status: 200, result: { subscriptionId: 0 } }));
        }
      };
      return response;
    });
    const a = openAdapter(sim, {
      wsApiUrl: `ws://127.0.0.1:${silent.addr.port}/ws-api/v3`,
      pollIntervalMs: 0,
      userStream: { initialDelayMs: 20, maxDelayMs: 50, heartbeatMs: 20, subscribeTimeoutMs: 50 },
    });
    try {
      await waitFor(() => accepted >= 2 || undefined, "a second connection");
      assert.ok(a.sent.some((frame) => JSON.parse(frame).method === "ping"), "it pinged");
    } finally {
      await a.exchange.close();
      for (const socket of sockets) if (socket.readyState === WebSocket.OPEN) socket.close();
      await silent.shutdown();
    }
  }));

Deno.test("[user stream] the WebSocket API URL follows the endpoint", () => {
  assert.equal(wsApiUrlOf("live"), "wss://ws-api.binance.com:443/ws-api/v3");
  assert.equal(wsApiUrlOf("https://api.binance.com/"), "wss://ws-api.binance.com:443/ws-api/v3");
  assert.equal(wsApiUrlOf("testnet"), "wss://ws-api.testnet.binance.vision/ws-api/v3");
  assert.equal(
    wsApiUrlOf("https://testnet.binance.vision"),
    "wss://ws-api.testnet.binance.vision/ws-api/v3",
  );
  assert.equal(wsApiUrlOf("http://127.0.0.1:4100"), "ws://127.0.0.1:4100/ws-api/v3");
});

// ---- the translation alone, with Binance's payloads written out ----

interface Translated {
  translator: UserEventTranslator;
  events: OrderEvent[];
  settled: string[];
  lookups: Order[];
}

function translator(fills: Fill[] = []): Translated {
  const events: OrderEvent[] = [];
  const settled: string[] = [];
  const lookups: Order[] = [];
  const t = new UserEventTranslator({
    emit: (event) => events.push(event),
    settled: (id) => settled.push(id),
    fillsOf: (order) => {
      lookups.push(order);
      return Promise.resolve(fills);
    },
  });
  return { translator: t, events, settled, lookups };
}

/** An executionReport of an OCO leg (list 7, legs 11 = stop, 12 = take-profit). */
function report(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    e: "executionReport",
    E: 1_700_000_000_100,
    s: "BTCUSDT",
    c: "TP-1",
    S: "SELL",
    o: "LIMIT_MAKER",
    q: "0.002",
    p: "51000",
    P: "0",
    g: 7,
    C: "",
    x: "NEW",
    X: "NEW",
    i: 12,
    l: "0",
    z: "0",
    L: "0",
    n: "0",
    N: null,
    T: 1_700_000_000_000,
    t: -1,
    O: 1_699_999_999_000,
    Z: "0",
    ...fields,
  };
}

const allDone = {
  e: "listStatus",
  E: 1_700_000_000_100,
  s: "BTCUSDT",
  g: 7,
  c: "OCO",
  l: "ALL_DONE",
  L: "ALL_DONE",
  r: "NONE",
  C: "LIST-1",
  T: 1_700_000_000_050,
  O: [{ s: "BTCUSDT", i: 11, c: "SL-1" }, { s: "BTCUSDT", i: 12, c: "TP-1" }],
};

const tpFill = report({
  x: "TRADE",
  X: "FILLED",
  l: "0.002",
  z: "0.002",
  L: "51000",
  n: "0.102",
  N: "USDT",
  t: 99,
  Z: "102",
});
const slExpired = report({ c: "SL-1", o: "STOP_LOSS_LIMIT", i: 11, x: "EXPIRED", X: "EXPIRED" });

Deno.test("[user stream] a list is reported once its status and both legs are in, in any order", () => {
  for (const order of [[allDone, tpFill, slExpired], [tpFill, slExpired, allDone]]) {
    const t = translator();
    for (const event of order.slice(0, 2)) t.translator.handle(event);
    assert.equal(t.events.length, 0, "not before the last piece");
    t.translator.handle(order[2]!);
    assert.equal(t.events.length, 1);
    const event = t.events[0]!;
    assert.ok(event.type === "oco_leg_filled");
    assert.deepEqual(
      [event.id, event.leg, event.price, event.quantity, event.quoteQty, event.commission],
      ["oco_leg_filled:LIST-1", "TAKE_PROFIT", "51000", "0.002", "102", "0.102"],
    );
    assert.deepEqual(t.settled, ["LIST-1"]);
    assert.equal(t.lookups.length, 0, "the stream showed every fill");
  }
});

Deno.test("[user stream] a leg whose earlier fills the stream missed takes its commissions from REST", async () => {
  const t = translator([
    { price: "51000", qty: "0.001", commission: "0.051", commissionAsset: "USDT", tradeId: "98" },
    { price: "51000", qty: "0.001", commission: "0.051", commissionAsset: "USDT", tradeId: "99" },
  ]);
  // Only the second of two partial fills arrived.
  t.translator.handle({ ...tpFill, l: "0.001", n: "0.051" });
  t.translator.handle(slExpired);
  t.translator.handle(allDone);
  await t.translator.settle();
  assert.equal(t.lookups.length, 1);
  const event = t.events[0]!;
  assert.ok(event.type === "oco_leg_filled");
  assert.equal(event.commission, "0.102");
});

Deno.test("[user stream] cancelled legs become oco_cancelled under the list's client id", () => {
  const t = translator();
  // A cancel report carries the cancel request's id in c and the order's own in C.
  t.translator.handle(report({ c: "cancel-a", C: "TP-1", x: "CANCELED", X: "CANCELED" }));
  t.translator.handle(
    report({ c: "cancel-b", C: "SL-1", o: "STOP_LOSS_LIMIT", i: 11, x: "CANCELED", X: "CANCELED" }),
  );
  t.translator.handle(allDone);
  assert.deepEqual(t.events.map((e) => [e.type, e.id]), [[
    "oco_cancelled",
    "oco_cancelled:LIST-1",
  ]]);
});

Deno.test("[user stream] a market order's fills become order_filled with every fill", () => {
  const t = translator();
  const market = {
    g: -1,
    c: "E-1",
    S: "BUY",
    o: "MARKET",
    q: "0.002",
    p: "0",
    i: 20,
    x: "TRADE",
    Z: "100",
  };
  t.translator.handle(
    report({
      ...market,
      X: "PARTIALLY_FILLED",
      l: "0.001",
      z: "0.001",
      L: "50000",
      n: "0.05",
      N: "USDT",
      t: 1,
      Z: "50",
    }),
  );
  assert.equal(t.events.length, 0);
  t.translator.handle(
    report({
      ...market,
      X: "FILLED",
      l: "0.001",
      z: "0.002",
      L: "50000",
      n: "0.05",
      N: "USDT",
      t: 2,
    }),
  );
  const event = t.events[0]!;
  assert.ok(event.type === "order_filled");
  assert.equal(event.id, "order_filled:E-1");
  assert.equal(event.order.fills.length, 2);
  assert.equal(event.order.commission, "0.1");
  assert.equal(event.order.avgPrice, "50000");
});
