import assert from "node:assert/strict";
import { parseEvent, tradeSignal } from "../engine/events.ts";
import { busyStrategy } from "../engine/live/_test_market.ts";
import { frozenRisk, signalEvent } from "./_signal_event.ts";

Deno.test("signalEvent builds exactly what tradeSignal() validates", () => {
  const def = busyStrategy();
  const signal = {
    id: "42:1735689659999:ENTRY",
    strategyId: "42",
    symbol: "BTCUSDT",
    action: "ENTRY" as const,
    candleCloseTime: 1735689659999,
    price: "60000.5",
  };
  const fast = signalEvent(
    signal,
    { userId: 7, interval: "1m", risk: frozenRisk(def) },
    "60000.5",
    10,
    12,
  );
  const checked = tradeSignal({
    strategyId: "42",
    userId: 7,
    symbol: "BTCUSDT",
    interval: "1m",
    action: "ENTRY",
    signalPrice: "60000.5",
    candleCloseTime: 1735689659999,
    riskParams: def.riskParams,
    trace: { candleCloseTime: 1735689659999, klineReceivedAt: 10, signalAt: 12 },
  });
  assert.deepEqual(fast, checked);
  assert.deepEqual(parseEvent(JSON.parse(JSON.stringify(fast))), checked);
  assert.ok(
    Object.isFrozen(fast) && Object.isFrozen(fast.trace) && Object.isFrozen(fast.riskParams),
  );
});

Deno.test("signalEvent writes a float price as a plain decimal string", () => {
  const risk = frozenRisk(busyStrategy());
  const signal = {
    id: "1:59999:EXIT",
    strategyId: "1",
    symbol: "XRPUSDT",
    action: "EXIT" as const,
    candleCloseTime: 59999,
    price: "1e-7",
  };
  const event = signalEvent(signal, { userId: 1, interval: "1m", risk }, "1e-7", 1, 2);
  assert.equal(event.signalPrice, "0.0000001");
  parseEvent(JSON.parse(JSON.stringify(event)));
});
