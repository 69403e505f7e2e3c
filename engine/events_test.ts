import assert from "node:assert/strict";
import { isAuraError } from "./errors.ts";
import {
  accountChanged,
  type AuraEvent,
  createEvent,
  EVENT_VERSION,
  type EventType,
  klineClosed,
  orderEventFromExchange,
  parseEvent,
  strategyChanged,
  topicOf,
  tradeSignal,
  trustEvent,
} from "./events.ts";

const KLINE = {
  symbol: "BTCUSDT",
  interval: "1m",
  openTime: 1_700_000_000_000,
  closeTime: 1_700_000_059_999,
  open: "37000.1",
  high: "37010",
  low: "36990.55",
  close: "37005.2",
  volume: "12.001",
};
const owner = { userId: 3, strategyId: "42", symbol: "BTCUSDT" };
const fill = {
  price: "37005.2",
  quantity: "0.0027",
  quoteQty: "99.91404",
  commission: "0.0000027",
  commissionAsset: "BTC",
};

/** One valid event of every type. */
function oneOfEach(): AuraEvent[] {
  const at = { occurredAt: 1_700_000_061_000 };
  return [
    klineClosed(KLINE, 1_700_000_060_120),
    tradeSignal({
      strategyId: "42",
      userId: 3,
      symbol: "BTCUSDT",
      interval: "1m",
      action: "ENTRY",
      signalPrice: "37005.2",
      candleCloseTime: KLINE.closeTime,
      riskParams: {
        positionSizeUsd: 100,
        takeProfitPercent: 2,
        stopLossPercent: 1,
        maxDrawdownPercent: 20,
      },
      trace: {
        candleCloseTime: KLINE.closeTime,
        klineReceivedAt: 1_700_000_060_120,
        signalAt: 1_700_000_060_125,
      },
    }),
    createEvent("order_filled", {
      ...at,
      ...owner,
      ...fill,
      id: "order_filled:e1",
      side: "BUY",
      orderId: "9001",
      clientOrderId: "aura-42-e",
      signalId: "42:1700000059999:ENTRY",
    }),
    createEvent("oco_leg_filled", {
      ...at,
      ...owner,
      ...fill,
      id: "oco_leg_filled:l1",
      leg: "TP",
      orderListId: "77",
      listClientOrderId: "aura-42-l",
      orderId: "9003",
      clientOrderId: "aura-42-tp",
    }),
    createEvent("oco_cancelled", {
      ...at,
      ...owner,
      id: "oco_cancelled:l1",
      orderListId: "77",
      listClientOrderId: "aura-42-l",
      reason: "cancelled by an EXIT signal",
    }),
    createEvent("order_expired", {
      ...at,
      ...owner,
      id: "order_expired:x",
      side: "SELL",
      orderId: "9004",
      clientOrderId: "aura-42-x",
    }),
    createEvent("trade_opened", {
      ...at,
      ...owner,
      id: "trade_opened:5",
      tradeId: "5",
      signalId: "42:1700000059999:ENTRY",
      entryOrderId: "9001",
      entryPrice: "37005.2",
      quantity: "0.0027",
      quoteQty: "99.91404",
      fees: "0.0999",
      takeProfitPrice: "37745.3",
      stopLossPrice: "36635.1",
      listClientOrderId: null,
    }),
    createEvent("trade_closed", {
      ...at,
      ...owner,
      id: "trade_closed:5",
      tradeId: "5",
      status: "CLOSED_SL",
      entryPrice: "37005.2",
      exitPrice: "36635.1",
      quantity: "0.0027",
      pnl: "-1.19927",
      fees: "0.1988",
    }),
    createEvent("trade_failed", {
      ...at,
      ...owner,
      id: "trade_failed:42:1700000059999:ENTRY",
      signalId: "42:1700000059999:ENTRY",
      action: "ENTRY",
      code: "TRADE_001",
      message: "Insufficient USDT balance",
    }),
    createEvent("strategy_halted", {
      ...at,
      ...owner,
      id: "strategy_halted:42:1",
      reason: "MAX_DRAWDOWN",
      message: "Drawdown 21% exceeds the 20% limit",
      drawdownPercent: "21.04",
    }),
    createEvent("reconciliation_report", {
      ...at,
      id: "reconciliation_report:3:1",
      userId: 3,
      openTradesChecked: 2,
      findings: [{
        symbol: "BTCUSDT",
        tradeId: "5",
        kind: "closed_while_down",
        detail: "OCO stop-loss filled at 36635.1 while the engine was down",
      }],
    }),
  ];
}

Deno.test("klineClosed() ids a kline by symbol, interval and open time", () => {
  const event = klineClosed(KLINE, 1_700_000_060_120);
  assert.equal(event.id, "BTCUSDT:1m:1700000000000");
  assert.equal(event.v, EVENT_VERSION);
  assert.equal(event.occurredAt, 1_700_000_060_120);
  assert.deepEqual(event.kline, KLINE);
});

Deno.test("tradeSignal() uses the runner's signal id and occurs when signalled", () => {
  const signal = oneOfEach()[1]!;
  assert.equal(signal.id, `42:${KLINE.closeTime}:ENTRY`);
  assert.equal(signal.occurredAt, 1_700_000_060_125);
});

Deno.test("events are frozen all the way down", () => {
  const event = klineClosed(KLINE, 1);
  assert.ok(Object.isFrozen(event) && Object.isFrozen(event.kline));
  assert.throws(() => {
    (event.kline as { close: string }).close = "1";
  }, TypeError);
});

Deno.test("every event type survives a JSON round trip through parseEvent()", () => {
  const events = oneOfEach();
  const types = new Set<EventType>(events.map((e) => e.type));
  assert.equal(types.size, 11);
  for (const event of events) {
    const parsed = parseEvent(JSON.parse(JSON.stringify(event)));
    assert.deepEqual(parsed, event);
    assert.ok(Object.isFrozen(parsed));
  }
});

Deno.test("parseEvent() rejects an unknown version with SYS_003", () => {
  const wire = { ...JSON.parse(JSON.stringify(klineClosed(KLINE, 1))), v: 2 };
  assert.throws(
    () => parseEvent(wire),
    (e) => isAuraError(e, "SYS_003") && e.message.includes(`version "2"`),
  );
  assert.throws(() => parseEvent(null), (e) => isAuraError(e, "SYS_003"));
});

Deno.test("parseEvent() names the field when money arrives as a float or a type is unknown", () => {
  const wire = JSON.parse(JSON.stringify(oneOfEach()[2]));
  assert.throws(
    () => parseEvent({ ...wire, price: 37005.2 }),
    (e) => isAuraError(e, "SYS_003") && e.message.includes("price"),
  );
  assert.throws(
    () => parseEvent({ ...wire, type: "order_teleported" }),
    (e) => isAuraError(e, "SYS_003"),
  );
});

Deno.test("topicOf() routes klines, signals and everything else to orders", () => {
  assert.deepEqual(oneOfEach().map((e) => topicOf(e.type)), [
    "klines",
    "signals",
    ...Array(9).fill("orders"),
  ]);
});

Deno.test("orderEventFromExchange() keeps the exchange's event id and maps the OCO leg", () => {
  const leg = orderEventFromExchange({
    type: "oco_leg_filled",
    id: "oco_leg_filled:aura-42-l",
    symbol: "BTCUSDT",
    orderListId: "77",
    listClientOrderId: "aura-42-l",
    leg: "STOP_LOSS",
    orderId: "9004",
    clientOrderId: "aura-42-sl",
    price: "36635.1",
    quantity: "0.0027",
    quoteQty: "98.91477",
    commission: "0.0989",
    commissionAsset: "USDT",
    time: 1_700_000_900_000,
  }, { userId: 3, strategyId: "42" });
  assert.equal(leg.type, "oco_leg_filled");
  assert.equal(leg.id, "oco_leg_filled:aura-42-l");
  assert.equal(leg.type === "oco_leg_filled" && leg.leg, "SL");
  assert.equal(leg.occurredAt, 1_700_000_900_000);
  assert.ok(Object.isFrozen(leg));
});

Deno.test('control events (strategy_changed, account_changed) go on "control", each with its own id', () => {
  const changed = strategyChanged(3, 42, 1_700_000_000_000);
  const account = accountChanged(3, 1_700_000_000_001);
  assert.equal(changed.strategyId, "42");
  assert.notEqual(changed.id, strategyChanged(3, 42, 1_700_000_000_000).id);
  assert.deepEqual([topicOf(changed.type), topicOf(account.type)], ["control", "control"]);
  assert.deepEqual(parseEvent(JSON.parse(JSON.stringify(account))), account);
});

Deno.test("trustEvent() freezes what a bus already validated, checking only version and type", () => {
  const wire = JSON.parse(JSON.stringify(oneOfEach()[1]));
  const trusted = trustEvent(wire);
  assert.deepEqual(trusted, parseEvent(JSON.parse(JSON.stringify(wire))));
  assert.ok(Object.isFrozen(trusted) && Object.isFrozen((trusted as { trace: object }).trace));
  assert.throws(() => trustEvent({ ...wire, v: 2 }), (e) => isAuraError(e, "SYS_003"));
  assert.throws(() => trustEvent({ ...wire, type: "nope" }), (e) => isAuraError(e, "SYS_003"));
  assert.throws(() => trustEvent(null), (e) => isAuraError(e, "SYS_003"));
});
