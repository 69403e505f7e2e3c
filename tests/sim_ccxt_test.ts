/**
 * The real ccxt client (4.5.84) against the simulator: the code path AURA's
 * Binance adapter uses, end to end over HTTP and WebSocket.
 */
import assert from "node:assert/strict";
import ccxt from "ccxt";
import { startSimulator } from "../sim/server.ts";
import type { Simulator } from "../sim/server.ts";

const KEY = "ccxt-key";
const SECRET = "ccxt-secret";

// deno-lint-ignore no-explicit-any
type AnyExchange = any;

function pointAt(exchange: AnyExchange, sim: Simulator): AnyExchange {
  const api = exchange.urls.api;
  api.public = `${sim.url}/api/v3`;
  api.private = `${sim.url}/api/v3`;
  api.v1 = `${sim.url}/api/v1`;
  api.sapi = `${sim.url}/sapi/v1`;
  if (api.ws) {
    api.ws.spot = `${sim.wsUrl}/ws`;
    api.ws["ws-api"].spot = `${sim.wsUrl}/ws-api/v3`;
  }
  return exchange;
}

const OPTIONS = { options: { fetchMarkets: { types: ["spot"] }, fetchCurrencies: false } };

async function withCcxt(
  fn: (exchange: AnyExchange, sim: Simulator) => Promise<void>,
  secret = SECRET,
): Promise<void> {
  const sim = await startSimulator({ port: 0 });
  sim.addAccount(KEY, SECRET, { USDT: "10000" });
  const exchange = pointAt(new ccxt.binance({ apiKey: KEY, secret, ...OPTIONS }), sim);
  try {
    await fn(exchange, sim);
  } finally {
    await exchange.close();
    await sim.close();
  }
}

function candle(index: number, open: number, high: number, low: number, close: number) {
  const openTime = Date.UTC(2025, 0, 1) + index * 60_000;
  return {
    openTime,
    closeTime: openTime + 59_999,
    open: open.toFixed(2),
    high: high.toFixed(2),
    low: low.toFixed(2),
    close: close.toFixed(2),
    volume: "3.5",
  };
}

Deno.test("[ccxt] loadMarkets sees the spot markets with Binance's precision and limits", async () => {
  await withCcxt(async (exchange, sim) => {
    const markets = await exchange.loadMarkets();
    assert.deepEqual(Object.keys(markets).sort(), ["BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT"]);
    const btc = markets["BTC/USDT"];
    assert.equal(btc.spot, true);
    assert.equal(btc.precision.amount, 0.00001);
    assert.equal(btc.precision.price, 0.01);
    assert.equal(btc.limits.cost.min, 5);
    assert.ok(sim.requestLog.some((r) => r.path === "/api/v3/exchangeInfo"));
  });
});

Deno.test("[ccxt] fetchBalance, a market buy by cost and createOrder with quoteOrderQty", async () => {
  await withCcxt(async (exchange) => {
    const balance = await exchange.fetchBalance();
    assert.equal(balance.USDT.free, 10000);
    const bought = await exchange.createMarketBuyOrderWithCost("BTC/USDT", 120);
    assert.equal(bought.status, "closed");
    assert.equal(bought.amount, 0.002);
    assert.equal(bought.cost, 120);
    assert.equal(bought.average, 60000);
    assert.deepEqual(bought.fee, { currency: "USDT", cost: 0.12 });
    const second = await exchange.createOrder("ETH/USDT", "market", "buy", undefined, undefined, {
      quoteOrderQty: "30",
    });
    assert.equal(second.filled, 0.01);
    const after = await exchange.fetchBalance();
    assert.equal(after.BTC.free, 0.002);
    assert.equal(after.ETH.free, 0.01);
    assert.equal(after.USDT.free, 9849.85); // 10000 - 120 - 0.12 - 30 - 0.03
    const fetched = await exchange.fetchOrder(bought.id, "BTC/USDT");
    assert.equal(fetched.status, "closed");
  });
});

Deno.test("[ccxt] privatePostOrderListOco places the protective exit and a candle closes it", async () => {
  await withCcxt(async (exchange, sim) => {
    await exchange.loadMarkets();
    const bought = await exchange.createMarketBuyOrderWithCost("BTC/USDT", 600);
    const oco = await exchange.privatePostOrderListOco({
      symbol: "BTCUSDT",
      side: "SELL",
      quantity: exchange.amountToPrecision("BTC/USDT", bought.amount),
      listClientOrderId: "aura-oco-1",
      aboveType: "LIMIT_MAKER",
      abovePrice: "61200",
      belowType: "STOP_LOSS_LIMIT",
      belowStopPrice: "58800",
      belowPrice: "58700",
      belowTimeInForce: "GTC",
    });
    assert.equal(oco.listStatusType, "EXEC_STARTED");
    const open = await exchange.privateGetOpenOrderList();
    assert.equal(open.length, 1);
    sim.pushCandle("BTCUSDT", candle(0, 60000, 61300, 59900, 61250));
    const list = await exchange.privateGetOrderList({ orderListId: oco.orderListId });
    assert.equal(list.listStatusType, "ALL_DONE");
    const balance = await exchange.fetchBalance();
    assert.equal(balance.BTC.total, 0);
    // 10000 - 600 - 0.6 + 612 - 0.612
    assert.equal(balance.USDT.free.toFixed(8), "10010.78800000");
    assert.ok(
      sim.requestLog.some((r) =>
        r.path === "/api/v3/orderList/oco" && r.clientOrderId === "aura-oco-1"
      ),
    );
  });
});

Deno.test("[ccxt] fetchOHLCV reads pushed candles", async () => {
  await withCcxt(async (exchange, sim) => {
    for (let i = 0; i < 3; i++) {
      sim.pushCandle("BTCUSDT", candle(i, 60000 + i, 60100 + i, 59900 + i, 60050 + i));
    }
    const ohlcv = await exchange.fetchOHLCV("BTC/USDT", "1m", undefined, 2);
    assert.deepEqual(ohlcv, [
      [candle(1, 0, 0, 0, 0).openTime, 60001, 60101, 59901, 60051, 3.5],
      [candle(2, 0, 0, 0, 0).openTime, 60002, 60102, 59902, 60052, 3.5],
    ]);
  });
});

Deno.test("[ccxt] Binance errors map to ccxt's exception classes", async () => {
  await withCcxt(async (exchange, sim) => {
    await exchange.loadMarkets();
    await assert.rejects(exchange.createMarketBuyOrder("BTC/USDT", 1), ccxt.InsufficientFunds);
    await assert.rejects(exchange.fetchOrder("424242", "BTC/USDT"), ccxt.OrderNotFound);
    await assert.rejects(exchange.cancelOrder("424242", "BTC/USDT"), ccxt.OrderNotFound);
    sim.faults.rateLimitBurst = 1;
    await assert.rejects(exchange.fetchBalance(), ccxt.DDoSProtection);
  });
  await withCcxt(async (exchange) => {
    await assert.rejects(exchange.fetchBalance(), ccxt.AuthenticationError);
  }, "wrong-secret");
});

Deno.test({
  name: "[ccxt] watchOHLCV (ccxt.pro) receives closed candles from the kline stream",
  async fn() {
    const sim = await startSimulator({ port: 0 });
    const exchange = pointAt(new ccxt.pro.binance(OPTIONS), sim);
    try {
      await exchange.loadMarkets();
      const watching = exchange.watchOHLCV("BTC/USDT", "1m");
      // Push until the subscription is live and ccxt resolves (bounded by a deadline).
      const deadline = Date.now() + 10_000;
      let received: number[][] | undefined;
      watching.then((rows: number[][]) => received = rows);
      for (let i = 0; received === undefined; i++) {
        if (Date.now() > deadline) throw new Error("watchOHLCV got no candle before the deadline");
        sim.pushCandle("BTCUSDT", candle(i, 60000, 60100, 59900, 60050));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const last = received[received.length - 1]!;
      assert.deepEqual(last.slice(1), [60000, 60100, 59900, 60050, 3.5]);
    } finally {
      await exchange.close();
      await sim.close();
    }
  },
});

Deno.test({
  name: "[ccxt] watchOrders (ccxt.pro) gets fills over the WebSocket API user data stream",
  async fn() {
    const sim = await startSimulator({ port: 0 });
    sim.addAccount(KEY, SECRET, { USDT: "10000" });
    const exchange = pointAt(
      new ccxt.pro.binance({ apiKey: KEY, secret: SECRET, ...OPTIONS }),
      sim,
    );
    try {
      await exchange.loadMarkets();
      let orders: { id: string; status: string; filled: number }[] | undefined;
      exchange.watchOrders("BTC/USDT").then((rows: typeof orders) => orders = rows);
      // The subscription's start is invisible from here: place small orders until one is seen.
      const deadline = Date.now() + 10_000;
      const placed: string[] = [];
      while (orders === undefined) {
        if (Date.now() > deadline) throw new Error("watchOrders saw no order before the deadline");
        placed.push((await exchange.createMarketBuyOrderWithCost("BTC/USDT", 10)).id);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const seen = orders[orders.length - 1]!;
      assert.ok(placed.includes(seen.id));
      assert.equal(seen.status, "closed");
      assert.equal(seen.filled, 0.00016);
      assert.ok(
        sim.requestLog.every((r) => r.path !== "/api/v3/userDataStream"),
        "no listenKey REST calls",
      );
    } finally {
      await exchange.close();
      await sim.close();
    }
  },
});

Deno.test("[ccxt] limit orders, open orders, cancel, trades and ticker parse as unified structures", async () => {
  await withCcxt(async (exchange) => {
    await exchange.loadMarkets();
    const bid = await exchange.createLimitBuyOrder("BTC/USDT", 0.001, 55000, {
      newClientOrderId: "aura-bid",
    });
    assert.equal(bid.status, "open");
    assert.equal(bid.clientOrderId, "aura-bid");
    const open = await exchange.fetchOpenOrders("BTC/USDT");
    assert.deepEqual(open.map((o: { id: string }) => o.id), [bid.id]);
    const cancelled = await exchange.cancelOrder(bid.id, "BTC/USDT");
    assert.equal(cancelled.status, "canceled");
    assert.equal((await exchange.fetchOrder(bid.id, "BTC/USDT")).status, "canceled");
    await exchange.createMarketBuyOrderWithCost("BTC/USDT", 30);
    const trades = await exchange.fetchMyTrades("BTC/USDT");
    assert.equal(trades.length, 1);
    assert.equal(trades[0].price, 60000);
    assert.equal(trades[0].amount, 0.0005);
    assert.deepEqual(trades[0].fee, { currency: "USDT", cost: 0.03 });
    const ticker = await exchange.fetchTicker("BTC/USDT");
    assert.equal(ticker.last, 60000);
  });
});
