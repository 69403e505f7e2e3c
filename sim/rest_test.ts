import assert from "node:assert/strict";
import { API_KEY, candle, publicGet, signed, withSim } from "./_test_support.ts";

Deno.test("[sim] a correctly signed request is answered with the account", async () => {
  await withSim(async (sim) => {
    const res = await signed(sim, "GET", "/api/v3/account");
    assert.equal(res.status, 200);
    assert.equal(res.body.canTrade, true);
    assert.deepEqual(res.body.balances.find((b: { asset: string }) => b.asset === "USDT"), {
      asset: "USDT",
      free: "10000.00000000",
      locked: "0.00000000",
    });
    assert.ok(Number(res.headers.get("x-mbx-used-weight-1m")) >= 20);
  });
});

Deno.test("[sim] a bad signature answers -1022, an old timestamp -1021, an unknown key -2015", async () => {
  await withSim(async (sim) => {
    const bad = await signed(sim, "GET", "/api/v3/account", {}, { signature: "00".repeat(32) });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body, { code: -1022, msg: "Signature for this request is not valid." });
    const old = await signed(sim, "GET", "/api/v3/account", {}, { timestamp: Date.now() - 60_000 });
    assert.equal(old.status, 400);
    assert.deepEqual(old.body, {
      code: -1021,
      msg: "Timestamp for this request is outside of the recvWindow.",
    });
    const unknown = await signed(sim, "GET", "/api/v3/account", {}, { apiKey: "nobody" });
    assert.equal(unknown.status, 401);
    assert.deepEqual(unknown.body, {
      code: -2015,
      msg: "Invalid API-key, IP, or permissions for action.",
    });
    const wrongSecret = await signed(sim, "GET", "/api/v3/account", {}, {
      secret: "not-the-secret",
    });
    assert.equal(wrongSecret.body.code, -1022);
  });
});

Deno.test("[sim] a market buy by quoteOrderQty fills at the last price with a FULL response and exact balances", async () => {
  await withSim(async (sim) => {
    sim.setPrice("BTCUSDT", "60000.00");
    const res = await signed(sim, "POST", "/api/v3/order", {
      symbol: "BTCUSDT",
      side: "BUY",
      type: "MARKET",
      quoteOrderQty: "100",
      newClientOrderId: "entry-1",
    });
    assert.equal(res.status, 200);
    const { transactTime, workingTime, ...rest } = res.body;
    assert.equal(typeof transactTime, "number");
    assert.equal(workingTime, transactTime);
    assert.deepEqual(rest, {
      symbol: "BTCUSDT",
      orderId: 1,
      orderListId: -1,
      clientOrderId: "entry-1",
      price: "0.00000000",
      origQty: "0.00166000",
      executedQty: "0.00166000",
      origQuoteOrderQty: "100.00000000",
      cummulativeQuoteQty: "99.60000000",
      status: "FILLED",
      timeInForce: "GTC",
      type: "MARKET",
      side: "BUY",
      selfTradePreventionMode: "EXPIRE_MAKER",
      fills: [{
        price: "60000.00000000",
        qty: "0.00166000",
        commission: "0.09960000",
        commissionAsset: "USDT",
        tradeId: 1,
      }],
    });
    const account = await signed(sim, "GET", "/api/v3/account", { omitZeroBalances: "true" });
    assert.deepEqual(account.body.balances, [
      { asset: "USDT", free: "9900.30040000", locked: "0.00000000" },
      { asset: "BTC", free: "0.00166000", locked: "0.00000000" },
    ]);
  });
});

Deno.test("[sim] with commissionAsset base a BUY pays its commission in the base asset", async () => {
  await withSim(async (sim) => {
    const res = await signed(sim, "POST", "/api/v3/order", {
      symbol: "BTCUSDT",
      side: "BUY",
      type: "MARKET",
      quantity: "0.01",
    });
    assert.deepEqual(res.body.fills[0], {
      price: "60000.00000000",
      qty: "0.01000000",
      commission: "0.00001000",
      commissionAsset: "BTC",
      tradeId: 1,
    });
    const account = await signed(sim, "GET", "/api/v3/account", { omitZeroBalances: "true" });
    assert.deepEqual(account.body.balances, [
      { asset: "USDT", free: "9400.00000000", locked: "0.00000000" },
      { asset: "BTC", free: "0.00999000", locked: "0.00000000" },
    ]);
    // Selling the full bought quantity fails: only 0.00999 BTC arrived.
    const sell = await signed(sim, "POST", "/api/v3/order", {
      symbol: "BTCUSDT",
      side: "SELL",
      type: "MARKET",
      quantity: "0.01",
    });
    assert.deepEqual(sell.body, {
      code: -2010,
      msg: "Account has insufficient balance for requested action.",
    });
  }, { commissionAsset: "base" });
});

Deno.test("[sim] order rejections carry Binance's codes: balance, duplicate id, filters", async () => {
  await withSim(async (sim) => {
    const order = (params: Record<string, string>) =>
      signed(sim, "POST", "/api/v3/order", { symbol: "BTCUSDT", side: "BUY", ...params });
    const poor = await order({ type: "MARKET", quantity: "1" });
    assert.equal(poor.status, 400);
    assert.deepEqual(poor.body, {
      code: -2010,
      msg: "Account has insufficient balance for requested action.",
    });
    const limit = { type: "LIMIT", timeInForce: "GTC", quantity: "0.001", price: "50000" };
    assert.equal((await order({ ...limit, newClientOrderId: "dup" })).status, 200);
    assert.deepEqual((await order({ ...limit, newClientOrderId: "dup" })).body, {
      code: -2010,
      msg: "Duplicate order sent.",
    });
    assert.deepEqual((await order({ type: "MARKET", quantity: "0.000015" })).body, {
      code: -1013,
      msg: "Filter failure: LOT_SIZE",
    });
    assert.deepEqual((await order({ type: "MARKET", quantity: "0.00005" })).body, {
      code: -1013,
      msg: "Filter failure: NOTIONAL",
    });
    assert.deepEqual((await order({ ...limit, price: "50000.005" })).body, {
      code: -1013,
      msg: "Filter failure: PRICE_FILTER",
    });
    assert.deepEqual((await order({ ...limit, price: "500000" })).body, {
      code: -1013,
      msg: "Filter failure: PERCENT_PRICE_BY_SIDE",
    });
    assert.deepEqual(
      (await order({ type: "LIMIT_MAKER", quantity: "0.001", price: "61000" })).body,
      {
        code: -2010,
        msg: "Order would immediately match and take.",
      },
    );
    const badSymbol = await signed(sim, "POST", "/api/v3/order", {
      symbol: "NOPEUSDT",
      side: "BUY",
      type: "MARKET",
    });
    assert.deepEqual(badSymbol.body, { code: -1121, msg: "Invalid symbol." });
  });
});

Deno.test("[sim] unknown orders answer -2013 on query and -2011 on cancel", async () => {
  await withSim(async (sim) => {
    const query = await signed(sim, "GET", "/api/v3/order", { symbol: "BTCUSDT", orderId: 999 });
    assert.deepEqual(query.body, { code: -2013, msg: "Order does not exist." });
    const cancel = await signed(sim, "DELETE", "/api/v3/order", {
      symbol: "BTCUSDT",
      origClientOrderId: "x",
    });
    assert.deepEqual(cancel.body, { code: -2011, msg: "Unknown order sent." });
    const list = await signed(sim, "DELETE", "/api/v3/orderList", {
      symbol: "BTCUSDT",
      orderListId: 5,
    });
    assert.deepEqual(list.body, { code: -2011, msg: "Unknown order sent." });
  });
});

Deno.test("[sim] a resting limit buy locks quote, is cancelled with a cancel report, and unlocks", async () => {
  await withSim(async (sim) => {
    const placed = await signed(sim, "POST", "/api/v3/order", {
      symbol: "BTCUSDT",
      side: "BUY",
      type: "LIMIT",
      timeInForce: "GTC",
      quantity: "0.01",
      price: "55000",
      newClientOrderId: "bid-1",
    });
    assert.equal(placed.body.status, "NEW");
    const locked = await signed(sim, "GET", "/api/v3/account", { omitZeroBalances: "true" });
    // 550 for the order plus its 0.1% quote commission.
    assert.deepEqual(locked.body.balances, [{
      asset: "USDT",
      free: "9449.45000000",
      locked: "550.55000000",
    }]);
    const open = await signed(sim, "GET", "/api/v3/openOrders", { symbol: "BTCUSDT" });
    assert.equal(open.body.length, 1);
    assert.equal(open.body[0].clientOrderId, "bid-1");
    const cancelled = await signed(sim, "DELETE", "/api/v3/order", {
      symbol: "BTCUSDT",
      origClientOrderId: "bid-1",
      newClientOrderId: "cancel-1",
    });
    assert.equal(cancelled.body.status, "CANCELED");
    assert.equal(cancelled.body.origClientOrderId, "bid-1");
    assert.equal(cancelled.body.clientOrderId, "cancel-1");
    const after = await signed(sim, "GET", "/api/v3/account", { omitZeroBalances: "true" });
    assert.deepEqual(after.body.balances, [{
      asset: "USDT",
      free: "10000.00000000",
      locked: "0.00000000",
    }]);
    const again = await signed(sim, "DELETE", "/api/v3/order", {
      symbol: "BTCUSDT",
      orderId: placed.body.orderId,
    });
    assert.equal(again.body.code, -2011);
  });
});

Deno.test("[sim] klines serve pushed candles in Binance's row shape, with startTime and limit", async () => {
  await withSim(async (sim) => {
    for (let i = 0; i < 5; i++) {
      sim.pushCandle("BTCUSDT", candle(i, "100.5", "102", "99", `${101 + i}`));
    }
    const all = await publicGet(sim, "/api/v3/klines", { symbol: "BTCUSDT", interval: "1m" });
    assert.equal(all.body.length, 5);
    const first = candle(0, "100.5", "102", "99", "101");
    assert.deepEqual(all.body[0].slice(0, 7), [
      first.openTime,
      "100.50000000",
      "102.00000000",
      "99.00000000",
      "101.00000000",
      "12.50000000",
      first.closeTime,
    ]);
    assert.equal(all.body[0].length, 12);
    const page = await publicGet(sim, "/api/v3/klines", {
      symbol: "BTCUSDT",
      interval: "1m",
      startTime: String(candle(2, "0", "0", "0", "0").openTime),
      limit: "2",
    });
    assert.deepEqual(page.body.map((row: unknown[]) => row[4]), ["103.00000000", "104.00000000"]);
    const last = await publicGet(sim, "/api/v3/klines", {
      symbol: "BTCUSDT",
      interval: "1m",
      limit: "1",
    });
    assert.equal(last.body[0][4], "105.00000000");
    const price = await publicGet(sim, "/api/v3/ticker/price", { symbol: "BTCUSDT" });
    assert.deepEqual(price.body, { symbol: "BTCUSDT", price: "105.00000000" });
  });
});

Deno.test("[sim] exchangeInfo lists the four symbols with Binance's real filters", async () => {
  await withSim(async (sim) => {
    const info = await publicGet(sim, "/api/v3/exchangeInfo");
    assert.deepEqual(info.body.symbols.map((s: { symbol: string }) => s.symbol), [
      "BTCUSDT",
      "ETHUSDT",
      "SOLUSDT",
      "XRPUSDT",
    ]);
    const btc = info.body.symbols[0];
    assert.equal(btc.ocoAllowed, true);
    assert.equal(btc.quoteOrderQtyMarketAllowed, true);
    const lot = btc.filters.find((f: { filterType: string }) => f.filterType === "LOT_SIZE");
    assert.deepEqual(lot, {
      filterType: "LOT_SIZE",
      minQty: "0.00001000",
      maxQty: "9000.00000000",
      stepSize: "0.00001000",
    });
    const xrpPrice = info.body.symbols[3].filters[0];
    assert.equal(xrpPrice.tickSize, "0.00010000");
    const one = await publicGet(sim, "/api/v3/exchangeInfo", { symbol: "ETHUSDT" });
    assert.equal(one.body.symbols.length, 1);
  });
});

Deno.test("[sim] apiRestrictions reports the key's withdrawal permission", async () => {
  await withSim(async (sim) => {
    sim.addAccount("withdraw-key", "s2", { USDT: "1" }, { enableWithdrawals: true });
    const mine = await signed(sim, "GET", "/sapi/v1/account/apiRestrictions");
    assert.equal(mine.body.enableWithdrawals, false);
    assert.equal(mine.body.enableSpotAndMarginTrading, true);
    const other = await signed(sim, "GET", "/sapi/v1/account/apiRestrictions", {}, {
      apiKey: "withdraw-key",
      secret: "s2",
    });
    assert.equal(other.body.enableWithdrawals, true);
  });
});

Deno.test("[sim] requestLog records method, path and client order id", async () => {
  await withSim(async (sim) => {
    await signed(sim, "POST", "/api/v3/order", {
      symbol: "BTCUSDT",
      side: "BUY",
      type: "MARKET",
      quoteOrderQty: "10",
      newClientOrderId: "logged",
    });
    await publicGet(sim, "/api/v3/ping");
    assert.deepEqual(sim.requestLog, [
      { method: "POST", path: "/api/v3/order", clientOrderId: "logged" },
      { method: "GET", path: "/api/v3/ping" },
    ]);
    assert.equal(API_KEY, "sim-test-key");
    assert.equal((sim.orders(API_KEY)[0] as { clientOrderId: string }).clientOrderId, "logged");
  });
});

Deno.test("[sim] ticker/24hr summarises the last 24 hours of pushed candles", async () => {
  await withSim(async (sim) => {
    sim.pushCandle("ETHUSDT", candle(0, "3000", "3050", "2950", "3020"));
    sim.pushCandle("ETHUSDT", candle(1, "3020", "3100", "3010", "3090"));
    const res = await publicGet(sim, "/api/v3/ticker/24hr", { symbol: "ETHUSDT" });
    assert.equal(res.body.symbol, "ETHUSDT");
    assert.equal(res.body.openPrice, "3000.00000000");
    assert.equal(res.body.lastPrice, "3090.00000000");
    assert.equal(res.body.highPrice, "3100.00000000");
    assert.equal(res.body.lowPrice, "2950.00000000");
    assert.equal(res.body.volume, "25.00000000");
    assert.equal(res.body.priceChange, "90.00000000");
    assert.equal(res.body.priceChangePercent, "3.000");
    assert.equal(res.body.bidPrice, "3089.99000000");
    assert.equal(res.body.askPrice, "3090.01000000");
  });
});

Deno.test("[sim] client order ids outside Binance's pattern and trading-disabled keys are rejected", async () => {
  await withSim(async (sim) => {
    const long = await signed(sim, "POST", "/api/v3/order", {
      symbol: "BTCUSDT",
      side: "BUY",
      type: "MARKET",
      quoteOrderQty: "10",
      newClientOrderId: "x".repeat(37),
    });
    assert.equal(long.body.code, -1100);
    sim.addAccount("read-only", "ro", { USDT: "100" }, { enableSpotAndMarginTrading: false });
    const readOnly = await signed(sim, "POST", "/api/v3/order", {
      symbol: "BTCUSDT",
      side: "BUY",
      type: "MARKET",
      quoteOrderQty: "10",
    }, { apiKey: "read-only", secret: "ro" });
    assert.equal(readOnly.status, 401);
    assert.equal(readOnly.body.code, -2015);
  });
});

Deno.test("[sim] depth answers a synthetic book one tick either side of the last price", async () => {
  await withSim(async (sim) => {
    const res = await publicGet(sim, "/api/v3/depth", { symbol: "BTCUSDT", limit: "5" });
    assert.deepEqual(res.body.bids[0], ["59999.99000000", "1.00000000"]);
    assert.deepEqual(res.body.asks[0], ["60000.01000000", "1.00000000"]);
    assert.equal(res.body.bids.length, 5);
  });
});

Deno.test("[sim] newOrderRespType ACK and RESULT trim the answer like Binance", async () => {
  await withSim(async (sim) => {
    const order = (newOrderRespType: string) =>
      signed(sim, "POST", "/api/v3/order", {
        symbol: "BTCUSDT",
        side: "BUY",
        type: "MARKET",
        quoteOrderQty: "20",
        newOrderRespType,
      });
    assert.deepEqual(Object.keys((await order("ACK")).body), [
      "symbol",
      "orderId",
      "orderListId",
      "clientOrderId",
      "transactTime",
    ]);
    const result = (await order("RESULT")).body;
    assert.equal(result.status, "FILLED");
    assert.equal(result.fills, undefined);
    assert.ok(Array.isArray((await order("FULL")).body.fills));
    assert.equal((await order("NONE")).body.code, -1100);
    assert.equal(sim.orders(API_KEY).length, 3, "the rejected request placed nothing");
  });
});

Deno.test("[sim] order lists are found by list client id and listed in allOrderList", async () => {
  await withSim(async (sim) => {
    await signed(sim, "POST", "/api/v3/orderList/oco", {
      symbol: "BTCUSDT",
      side: "SELL",
      quantity: "0.001",
      listClientOrderId: "list-a",
      aboveType: "LIMIT_MAKER",
      abovePrice: "62000",
      belowType: "STOP_LOSS",
      belowStopPrice: "58000",
    });
    const byId = await signed(sim, "GET", "/api/v3/orderList", { origClientOrderId: "list-a" });
    assert.equal(byId.body.listClientOrderId, "list-a");
    assert.equal(byId.body.orders.length, 2);
    await signed(sim, "DELETE", "/api/v3/orderList", {
      symbol: "BTCUSDT",
      listClientOrderId: "list-a",
    });
    assert.deepEqual((await signed(sim, "GET", "/api/v3/openOrderList")).body, []);
    const all = await signed(sim, "GET", "/api/v3/allOrderList");
    assert.deepEqual(all.body.map((l: { listOrderStatus: string }) => l.listOrderStatus), [
      "ALL_DONE",
    ]);
    const missing = await signed(sim, "GET", "/api/v3/orderList", { orderListId: 99 });
    assert.equal(missing.body.code, -2013);
  }, { balances: { BTC: "0.001" } });
});

Deno.test("[sim] with commissionAsset bnb fees are paid in BNB at 75 % of the rate, falling back to base without BNB", async () => {
  await withSim(async (sim) => {
    const buy = await signed(sim, "POST", "/api/v3/order", {
      symbol: "BTCUSDT",
      side: "BUY",
      type: "MARKET",
      quantity: "0.01",
    });
    // 600 USDT × 0.1 % × 0.75 = 0.45 USDT = 0.00075 BNB at 600.
    assert.equal(buy.body.fills[0].commission, "0.00075000");
    assert.equal(buy.body.fills[0].commissionAsset, "BNB");
    const sell = await signed(sim, "POST", "/api/v3/order", {
      symbol: "BTCUSDT",
      side: "SELL",
      type: "MARKET",
      quantity: "0.01",
    });
    assert.equal(sell.body.fills[0].commissionAsset, "BNB");
    const account = await signed(sim, "GET", "/api/v3/account", { omitZeroBalances: "true" });
    assert.deepEqual(account.body.balances, [
      { asset: "USDT", free: "10000.00000000", locked: "0.00000000" },
      { asset: "BNB", free: "0.00150000", locked: "0.00000000" },
    ]);
    // 0.0015 BNB left pays one more 0.00075 fee, then the BUY pays in base.
    for (const expected of ["BNB", "BNB", "BTC"]) {
      const next = await signed(sim, "POST", "/api/v3/order", {
        symbol: "BTCUSDT",
        side: "BUY",
        type: "MARKET",
        quantity: "0.01",
      });
      assert.equal(next.body.fills[0].commissionAsset, expected);
    }
  }, {
    commissionAsset: "bnb",
    symbols: ["BTCUSDT", "BNBUSDT"],
    startPrices: { BTCUSDT: "60000", BNBUSDT: "600" },
    balances: { USDT: "10000", BNB: "0.003" },
  });
});
