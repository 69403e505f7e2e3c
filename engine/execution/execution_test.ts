import assert from "node:assert/strict";
import type { Order, OrderList } from "../ports/exchange.ts";
import {
  closeStatusOf,
  decideEntryIntent,
  decideOpenTrade,
  decideSignal,
  evaluateBreaker,
  feeInQuote,
  feeNeedsPrice,
  levelsOnTicks,
  sellableQuantity,
  toEventLeg,
  tradePnl,
  unrealizedPnl,
} from "./mod.ts";

const PAIR = { baseAsset: "BTC", quoteAsset: "USDT" };

function order(fields: Partial<Order>): Order {
  return {
    symbol: "BTCUSDT",
    orderId: "1",
    clientOrderId: "au-x-E",
    side: "BUY",
    type: "MARKET",
    status: "FILLED",
    price: "0",
    origQty: "0.002",
    executedQty: "0.002",
    cummulativeQuoteQty: "100",
    avgPrice: "50000",
    fills: [],
    commission: "0.1",
    commissionAsset: "USDT",
    time: 0,
    updateTime: 0,
    ...fields,
  };
}

function list(tp: Partial<Order>, sl: Partial<Order>, status: OrderList["status"]): OrderList {
  return {
    symbol: "BTCUSDT",
    orderListId: "7",
    listClientOrderId: "au-x-O",
    status,
    takeProfit: order({ side: "SELL", type: "LIMIT_MAKER", status: "NEW", ...tp }),
    stopLoss: order({ side: "SELL", type: "STOP_LOSS_LIMIT", status: "NEW", ...sl }),
    updateTime: 0,
  };
}

Deno.test("feeInQuote() converts a base-asset commission at the fill price, BNB at its own price", () => {
  assert.equal(feeInQuote("0.1", "USDT", "50000", PAIR), "0.1");
  assert.equal(feeInQuote("0.000002", "BTC", "50000", PAIR), "0.1");
  assert.equal(feeInQuote("0.0003", "BNB", "50000", PAIR), "0"); // price unknown
  assert.equal(feeInQuote("0.00015", "BNB", "50000", PAIR, "500"), "0.075");
  assert.equal(feeNeedsPrice("0.00015", "BNB", PAIR), true);
  assert.equal(feeNeedsPrice("0", "BNB", PAIR), false);
  assert.equal(feeNeedsPrice("0.1", "USDT", PAIR), false);
});

Deno.test("sellableQuantity() subtracts a base commission and floors to the step", () => {
  const rules = { baseAsset: "BTC", stepSize: "0.00001" };
  assert.equal(
    sellableQuantity(
      { executedQty: "0.002", commission: "0.000002", commissionAsset: "BTC" },
      rules,
    ),
    "0.00199",
  );
  assert.equal(
    sellableQuantity({ executedQty: "0.002", commission: "0.1", commissionAsset: "USDT" }, rules),
    "0.002",
  );
});

Deno.test("tradePnl() nets both fees exactly (hand-computed TP and SL trades)", () => {
  // 0.002 BTC bought at 50000 (fee 0.1 USDT), sold at 51000 (fee 0.102).
  assert.equal(
    tradePnl({
      entryPrice: "50000",
      entryFee: "0.1",
      exitQuantity: "0.002",
      exitQuote: "102",
      exitFee: "0.102",
    }),
    "1.798",
  );
  // Base fee on entry: 0.00199 sold at 49500 = 98.505, fee 0.098505.
  assert.equal(
    tradePnl({
      entryPrice: "50000",
      entryFee: "0.1",
      exitQuantity: "0.00199",
      exitQuote: "98.505",
      exitFee: "0.098505",
    }),
    "-1.193505",
  );
});

Deno.test("unrealizedPnl() marks like the backtester: quantity × move − entry fee", () => {
  assert.equal(
    unrealizedPnl({ entryPrice: "50000", quantity: "0.002", entryFee: "0.1" }, "48500"),
    "-3.1",
  );
});

Deno.test("evaluateBreaker() starts the peak at the allocation and trips at the limit", () => {
  const first = evaluateBreaker({
    allocation: "100",
    realizedPnl: "-0.5",
    unrealizedPnl: "0",
    peakEquity: null,
    maxDrawdownPercent: 1,
  });
  assert.deepEqual([first.peakEquity, first.trip], [100, false]);
  const higher = evaluateBreaker({
    allocation: "100",
    realizedPnl: "3",
    unrealizedPnl: "0",
    peakEquity: 100,
    maxDrawdownPercent: 1,
  });
  assert.deepEqual([higher.peakEquity, higher.trip], [103, false]);
  const tripped = evaluateBreaker({
    allocation: "100",
    realizedPnl: "3",
    unrealizedPnl: "-1.1",
    peakEquity: 103,
    maxDrawdownPercent: 1,
  });
  assert.equal(tripped.trip, true);
  assert.ok(Math.abs(tripped.drawdownPercent - 1.1 / 103 * 100) < 1e-9);
});

Deno.test("evaluateBreaker() with resetPeak restarts from the current equity", () => {
  const reset = evaluateBreaker({
    allocation: "100",
    realizedPnl: "-5",
    unrealizedPnl: "0",
    peakEquity: 0,
    resetPeak: true,
    maxDrawdownPercent: 1,
  });
  assert.deepEqual([reset.peakEquity, reset.trip], [95, false]);
});

Deno.test("decideSignal() enters only when active, not halted and flat; exits only a position", () => {
  const base = { isActive: true, halted: false, openTradeId: null };
  assert.deepEqual(decideSignal({ ...base, action: "ENTRY" }), { kind: "enter" });
  assert.equal(decideSignal({ ...base, action: "ENTRY", halted: true }).kind, "skip");
  assert.equal(decideSignal({ ...base, action: "ENTRY", isActive: false }).kind, "skip");
  assert.equal(decideSignal({ ...base, action: "ENTRY", openTradeId: 3 }).kind, "skip");
  assert.deepEqual(decideSignal({ ...base, action: "ENTRY", pendingEntry: true }), {
    kind: "skip",
    reason: "an earlier entry's outcome is not known yet",
  });
  assert.equal(
    decideSignal({ ...base, action: "EXIT", openTradeId: 3, pendingEntry: true }).kind,
    "exit",
  );
  assert.equal(decideSignal({ ...base, action: "EXIT" }).kind, "skip");
  assert.deepEqual(decideSignal({ ...base, action: "EXIT", halted: true, openTradeId: 3 }), {
    kind: "exit",
    tradeId: 3,
  });
});

Deno.test("decideEntryIntent() fails never-seen entries, adopts fills without a trade row", () => {
  assert.equal(decideEntryIntent(null, false).action, "mark_failed");
  // Younger than the in-flight window: the request may still arrive.
  assert.equal(decideEntryIntent(null, false, { ageMs: 2_000, inFlightMs: 15_000 }).action, "wait");
  assert.equal(
    decideEntryIntent(null, false, { ageMs: 16_000, inFlightMs: 15_000 }).action,
    "mark_failed",
  );
  assert.equal(decideEntryIntent(order({}), false).action, "adopt");
  assert.equal(decideEntryIntent(order({}), true).action, "mark_done");
  assert.equal(decideEntryIntent(order({ status: "NEW", executedQty: "0" }), false).action, "wait");
  assert.equal(
    decideEntryIntent(order({ status: "EXPIRED", executedQty: "0" }), false).action,
    "mark_failed",
  );
});

Deno.test("decideOpenTrade() closes on a filled exit or leg, re-protects otherwise", () => {
  const exit = order({ side: "SELL" });
  assert.equal(decideOpenTrade({ exitOrder: exit, list: null }).action, "close_exit");
  const tp = decideOpenTrade({
    exitOrder: null,
    list: list({ status: "FILLED" }, { status: "EXPIRED" }, "ALL_DONE"),
  });
  assert.deepEqual([tp.action, tp.action === "close_leg" && tp.leg], ["close_leg", "TAKE_PROFIT"]);
  const sl = decideOpenTrade({
    exitOrder: null,
    list: list({ status: "EXPIRED" }, { status: "FILLED" }, "ALL_DONE"),
  });
  assert.equal(sl.action === "close_leg" && sl.leg, "STOP_LOSS");
  assert.equal(
    decideOpenTrade({ exitOrder: null, list: list({}, {}, "EXECUTING") }).action,
    "protected",
  );
  assert.equal(
    decideOpenTrade({
      exitOrder: null,
      list: list({ status: "CANCELED" }, { status: "CANCELED" }, "ALL_DONE"),
    }).action,
    "protect",
  );
  assert.equal(decideOpenTrade({ exitOrder: null, list: null }).action, "protect");
  assert.equal(
    decideOpenTrade({ exitOrder: order({ status: "NEW" }), list: null }).action,
    "protect",
  );
});

Deno.test("the port's TAKE_PROFIT/STOP_LOSS map to the events' TP/SL and the trade statuses", () => {
  assert.equal(toEventLeg("TAKE_PROFIT"), "TP");
  assert.equal(toEventLeg("STOP_LOSS"), "SL");
  assert.equal(closeStatusOf("TAKE_PROFIT"), "CLOSED_TP");
  assert.equal(closeStatusOf("SL"), "CLOSED_SL");
});

Deno.test("levelsOnTicks() gives the levels planOco would place", () => {
  assert.deepEqual(
    levelsOnTicks("50000", { takeProfitPercent: 2, stopLossPercent: 1 }, "0.01"),
    { takeProfitPrice: "51000", stopPrice: "49500" },
  );
  assert.deepEqual(
    levelsOnTicks("0.5123", { takeProfitPercent: 3, stopLossPercent: 1.5 }, "0.0001"),
    { takeProfitPrice: "0.5277", stopPrice: "0.5046" },
  );
});
