import assert from "node:assert/strict";
import { candle, signed, withSim } from "./_test_support.ts";
import type { Simulator } from "./server.ts";

const OCO = {
  symbol: "BTCUSDT",
  side: "SELL",
  quantity: "0.01",
  listClientOrderId: "oco-1",
  aboveType: "LIMIT_MAKER",
  abovePrice: "63000",
  aboveClientOrderId: "tp-1",
  belowType: "STOP_LOSS_LIMIT",
  belowStopPrice: "58000",
  belowPrice: "57900",
  belowTimeInForce: "GTC",
  belowClientOrderId: "sl-1",
};

async function balances(sim: Simulator) {
  const res = await signed(sim, "GET", "/api/v3/account", { omitZeroBalances: "true" });
  return Object.fromEntries(
    res.body.balances.map((
      b: { asset: string; free: string; locked: string },
    ) => [b.asset, [b.free, b.locked]]),
  );
}

Deno.test("[sim] an OCO places a stop leg and a limit-maker leg and locks the quantity once", async () => {
  await withSim(async (sim) => {
    const res = await signed(sim, "POST", "/api/v3/orderList/oco", OCO);
    assert.equal(res.status, 200);
    assert.equal(res.body.contingencyType, "OCO");
    assert.equal(res.body.listStatusType, "EXEC_STARTED");
    assert.equal(res.body.listOrderStatus, "EXECUTING");
    assert.equal(res.body.listClientOrderId, "oco-1");
    assert.deepEqual(res.body.orders.map((o: { clientOrderId: string }) => o.clientOrderId), [
      "sl-1",
      "tp-1",
    ]);
    const [stop, maker] = res.body.orderReports;
    assert.equal(stop.type, "STOP_LOSS_LIMIT");
    assert.equal(stop.stopPrice, "58000.00000000");
    assert.equal(stop.price, "57900.00000000");
    assert.equal(stop.workingTime, -1);
    assert.equal(maker.type, "LIMIT_MAKER");
    assert.equal(maker.price, "63000.00000000");
    assert.equal(maker.orderListId, res.body.orderListId);
    assert.deepEqual(await balances(sim), {
      USDT: ["10000.00000000", "0.00000000"],
      BTC: ["0.04000000", "0.01000000"],
    });
    const open = await signed(sim, "GET", "/api/v3/openOrderList");
    assert.equal(open.body.length, 1);
    const openOrders = await signed(sim, "GET", "/api/v3/openOrders", { symbol: "BTCUSDT" });
    assert.equal(openOrders.body.length, 2);
  }, { balances: { USDT: "10000", BTC: "0.05" } });
});

Deno.test("[sim] a candle reaching the take-profit fills the maker leg and expires the stop", async () => {
  await withSim(async (sim) => {
    const placed = await signed(sim, "POST", "/api/v3/orderList/oco", OCO);
    sim.pushCandle("BTCUSDT", candle(0, "60000", "62000", "59000", "61000"));
    let list = await signed(sim, "GET", "/api/v3/orderList", {
      orderListId: placed.body.orderListId,
    });
    assert.equal(list.body.listStatusType, "EXEC_STARTED");
    sim.pushCandle("BTCUSDT", candle(1, "61000", "63500", "60500", "63100"));
    list = await signed(sim, "GET", "/api/v3/orderList", { orderListId: placed.body.orderListId });
    assert.equal(list.body.listStatusType, "ALL_DONE");
    assert.equal(list.body.listOrderStatus, "ALL_DONE");
    const tp = await signed(sim, "GET", "/api/v3/order", {
      symbol: "BTCUSDT",
      origClientOrderId: "tp-1",
    });
    assert.equal(tp.body.status, "FILLED");
    assert.equal(tp.body.executedQty, "0.01000000");
    assert.equal(tp.body.cummulativeQuoteQty, "630.00000000");
    const sl = await signed(sim, "GET", "/api/v3/order", {
      symbol: "BTCUSDT",
      origClientOrderId: "sl-1",
    });
    assert.equal(sl.body.status, "EXPIRED");
    // 630 USDT proceeds minus 0.1% commission (0.63).
    assert.deepEqual(await balances(sim), { USDT: ["629.37000000", "0.00000000"] });
    const trades = await signed(sim, "GET", "/api/v3/myTrades", { symbol: "BTCUSDT" });
    assert.equal(trades.body.length, 1);
    assert.equal(trades.body[0].isMaker, true);
    assert.equal(trades.body[0].price, "63000.00000000");
  }, { balances: { BTC: "0.01" } });
});

Deno.test("[sim] a candle gapping below the stop fills the stop leg at the open (shared fill model)", async () => {
  await withSim(async (sim) => {
    await signed(sim, "POST", "/api/v3/orderList/oco", OCO);
    sim.pushCandle("BTCUSDT", candle(0, "57000", "57500", "56000", "56500"));
    const sl = await signed(sim, "GET", "/api/v3/order", {
      symbol: "BTCUSDT",
      origClientOrderId: "sl-1",
    });
    assert.equal(sl.body.status, "FILLED");
    assert.equal(sl.body.cummulativeQuoteQty, "570.00000000");
    const tp = await signed(sim, "GET", "/api/v3/order", {
      symbol: "BTCUSDT",
      origClientOrderId: "tp-1",
    });
    assert.equal(tp.body.status, "EXPIRED");
    assert.deepEqual(await balances(sim), { USDT: ["569.43000000", "0.00000000"] });
  }, { balances: { BTC: "0.01" } });
});

Deno.test("[sim] a candle touching both legs fills the stop (pessimistic tie-break)", async () => {
  await withSim(async (sim) => {
    await signed(sim, "POST", "/api/v3/orderList/oco", OCO);
    sim.pushCandle("BTCUSDT", candle(0, "60000", "64000", "57000", "60000"));
    const sl = await signed(sim, "GET", "/api/v3/order", {
      symbol: "BTCUSDT",
      origClientOrderId: "sl-1",
    });
    assert.equal(sl.body.status, "FILLED");
    assert.equal(sl.body.cummulativeQuoteQty, "580.00000000");
  }, { balances: { BTC: "0.01" } });
});

Deno.test("[sim] OCO rejections: wrong price relation, short balance, duplicate list id", async () => {
  await withSim(async (sim) => {
    const wrong = await signed(sim, "POST", "/api/v3/orderList/oco", {
      ...OCO,
      abovePrice: "59000",
    });
    assert.deepEqual(wrong.body, {
      code: -2010,
      msg: "The relationship of the prices for the orders is not correct.",
    });
    const tooMuch = await signed(sim, "POST", "/api/v3/orderList/oco", {
      ...OCO,
      quantity: "0.02",
    });
    assert.deepEqual(tooMuch.body, {
      code: -2010,
      msg: "Account has insufficient balance for requested action.",
    });
    assert.equal((await signed(sim, "POST", "/api/v3/orderList/oco", OCO)).status, 200);
    const dup = await signed(sim, "POST", "/api/v3/orderList/oco", {
      ...OCO,
      quantity: "0.001",
      aboveClientOrderId: "tp-2",
      belowClientOrderId: "sl-2",
    });
    assert.deepEqual(dup.body, { code: -2010, msg: "Duplicate order sent." });
    const missing = await signed(sim, "POST", "/api/v3/orderList/oco", {
      ...OCO,
      belowTimeInForce: "",
    });
    assert.equal(missing.body.code, -1102);
  }, { balances: { BTC: "0.015" } });
});

Deno.test("[sim] cancelling an OCO (or one of its legs) cancels both legs and unlocks the quantity", async () => {
  await withSim(async (sim) => {
    const placed = await signed(sim, "POST", "/api/v3/orderList/oco", OCO);
    const cancelled = await signed(sim, "DELETE", "/api/v3/orderList", {
      symbol: "BTCUSDT",
      orderListId: placed.body.orderListId,
    });
    assert.equal(cancelled.body.listStatusType, "ALL_DONE");
    assert.deepEqual(cancelled.body.orderReports.map((r: { status: string }) => r.status), [
      "CANCELED",
      "CANCELED",
    ]);
    assert.deepEqual(await balances(sim), { BTC: ["0.01000000", "0.00000000"] });
    await signed(sim, "POST", "/api/v3/orderList/oco", { ...OCO, listClientOrderId: "oco-2" });
    const viaLeg = await signed(sim, "DELETE", "/api/v3/order", {
      symbol: "BTCUSDT",
      origClientOrderId: "tp-1",
    });
    assert.equal(viaLeg.body.listClientOrderId, "oco-2");
    assert.deepEqual(await balances(sim), { BTC: ["0.01000000", "0.00000000"] });
  }, { balances: { BTC: "0.01" } });
});

Deno.test("[sim] a resting limit buy fills when a candle reaches it, at the open on a gap", async () => {
  await withSim(async (sim) => {
    const place = (price: string, id: string) =>
      signed(sim, "POST", "/api/v3/order", {
        symbol: "BTCUSDT",
        side: "BUY",
        type: "LIMIT",
        timeInForce: "GTC",
        quantity: "0.01",
        price,
        newClientOrderId: id,
      });
    await place("59000", "bid-touch");
    await place("58000", "bid-gap");
    sim.pushCandle("BTCUSDT", candle(0, "60000", "60100", "58990", "59500"));
    sim.pushCandle("BTCUSDT", candle(1, "57500", "57900", "57000", "57800"));
    const touch = await signed(sim, "GET", "/api/v3/order", {
      symbol: "BTCUSDT",
      origClientOrderId: "bid-touch",
    });
    assert.equal(touch.body.status, "FILLED");
    assert.equal(touch.body.cummulativeQuoteQty, "590.00000000");
    const gap = await signed(sim, "GET", "/api/v3/order", {
      symbol: "BTCUSDT",
      origClientOrderId: "bid-gap",
    });
    assert.equal(gap.body.cummulativeQuoteQty, "575.00000000");
    // 10000 - 590 - 0.59 - 575 - 0.575; the 580 locked for the gap order came back.
    assert.deepEqual(await balances(sim), {
      USDT: ["8833.83500000", "0.00000000"],
      BTC: ["0.02000000", "0.00000000"],
    });
  });
});

Deno.test("[sim] a standalone stop-loss sell waits for its stop and fills there", async () => {
  await withSim(async (sim) => {
    const placed = await signed(sim, "POST", "/api/v3/order", {
      symbol: "BTCUSDT",
      side: "SELL",
      type: "STOP_LOSS_LIMIT",
      timeInForce: "GTC",
      quantity: "0.01",
      stopPrice: "59000",
      price: "58900",
    });
    assert.deepEqual(Object.keys(placed.body), [
      "symbol",
      "orderId",
      "orderListId",
      "clientOrderId",
      "transactTime",
    ]);
    const immediate = await signed(sim, "POST", "/api/v3/order", {
      symbol: "BTCUSDT",
      side: "SELL",
      type: "STOP_LOSS",
      quantity: "0.001",
      stopPrice: "61000",
    });
    assert.deepEqual(immediate.body, { code: -2010, msg: "Order would trigger immediately." });
    let order = await signed(sim, "GET", "/api/v3/order", {
      symbol: "BTCUSDT",
      orderId: placed.body.orderId,
    });
    assert.equal(order.body.isWorking, false);
    sim.setPrice("BTCUSDT", "58950");
    order = await signed(sim, "GET", "/api/v3/order", {
      symbol: "BTCUSDT",
      orderId: placed.body.orderId,
    });
    assert.equal(order.body.status, "FILLED");
    assert.equal(order.body.isWorking, true);
    assert.equal(order.body.cummulativeQuoteQty, "589.50000000");
  }, { balances: { BTC: "0.01" } });
});

Deno.test("[sim] OCO leg types follow Binance's rules (-1158, -1166, -1197)", async () => {
  await withSim(async (sim) => {
    const oco = (overrides: Record<string, string>) =>
      signed(sim, "POST", "/api/v3/orderList/oco", { ...OCO, ...overrides });
    assert.deepEqual((await oco({ belowType: "LIMIT" })).body, {
      code: -1158,
      msg: "Order type not supported in OCO.",
    });
    assert.deepEqual((await oco({ aboveType: "STOP_LOSS_LIMIT", belowType: "STOP_LOSS" })).body, {
      code: -1197,
      msg: "A stop loss order in a sell OCO must be below.",
    });
    assert.deepEqual((await oco({ aboveType: "TAKE_PROFIT", belowType: "LIMIT_MAKER" })).body, {
      code: -1166,
      msg: "A limit order in a sell OCO must be above.",
    });
  }, { balances: { BTC: "0.01" } });
});

Deno.test("[sim] the deprecated /api/v3/order/oco places the same protective pair", async () => {
  await withSim(async (sim) => {
    const res = await signed(sim, "POST", "/api/v3/order/oco", {
      symbol: "BTCUSDT",
      side: "SELL",
      quantity: "0.01",
      price: "63000",
      stopPrice: "58000",
      stopLimitPrice: "57900",
      stopLimitTimeInForce: "GTC",
      limitClientOrderId: "old-tp",
      stopClientOrderId: "old-sl",
    });
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.orderReports.map((
        r: { type: string; clientOrderId: string },
      ) => [r.type, r.clientOrderId]),
      [
        ["STOP_LOSS_LIMIT", "old-sl"],
        ["LIMIT_MAKER", "old-tp"],
      ],
    );
  }, { balances: { BTC: "0.01" } });
});
