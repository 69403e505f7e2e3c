/**
 * The ccxt adapter's order events through Binance's WebSocket API user data
 * stream, against the simulator: delivery with polling off, the catch-up poll
 * after a dropped connection, one event per id when stream and polling both
 * run (with the polling path's exact content), the fallback to polling when
 * the WebSocket cannot connect, and what goes over the wire.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { CcxtBinanceExchange, type CcxtBinanceOptions } from "../adapters/exchange/ccxt_binance.ts";
import { waitFor } from "../adapters/exchange/contract_test_suite.ts";
import { tradeClientIds } from "../engine/orders/client_ids.ts";
import { planEntry, planOco } from "../engine/orders/plan.ts";
import type { OrderEvent } from "../engine/ports/exchange.ts";
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
    reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
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
