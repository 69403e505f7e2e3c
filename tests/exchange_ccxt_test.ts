/**
 * The ccxt Binance adapter against the Binance-compatible simulator: the
 * trade flow through the pure planners, key and filter refusals, base-asset
 * fees, and the failure modes (5xx after execution, 429, -1021, breaker).
 * The last test runs against the real Binance Spot testnet and is skipped
 * unless BINANCE_TESTNET_API_KEY and BINANCE_TESTNET_API_SECRET are set.
 */
import assert from "node:assert/strict";
import { CcxtBinanceExchange, type CcxtBinanceOptions } from "../adapters/exchange/ccxt_binance.ts";
import { waitFor } from "../adapters/exchange/contract_test_suite.ts";
import { ManualClock } from "../engine/clock.ts";
import { AuraError } from "../engine/errors.ts";
import { tradeClientIds } from "../engine/orders/client_ids.ts";
import { compareDecimals } from "../engine/orders/decimal.ts";
import { planEntry, planOco } from "../engine/orders/plan.ts";
import type { OrderEvent } from "../engine/ports/exchange.ts";
import { type Simulator, startSimulator } from "../sim/server.ts";

const KEY = "test-key";
const SECRET = "test-secret";

interface Rig {
  sim: Simulator;
  exchange: CcxtBinanceExchange;
  clock: ManualClock;
  sleeps: number[];
  events: OrderEvent[];
}

async function withRig(
  body: (rig: Rig) => Promise<void>,
  options: {
    commissionAsset?: "quote" | "base";
    adapter?: Pick<CcxtBinanceOptions, "resilience">;
    /** Subscribe to order events (starts the poller, whose requests would disturb fault counts). */
    watchEvents?: boolean;
  } = {},
) {
  const sim = await startSimulator({
    startPrices: { BTCUSDT: "50000" },
    commissionAsset: options.commissionAsset ?? "quote",
  });
  sim.addAccount(KEY, SECRET, { USDT: "10000" });
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const sleeps: number[] = [];
  const exchange = new CcxtBinanceExchange({
    apiKey: KEY,
    secret: SECRET,
    endpoint: sim.url,
    pollIntervalMs: 20,
    clock,
    resilience: {
      // Waiting is recorded and advances the manual clock, so no test sleeps for real.
      sleep: (ms) => {
        sleeps.push(ms);
        clock.advance(ms);
        return Promise.resolve();
      },
      random: () => 1,
      baseDelayMs: 100,
      ...options.adapter?.resilience,
    },
  });
  const events: OrderEvent[] = [];
  const unsubscribe = options.watchEvents
    ? exchange.subscribeOrderEvents((event) => events.push(event))
    : () => {};
  try {
    await body({ sim, exchange, clock, sleeps, events });
  } finally {
    unsubscribe();
    await exchange.close();
    await sim.close();
  }
}

const isCode = (code: string) => (error: unknown) =>
  error instanceof AuraError && error.code === code;
const orderPosts = (sim: Simulator) =>
  sim.requestLog.filter((r) => r.method === "POST" && r.path.startsWith("/api/v3/order"));

/** Signal → planEntry → market buy → planOco → OCO, as the execution engine will do it. */
async function enter(exchange: CcxtBinanceExchange, signalId: string) {
  const signal = { id: signalId, symbol: "BTCUSDT", takeProfitPercent: 2, stopLossPercent: 1 };
  const rules = await exchange.getSymbolRules("BTCUSDT");
  const balances = await exchange.getBalances();
  const lastPrice = await exchange.getLastPrice("BTCUSDT");
  const entryPlan = planEntry({
    signal,
    rules,
    quoteBalance: balances.USDT?.free ?? "0",
    positionSizeUsd: 100,
    lastPrice,
  });
  const entry = await exchange.marketBuyQuote(entryPlan);
  const oco = planOco({
    rules,
    executedQty: entry.executedQty,
    commission: entry.commission,
    commissionAsset: entry.commissionAsset,
    entryPrice: entry.avgPrice,
    lastPrice: await exchange.getLastPrice("BTCUSDT"),
    takeProfitPercent: signal.takeProfitPercent,
    stopLossPercent: signal.stopLossPercent,
  });
  if (oco.action !== "PLACE_OCO") throw new Error(`expected an OCO, got ${oco.action}`);
  const ids = tradeClientIds(signalId);
  const list = await exchange.placeOco({
    symbol: "BTCUSDT",
    ...oco,
    listClientOrderId: ids.ocoList,
    aboveClientOrderId: ids.takeProfit,
    belowClientOrderId: ids.stopLoss,
  });
  return { entry, oco, list, ids };
}

function simOrder(sim: Simulator, clientOrderId: string) {
  return (sim.orders(KEY) as { clientOrderId: string; status: string }[]).find((o) =>
    o.clientOrderId === clientOrderId
  );
}

Deno.test("[ccxt] a signal becomes a market entry and an OCO on the simulator", () =>
  withRig(async ({ sim, exchange }) => {
    const { entry, oco, list, ids } = await enter(exchange, "flow-1");
    assert.equal(entry.status, "FILLED");
    assert.equal(entry.clientOrderId, ids.entry);
    assert.equal(list.status, "EXECUTING");
    assert.deepEqual(
      {
        tp: list.takeProfit.price,
        stop: list.stopLoss.stopPrice,
        limit: list.stopLoss.price,
        qty: list.takeProfit.origQty,
      },
      {
        tp: oco.takeProfitPrice,
        stop: oco.stopPrice,
        limit: oco.stopLimitPrice,
        qty: oco.quantity,
      },
    );
    assert.equal(list.takeProfit.type, "LIMIT_MAKER");
    assert.equal(list.stopLoss.type, "STOP_LOSS_LIMIT");
    assert.equal(simOrder(sim, ids.takeProfit)?.status, "NEW");
    assert.equal(simOrder(sim, ids.stopLoss)?.status, "NEW");
  }));

Deno.test("[ccxt] a take-profit fill closes the list and expires the stop leg on the exchange", () =>
  withRig(async ({ sim, exchange, events }) => {
    const { ids, oco } = await enter(exchange, "flow-tp");
    sim.pushCandle("BTCUSDT", {
      openTime: 0,
      closeTime: 59_999,
      open: "50050",
      high: "51500",
      low: "50000",
      close: "51200",
      volume: "3",
    });
    const event = await waitFor(
      () => events.find((e) => e.type === "oco_leg_filled"),
      "oco_leg_filled",
    );
    assert.ok(
      event.type === "oco_leg_filled" && event.leg === "TAKE_PROFIT" &&
        event.price === oco.takeProfitPrice,
    );
    assert.equal(simOrder(sim, ids.takeProfit)?.status, "FILLED");
    assert.equal(simOrder(sim, ids.stopLoss)?.status, "EXPIRED");
    assert.equal(
      (await exchange.getOrderList({ listClientOrderId: ids.ocoList }))?.status,
      "ALL_DONE",
    );
  }, { watchEvents: true }));

Deno.test("[ccxt] a stop-loss fill closes the list and expires the take-profit leg on the exchange", () =>
  withRig(async ({ sim, exchange, events }) => {
    const { ids } = await enter(exchange, "flow-sl");
    sim.pushCandle("BTCUSDT", {
      openTime: 0,
      closeTime: 59_999,
      open: "49950",
      high: "50000",
      low: "49000",
      close: "49100",
      volume: "3",
    });
    const event = await waitFor(
      () => events.find((e) => e.type === "oco_leg_filled"),
      "oco_leg_filled",
    );
    assert.ok(event.type === "oco_leg_filled" && event.leg === "STOP_LOSS");
    assert.equal(simOrder(sim, ids.stopLoss)?.status, "FILLED");
    assert.equal(simOrder(sim, ids.takeProfit)?.status, "EXPIRED");
  }, { watchEvents: true }));

Deno.test("[ccxt] invalid keys answer API_001", async () => {
  const sim = await startSimulator();
  sim.addAccount(KEY, SECRET, { USDT: "100" });
  const wrongSecret = new CcxtBinanceExchange({
    apiKey: KEY,
    secret: "not-the-secret",
    endpoint: sim.url,
  });
  const unknownKey = new CcxtBinanceExchange({
    apiKey: "nobody",
    secret: SECRET,
    endpoint: sim.url,
  });
  try {
    await assert.rejects(wrongSecret.getBalances(), isCode("API_001"));
    await assert.rejects(unknownKey.getBalances(), isCode("API_001"));
  } finally {
    await wrongSecret.close();
    await unknownKey.close();
    await sim.close();
  }
});

Deno.test("[ccxt] an OCO breaking the filters is refused with TRADE_002 before any order request", () =>
  withRig(async ({ sim, exchange }) => {
    await exchange.marketBuyQuote({
      symbol: "BTCUSDT",
      quoteOrderQty: "100",
      clientOrderId: "au-filters-E",
    });
    const before = orderPosts(sim).length;
    await assert.rejects(
      exchange.placeOco({
        symbol: "BTCUSDT",
        quantity: "0.002",
        takeProfitPrice: "51000.005",
        stopPrice: "49500",
        stopLimitPrice: "49450.5",
        listClientOrderId: "au-filters-O",
        aboveClientOrderId: "au-filters-T",
        belowClientOrderId: "au-filters-S",
      }),
      (error: unknown) =>
        isCode("TRADE_002")(error) && /PRICE_FILTER tickSize/.test((error as Error).message),
    );
    await assert.rejects(
      exchange.marketBuyQuote({
        symbol: "BTCUSDT",
        quoteOrderQty: "4",
        clientOrderId: "au-small-E",
      }),
      isCode("TRADE_002"),
    );
    assert.equal(orderPosts(sim).length, before);
  }));

Deno.test("[ccxt] a base-asset fee leaves the OCO selling exactly the net quantity", () =>
  withRig(async ({ exchange }) => {
    const { entry, oco, list } = await enter(exchange, "fee-base");
    assert.equal(entry.commissionAsset, "BTC");
    assert.equal(compareDecimals(entry.executedQty, "0.002"), 0);
    assert.equal(compareDecimals(entry.commission, "0.000002"), 0);
    assert.equal(oco.quantity, "0.00199");
    assert.equal(compareDecimals(list.takeProfit.origQty, "0.00199"), 0);
    const btc = (await exchange.getBalances()).BTC;
    assert.equal(compareDecimals(btc?.locked ?? "0", "0.00199"), 0);
    assert.equal(compareDecimals(btc?.free ?? "0", "0.000008"), 0);
  }, { commissionAsset: "base" }));

Deno.test("[ccxt] a 5xx after execution is resolved by client id, never by a second order", () =>
  withRig(async ({ sim, exchange }) => {
    sim.faults.failAfterExecuteRate = 1;
    const order = await exchange.marketBuyQuote({
      symbol: "BTCUSDT",
      quoteOrderQty: "100",
      clientOrderId: "au-5xx-E",
    });
    assert.equal(order.status, "FILLED");
    assert.equal(compareDecimals(order.executedQty, "0.002"), 0);
    assert.equal(compareDecimals(order.commission, "0.1"), 0);
    const sent = sim.requestLog.filter((r) =>
      r.method === "POST" && r.clientOrderId === "au-5xx-E"
    );
    assert.equal(sent.length, 1);
    assert.ok(
      sim.requestLog.some((r) =>
        r.method === "GET" && r.path === "/api/v3/order" && r.clientOrderId === "au-5xx-E"
      ),
    );
    assert.equal((sim.orders(KEY) as unknown[]).length, 1);
  }));

Deno.test("[ccxt] a 5xx after an OCO executed is resolved by list client id, never by a second list", () =>
  withRig(async ({ sim, exchange }) => {
    await exchange.marketBuyQuote({
      symbol: "BTCUSDT",
      quoteOrderQty: "100",
      clientOrderId: "au-oco5xx-E",
    });
    sim.faults.failAfterExecuteRate = 1;
    const list = await exchange.placeOco({
      symbol: "BTCUSDT",
      quantity: "0.002",
      takeProfitPrice: "51000",
      stopPrice: "49500",
      stopLimitPrice: "49450.5",
      listClientOrderId: "au-oco5xx-O",
      aboveClientOrderId: "au-oco5xx-T",
      belowClientOrderId: "au-oco5xx-S",
    });
    assert.equal(list.status, "EXECUTING");
    assert.equal(list.takeProfit.clientOrderId, "au-oco5xx-T");
    const posts = sim.requestLog.filter((r) =>
      r.method === "POST" && r.path === "/api/v3/orderList/oco"
    );
    assert.equal(posts.length, 1);
    const lookups = sim.requestLog.filter((r) =>
      r.method === "GET" && r.path === "/api/v3/orderList"
    );
    assert.equal(lookups.length, 1);
    assert.equal(lookups[0]?.clientOrderId, "au-oco5xx-O");
    assert.equal((sim.orders(KEY) as unknown[]).length, 3);
  }));

Deno.test("[ccxt] symbol rules are cached for their TTL, then fetched again", () =>
  withRig(async ({ sim, exchange, clock }) => {
    const infos = () => sim.requestLog.filter((r) => r.path === "/api/v3/exchangeInfo").length;
    await exchange.getSymbolRules("BTCUSDT");
    await exchange.getSymbolRules("BTCUSDT");
    assert.equal(infos(), 1);
    clock.advance(300_000);
    await exchange.getSymbolRules("BTCUSDT");
    assert.equal(infos(), 2);
  }));

const healer = { heal: () => {} };

Deno.test("[ccxt] a 5xx before execution is looked up, found missing, then sent once more", () =>
  withRig(async ({ sim, exchange }) => {
    // The exchange heals during the backoff after the first failure.
    healer.heal = () => void (sim.faults.failBeforeRate = 0);
    sim.faults.failBeforeRate = 1;
    const order = await exchange.marketBuyQuote({
      symbol: "BTCUSDT",
      quoteOrderQty: "100",
      clientOrderId: "au-before-E",
    });
    assert.equal(order.status, "FILLED");
    assert.equal((sim.orders(KEY) as unknown[]).length, 1);
    const trail = sim.requestLog
      .filter((r) => r.clientOrderId === "au-before-E" && r.path === "/api/v3/order")
      .map((r) => r.method);
    assert.deepEqual(trail, ["POST", "GET", "POST"]);
  }, { adapter: { resilience: { sleep: () => Promise.resolve(healer.heal()) } } }));

Deno.test("[ccxt] a 429 is waited out for its Retry-After, then the call succeeds", () =>
  withRig(async ({ sim, exchange, sleeps }) => {
    sim.faults.rateLimitBurst = 2;
    assert.equal(await exchange.getLastPrice("BTCUSDT"), "50000");
    assert.deepEqual(sleeps, [1000, 1000]);
    // The simulator reports X-MBX-USED-WEIGHT-1M on every answer; the adapter tracks it.
    assert.ok(exchange.resilience.usedWeight > 0);
    assert.equal(sim.requestLog.filter((r) => r.path === "/api/v3/ticker/price").length, 3);
  }));

Deno.test("[ccxt] a 418 ban stops all calls until it ends", () =>
  withRig(async ({ sim, exchange, clock }) => {
    sim.faults.banBurst = 1;
    await assert.rejects(exchange.getLastPrice("BTCUSDT"), isCode("API_003"));
    const count = sim.requestLog.length;
    await assert.rejects(exchange.getLastPrice("BTCUSDT"), isCode("API_003"));
    assert.equal(sim.requestLog.length, count);
    clock.advance(60_000);
    assert.equal(await exchange.getLastPrice("BTCUSDT"), "50000");
  }, { adapter: { resilience: { maxWaitMs: 5_000 } } }));

Deno.test("[ccxt] -1021 resynchronises the server time offset and retries once", () =>
  withRig(async ({ sim, exchange }) => {
    sim.faults.clockSkewMs = -30_000;
    const balances = await exchange.getBalances();
    assert.equal(balances.USDT?.free, "10000");
    assert.ok(sim.requestLog.some((r) => r.path === "/api/v3/time"));
    const offset = exchange.ccxt.options.timeDifference as number;
    assert.ok(offset > 25_000 && offset < 35_000, `offset ${offset}`);
  }));

Deno.test("[ccxt] the order circuit breaker opens after consecutive failures and recovers after the cool-down", () =>
  withRig(async ({ sim, exchange, clock }) => {
    const buy = () =>
      exchange.marketBuyQuote({
        symbol: "BTCUSDT",
        quoteOrderQty: "100",
        clientOrderId: "au-breaker-E",
      });
    sim.faults.failBeforeRate = 1;
    await assert.rejects(buy(), isCode("TRADE_004"));
    assert.equal(exchange.resilience.breakerState("orders"), "open");
    const posts = orderPosts(sim).length;
    await assert.rejects(buy(), /circuit is open/);
    assert.equal(orderPosts(sim).length, posts);
    // Reads have their own circuit and still work while orders are cut off.
    assert.equal(await exchange.getLastPrice("BTCUSDT"), "50000");
    sim.faults.failBeforeRate = 0;
    clock.advance(30_000);
    assert.equal(exchange.resilience.breakerState("orders"), "half_open");
    const order = await buy();
    assert.equal(order.status, "FILLED");
    assert.equal(exchange.resilience.breakerState("orders"), "closed");
    assert.equal((sim.orders(KEY) as unknown[]).length, 1);
  }, {
    adapter: { resilience: { breakerThreshold: 3, maxAttempts: 4, breakerCooldownMs: 30_000 } },
  }));

const testnetKey = Deno.env.get("BINANCE_TESTNET_API_KEY");
const testnetSecret = Deno.env.get("BINANCE_TESTNET_API_SECRET");

Deno.test({
  name: "[ccxt] the Binance Spot testnet answers rules, time and balances (opt-in)",
  ignore: !testnetKey || !testnetSecret,
  fn: async () => {
    const exchange = new CcxtBinanceExchange({
      apiKey: testnetKey!,
      secret: testnetSecret!,
      endpoint: "testnet",
    });
    try {
      const rules = await exchange.getSymbolRules("BTCUSDT");
      assert.equal(rules.status, "TRADING");
      assert.ok(Math.abs((await exchange.getServerTime()) - Date.now()) < 60_000);
      assert.equal(typeof (await exchange.getBalances()), "object");
      assert.ok(compareDecimals(await exchange.getLastPrice("BTCUSDT"), "0") > 0);
    } finally {
      await exchange.close();
    }
  },
});
