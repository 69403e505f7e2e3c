/**
 * The one contract every {@link Exchange} adapter must honour, as a function
 * that registers Deno tests for a harness factory. The paper exchange runs it
 * in-process; the ccxt adapter runs it against the Binance simulator
 * (tests/exchange_contract_test.ts).
 *
 * Events may arrive asynchronously (the ccxt adapter polls), so tests poll for
 * them with a deadline instead of sleeping.
 *
 * @module
 */

import assert from "node:assert/strict";
import { AuraError } from "../../engine/errors.ts";
import { compareDecimals } from "../../engine/orders/decimal.ts";
import { tradeClientIds } from "../../engine/orders/client_ids.ts";
import { planOco } from "../../engine/orders/plan.ts";
import type { Exchange, OrderEvent } from "../../engine/ports/exchange.ts";

/** A candle that moves a harness's market (decimal strings). */
export interface HarnessCandle {
  /** Open. */
  open: string;
  /** High. */
  high: string;
  /** Low. */
  low: string;
  /** Close (the new last price). */
  close: string;
}

/** An exchange under test plus the levers that move its market. */
export interface ExchangeHarness {
  /** The adapter under test. */
  exchange: Exchange;
  /** Moves the market by one closed candle (OCO legs may trigger). */
  pushCandle(symbol: string, candle: HarnessCandle): Promise<void> | void;
  /** Stops the exchange and whatever backs it. */
  close(): Promise<void>;
}

/** What a harness starts with: an account holding `balances`, markets at `prices`. */
export interface HarnessSetup {
  /** Free balances by asset. */
  balances: Record<string, string>;
  /** Last prices by symbol. */
  prices: Record<string, string>;
}

/** Builds a fresh, isolated harness per test. */
export type ExchangeHarnessFactory = (setup: HarnessSetup) => Promise<ExchangeHarness>;

/** Polls `condition` until it returns a value or `timeoutMs` passes. */
export async function waitFor<T>(
  condition: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  while (true) {
    const value = await condition();
    if (value !== undefined) return value;
    if (performance.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function hasCode(code: string) {
  return (error: unknown) => error instanceof AuraError && error.code === code;
}

const SETUP: HarnessSetup = { balances: { USDT: "10000" }, prices: { BTCUSDT: "50000" } };

async function withHarness(
  factory: ExchangeHarnessFactory,
  body: (h: ExchangeHarness, events: OrderEvent[]) => Promise<void>,
) {
  const harness = await factory(SETUP);
  const events: OrderEvent[] = [];
  const unsubscribe = harness.exchange.subscribeOrderEvents((event) => events.push(event));
  try {
    await body(harness, events);
  } finally {
    unsubscribe();
    await harness.close();
  }
}

/** Buys 100 USDT of BTC at 50,000 and protects it with a +2 % / -1 % OCO. */
async function openProtectedPosition(exchange: Exchange, signalId: string) {
  const ids = tradeClientIds(signalId);
  const entry = await exchange.marketBuyQuote({
    symbol: "BTCUSDT",
    quoteOrderQty: "100",
    clientOrderId: ids.entry,
  });
  const rules = await exchange.getSymbolRules("BTCUSDT");
  const plan = planOco({
    rules,
    executedQty: entry.executedQty,
    commission: entry.commission,
    commissionAsset: entry.commissionAsset,
    entryPrice: entry.avgPrice,
    lastPrice: await exchange.getLastPrice("BTCUSDT"),
    takeProfitPercent: 2,
    stopLossPercent: 1,
  });
  assert.equal(plan.action, "PLACE_OCO");
  if (plan.action !== "PLACE_OCO") throw new Error("unreachable");
  const list = await exchange.placeOco({
    symbol: "BTCUSDT",
    quantity: plan.quantity,
    takeProfitPrice: plan.takeProfitPrice,
    stopPrice: plan.stopPrice,
    stopLimitPrice: plan.stopLimitPrice,
    listClientOrderId: ids.ocoList,
    aboveClientOrderId: ids.takeProfit,
    belowClientOrderId: ids.stopLoss,
  });
  return { ids, entry, plan, list };
}

/**
 * Registers the Exchange contract tests for `factory`, named `[name] …`.
 *
 * @example
 * ```ts
 * exchangeContractTests("paper", async (setup) => { ... });
 * ```
 */
export function exchangeContractTests(
  name: string,
  factory: ExchangeHarnessFactory,
  options: { ignore?: boolean } = {},
): void {
  const test = (title: string, fn: () => Promise<void>) =>
    Deno.test({ name: `[${name}] ${title}`, ignore: options.ignore ?? false, fn });

  test("getSymbolRules() returns the real BTCUSDT filters and TRADE_003 for an unknown symbol", () =>
    withHarness(factory, async ({ exchange }) => {
      const rules = await exchange.getSymbolRules("BTCUSDT");
      assert.equal(compareDecimals(rules.tickSize, "0.01"), 0);
      assert.equal(compareDecimals(rules.stepSize, "0.00001"), 0);
      assert.equal(compareDecimals(rules.minNotional, "5"), 0);
      assert.equal(rules.status, "TRADING");
      assert.equal(rules.ocoAllowed, true);
      await assert.rejects(exchange.getSymbolRules("NOPEUSDT"), hasCode("TRADE_003"));
    }));

  test("marketBuyQuote() fills at the last price and getOrder() finds it by client id", () =>
    withHarness(factory, async ({ exchange }, events) => {
      const ids = tradeClientIds("contract-buy");
      const order = await exchange.marketBuyQuote({
        symbol: "BTCUSDT",
        quoteOrderQty: "100",
        clientOrderId: ids.entry,
      });
      assert.equal(order.status, "FILLED");
      assert.equal(order.clientOrderId, ids.entry);
      assert.equal(compareDecimals(order.executedQty, "0.002"), 0);
      assert.equal(compareDecimals(order.cummulativeQuoteQty, "100"), 0);
      assert.equal(compareDecimals(order.avgPrice, "50000"), 0);
      assert.equal(compareDecimals(order.commission, "0.1"), 0);
      assert.equal(order.commissionAsset, "USDT");
      const found = await exchange.getOrder({ symbol: "BTCUSDT", clientOrderId: ids.entry });
      assert.equal(found?.status, "FILLED");
      assert.equal(found?.orderId, order.orderId);
      assert.equal(
        await exchange.getOrder({ symbol: "BTCUSDT", clientOrderId: "au-unknown-E" }),
        null,
      );
      const balances = await exchange.getBalances();
      assert.equal(compareDecimals(balances.BTC?.free ?? "0", "0.002"), 0);
      assert.ok(compareDecimals(balances.USDT?.free ?? "0", "9900") <= 0);
      const fills = await exchange.getRecentFills("BTCUSDT");
      assert.equal(fills.length, 1);
      assert.equal(fills[0]?.orderId, order.orderId);
      assert.equal(fills[0]?.side, "BUY");
      const filled = await waitFor(
        () => events.find((e) => e.type === "order_filled"),
        "order_filled",
      );
      assert.equal(filled.id, `order_filled:${ids.entry}`);
    }));

  test("getOrders() lists the orders created in a window, oldest first; refuses over 24 hours", () =>
    withHarness(factory, async ({ exchange }) => {
      const first = tradeClientIds("contract-list-1").entry;
      const second = tradeClientIds("contract-list-2").entry;
      const at = await exchange.getServerTime();
      await exchange.marketBuyQuote({
        symbol: "BTCUSDT",
        quoteOrderQty: "100",
        clientOrderId: first,
      });
      await exchange.marketBuyQuote({
        symbol: "BTCUSDT",
        quoteOrderQty: "50",
        clientOrderId: second,
      });
      const window = { symbol: "BTCUSDT", since: at - 60_000, until: at + 60_000 };
      const listed = await exchange.getOrders(window);
      assert.deepEqual(listed.map((o) => o.clientOrderId), [first, second]);
      assert.equal(listed[0]?.status, "FILLED");
      assert.equal(listed[0]?.side, "BUY");
      assert.equal(compareDecimals(listed[1]?.cummulativeQuoteQty ?? "0", "50"), 0);
      assert.deepEqual(await exchange.getOrders({ ...window, symbol: "ETHUSDT" }), []);
      assert.deepEqual(
        await exchange.getOrders({ ...window, since: at - 120_000, until: at - 60_001 }),
        [],
      );
      await assert.rejects(
        exchange.getOrders({ ...window, until: window.since + 24 * 3_600_000 + 1 }),
        RangeError,
      );
    }));

  test("marketBuyQuote() refuses with TRADE_001 when the quote balance is short", () =>
    withHarness(factory, async ({ exchange }) => {
      await assert.rejects(
        exchange.marketBuyQuote({
          symbol: "BTCUSDT",
          quoteOrderQty: "20000",
          clientOrderId: "au-contract-poor-E",
        }),
        hasCode("TRADE_001"),
      );
    }));

  test("placeOco() opens an executing list that locks the base quantity", () =>
    withHarness(factory, async ({ exchange }) => {
      const { ids, plan, list } = await openProtectedPosition(exchange, "contract-oco");
      assert.equal(list.status, "EXECUTING");
      assert.equal(list.listClientOrderId, ids.ocoList);
      assert.equal(list.takeProfit.clientOrderId, ids.takeProfit);
      assert.equal(list.stopLoss.clientOrderId, ids.stopLoss);
      assert.equal(compareDecimals(list.takeProfit.price, plan.takeProfitPrice), 0);
      assert.equal(compareDecimals(list.stopLoss.stopPrice ?? "0", plan.stopPrice), 0);
      const open = await exchange.getOpenOrderLists();
      assert.deepEqual(open.map((l) => l.listClientOrderId), [ids.ocoList]);
      const fetched = await exchange.getOrderList({ listClientOrderId: ids.ocoList });
      assert.equal(fetched?.status, "EXECUTING");
      assert.equal(await exchange.getOrderList({ listClientOrderId: "au-unknown-O" }), null);
      const btc = (await exchange.getBalances()).BTC;
      assert.equal(compareDecimals(btc?.locked ?? "0", plan.quantity), 0);
    }));

  test("a candle through the take-profit fills that leg, expires the stop and emits oco_leg_filled", () =>
    withHarness(factory, async (harness, events) => {
      const { ids, plan, list: placed } = await openProtectedPosition(
        harness.exchange,
        "contract-tp",
      );
      await harness.pushCandle("BTCUSDT", {
        open: "50100",
        high: "51200",
        low: "50000",
        close: "51100",
      });
      const event = await waitFor(
        () => events.find((e) => e.type === "oco_leg_filled"),
        "oco_leg_filled",
      );
      assert.equal(event.type, "oco_leg_filled");
      if (event.type !== "oco_leg_filled") return;
      assert.equal(event.leg, "TAKE_PROFIT");
      assert.equal(event.listClientOrderId, ids.ocoList);
      assert.equal(event.clientOrderId, ids.takeProfit);
      assert.equal(event.orderId, placed.takeProfit.orderId);
      assert.equal(event.orderListId, placed.orderListId);
      assert.equal(compareDecimals(event.price, plan.takeProfitPrice), 0);
      assert.equal(compareDecimals(event.quantity, plan.quantity), 0);
      assert.equal(event.id, `oco_leg_filled:${ids.ocoList}`);
      const list = await harness.exchange.getOrderList({ listClientOrderId: ids.ocoList });
      assert.equal(list?.status, "ALL_DONE");
      assert.equal(list?.takeProfit.status, "FILLED");
      assert.equal(list?.stopLoss.status, "EXPIRED");
      assert.deepEqual(await harness.exchange.getOpenOrderLists(), []);
      const btc = (await harness.exchange.getBalances()).BTC;
      assert.equal(compareDecimals(btc?.locked ?? "0", "0"), 0);
    }));

  test("a candle through the stop fills the stop-loss leg at the stop price", () =>
    withHarness(factory, async (harness, events) => {
      const { ids, plan } = await openProtectedPosition(harness.exchange, "contract-sl");
      await harness.pushCandle("BTCUSDT", {
        open: "49900",
        high: "49950",
        low: "49400",
        close: "49450",
      });
      const event = await waitFor(
        () => events.find((e) => e.type === "oco_leg_filled"),
        "oco_leg_filled",
      );
      if (event.type !== "oco_leg_filled") throw new Error(`unexpected ${event.type}`);
      assert.equal(event.leg, "STOP_LOSS");
      assert.equal(event.clientOrderId, ids.stopLoss);
      assert.equal(compareDecimals(event.price, plan.stopPrice), 0);
      const list = await harness.exchange.getOrderList({ listClientOrderId: ids.ocoList });
      assert.equal(list?.stopLoss.status, "FILLED");
      assert.equal(list?.takeProfit.status, "EXPIRED");
    }));

  test("cancelOrderList() cancels both legs, unlocks the base and emits oco_cancelled", () =>
    withHarness(factory, async ({ exchange }, events) => {
      const { ids, plan } = await openProtectedPosition(exchange, "contract-cancel");
      const cancelled = await exchange.cancelOrderList({
        symbol: "BTCUSDT",
        listClientOrderId: ids.ocoList,
      });
      assert.equal(cancelled.status, "ALL_DONE");
      assert.equal(cancelled.takeProfit.status, "CANCELED");
      assert.equal(cancelled.stopLoss.status, "CANCELED");
      const btc = (await exchange.getBalances()).BTC;
      assert.equal(compareDecimals(btc?.free ?? "0", plan.quantity), 0);
      const event = await waitFor(
        () => events.find((e) => e.type === "oco_cancelled"),
        "oco_cancelled",
      );
      assert.equal(event.id, `oco_cancelled:${ids.ocoList}`);
      // Selling what the OCO held must now work.
      const sell = await exchange.marketSell({
        symbol: "BTCUSDT",
        quantity: plan.quantity,
        clientOrderId: ids.exit,
      });
      assert.equal(sell.status, "FILLED");
      assert.equal(sell.side, "SELL");
    }));

  test("placeOco() refuses legs that break NOTIONAL with TRADE_002", () =>
    withHarness(factory, async ({ exchange }) => {
      await openProtectedPosition(exchange, "contract-filters");
      await assert.rejects(
        exchange.placeOco({
          symbol: "BTCUSDT",
          quantity: "0.00005",
          takeProfitPrice: "51000",
          stopPrice: "49500",
          stopLimitPrice: "49450.5",
          listClientOrderId: "au-filters-O1",
          aboveClientOrderId: "au-filters-T1",
          belowClientOrderId: "au-filters-S1",
        }),
        hasCode("TRADE_002"),
      );
    }));

  test("getServerTime() answers a Unix ms time", () =>
    withHarness(factory, async ({ exchange }) => {
      const time = await exchange.getServerTime();
      assert.ok(Number.isInteger(time) && time >= 0);
    }));
}
