import assert from "node:assert/strict";
import { ManualClock } from "../../engine/clock.ts";
import { exchangeContractTests } from "./contract_test_suite.ts";
import { PaperExchange } from "./paper.ts";
import { tradeClientIds } from "../../engine/orders/client_ids.ts";
import type { OrderEvent } from "../../engine/ports/exchange.ts";

exchangeContractTests("paper", (setup) => {
  const exchange = new PaperExchange({ clock: new ManualClock(1_700_000_000_000), ...setup });
  return Promise.resolve({
    exchange,
    pushCandle: (symbol, candle) => exchange.onCandle(symbol, candle),
    close: () => exchange.close(),
  });
});

Deno.test("[paper] a base-asset fee reduces the bought quantity and the OCO sells the net amount", async () => {
  const exchange = new PaperExchange({
    clock: new ManualClock(0),
    commissionAsset: "base",
    prices: { BTCUSDT: "50000" },
  });
  const order = await exchange.marketBuyQuote({
    symbol: "BTCUSDT",
    quoteOrderQty: "100",
    clientOrderId: "au-x-E",
  });
  assert.equal(order.commission, "0.000002");
  assert.equal(order.commissionAsset, "BTC");
  const balances = await exchange.getBalances();
  assert.equal(balances.BTC?.free, "0.001998");
  assert.equal(balances.USDT?.free, "9900");
});

Deno.test("[paper] a gap below the stop fills at the open, as the backtester does", async () => {
  const clock = new ManualClock(0);
  const exchange = new PaperExchange({ clock, prices: { BTCUSDT: "50000" } });
  const events: OrderEvent[] = [];
  exchange.subscribeOrderEvents((event) => events.push(event));
  const ids = tradeClientIds("gap");
  await exchange.marketBuyQuote({
    symbol: "BTCUSDT",
    quoteOrderQty: "100",
    clientOrderId: ids.entry,
  });
  await exchange.placeOco({
    symbol: "BTCUSDT",
    quantity: "0.002",
    takeProfitPrice: "51000",
    stopPrice: "49500",
    stopLimitPrice: "49450.5",
    listClientOrderId: ids.ocoList,
    aboveClientOrderId: ids.takeProfit,
    belowClientOrderId: ids.stopLoss,
  });
  clock.set(60_000);
  exchange.onCandle("BTCUSDT", { open: "48000", high: "48100", low: "47900", close: "48050" });
  const leg = events.find((event) => event.type === "oco_leg_filled");
  assert.ok(leg && leg.type === "oco_leg_filled");
  assert.equal(leg.leg, "STOP_LOSS");
  assert.equal(leg.price, "48000");
  assert.equal(leg.quoteQty, "96");
  assert.equal(leg.commission, "0.096");
  assert.equal(leg.time, 60_000);
  // 10000 - 100.1 (buy + fee) + 96 - 0.096 (sell - fee)
  assert.equal((await exchange.getBalances()).USDT?.free, "9995.804");
  assert.equal(await exchange.getLastPrice("BTCUSDT"), "48050");
});

Deno.test("[paper] a duplicate open client id and a missing price are refused", async () => {
  const exchange = new PaperExchange({ clock: new ManualClock(0), prices: { BTCUSDT: "50000" } });
  await assert.rejects(
    exchange.marketBuyQuote({ symbol: "ETHUSDT", quoteOrderQty: "100", clientOrderId: "a" }),
    /no price yet/,
  );
  await exchange.marketBuyQuote({ symbol: "BTCUSDT", quoteOrderQty: "200", clientOrderId: "b" });
  const oco = {
    symbol: "BTCUSDT",
    quantity: "0.002",
    takeProfitPrice: "51000",
    stopPrice: "49500",
    stopLimitPrice: "49450.5",
    listClientOrderId: "L",
    aboveClientOrderId: "T",
    belowClientOrderId: "S",
  };
  await exchange.placeOco(oco);
  await assert.rejects(
    exchange.placeOco({ ...oco, listClientOrderId: "L2" }),
    /duplicate client order id "T"/,
  );
});
