import assert from "node:assert/strict";
import { AuraError } from "../errors.ts";
import { clientOrderId } from "./client_ids.ts";
import { parseSymbolRules } from "./filters.ts";
import { KNOWN_SYMBOLS } from "./known_symbols.ts";
import { planEntry, planOco } from "./plan.ts";

const btc = parseSymbolRules(KNOWN_SYMBOLS.BTCUSDT!);
const xrp = parseSymbolRules(KNOWN_SYMBOLS.XRPUSDT!);
const signal = { id: "sig-1", symbol: "BTCUSDT", takeProfitPercent: 2, stopLossPercent: 1 };

function isCode(code: string) {
  return (error: unknown) => error instanceof AuraError && error.code === code;
}

Deno.test("planEntry() sizes a market buy by quoteOrderQty with the entry client id", () => {
  const plan = planEntry({
    signal,
    rules: btc,
    quoteBalance: "10000",
    positionSizeUsd: 100,
    lastPrice: "50000",
  });
  assert.deepEqual(plan, {
    symbol: "BTCUSDT",
    quoteOrderQty: "100",
    clientOrderId: clientOrderId("sig-1", "E"),
    estimatedQuantity: "0.00199",
  });
});

Deno.test("planEntry() floors a float position size to the quote precision", () => {
  const plan = planEntry({
    signal,
    rules: { ...btc, quotePrecision: 2 },
    quoteBalance: "10000",
    positionSizeUsd: 100.129,
    lastPrice: "50000",
  });
  assert.equal(plan.quoteOrderQty, "100.12");
});

Deno.test("planEntry() refuses with TRADE_001 when the quote balance is short", () => {
  assert.throws(
    () =>
      planEntry({
        signal,
        rules: btc,
        quoteBalance: "99.99",
        positionSizeUsd: "100",
        lastPrice: "50000",
      }),
    (error: unknown) =>
      isCode("TRADE_001")(error) &&
      /USDT balance "99.99" is below order size "100"/.test((error as Error).message),
  );
});

Deno.test("planEntry() refuses with TRADE_002 an entry below NOTIONAL", () => {
  assert.throws(
    () =>
      planEntry({
        signal,
        rules: btc,
        quoteBalance: "100",
        positionSizeUsd: 4,
        lastPrice: "50000",
      }),
    isCode("TRADE_002"),
  );
});

Deno.test("planEntry() refuses an entry whose later OCO stop leg would break NOTIONAL", () => {
  // 5.2 USDT passes NOTIONAL as an entry, but after the fee and a 5 % stop the
  // stop leg is worth less than 5 USDT: refuse before buying.
  const input = {
    signal: { ...signal, stopLossPercent: 5 },
    rules: btc,
    quoteBalance: "100",
    positionSizeUsd: 5.2,
    lastPrice: "50000",
  };
  assert.throws(
    () => planEntry(input),
    (error: unknown) => isCode("TRADE_002")(error) && /place OCO/.test((error as Error).message),
  );
  planEntry({ ...input, signal: { id: "no-oco", symbol: "BTCUSDT" } });
});

Deno.test("planEntry() refuses with TRADE_003 when the symbol is halted", () => {
  assert.throws(
    () =>
      planEntry({
        signal,
        rules: { ...btc, status: "HALT" },
        quoteBalance: "1000",
        positionSizeUsd: 100,
        lastPrice: "50000",
      }),
    isCode("TRADE_003"),
  );
});

Deno.test("planOco() places TP and SL from protectiveLevels, rounded to the tick", () => {
  const plan = planOco({
    rules: btc,
    executedQty: "0.00199",
    commission: "0.0995",
    commissionAsset: "USDT",
    entryPrice: "50123.45",
    lastPrice: "50120",
    takeProfitPercent: 2,
    stopLossPercent: 1,
  });
  // 50123.45 × 1.02 = 51125.919 → 51125.92; × 0.99 = 49622.2155 → 49622.22;
  // limit 0.1 % below the stop, floored to the tick: 49572.59.
  assert.deepEqual(plan, {
    action: "PLACE_OCO",
    quantity: "0.00199",
    takeProfitPrice: "51125.92",
    stopPrice: "49622.22",
    stopLimitPrice: "49572.59",
  });
});

Deno.test("planOco() subtracts a base-asset commission and floors to the step", () => {
  const plan = planOco({
    rules: btc,
    executedQty: "0.002",
    commission: "0.000002",
    commissionAsset: "BTC",
    entryPrice: "50000",
    lastPrice: "50000",
    takeProfitPercent: 2,
    stopLossPercent: 1,
  });
  assert.equal(plan.quantity, "0.00199");
});

Deno.test("planOco() keeps the stop limit at least one tick below a small stop", () => {
  const plan = planOco({
    rules: xrp,
    executedQty: "100",
    commission: "0",
    commissionAsset: "USDT",
    entryPrice: "0.5",
    lastPrice: "0.5",
    takeProfitPercent: 10,
    stopLossPercent: 10,
  });
  assert.equal(plan.action, "PLACE_OCO");
  if (plan.action !== "PLACE_OCO") return;
  assert.equal(plan.stopPrice, "0.45");
  assert.equal(plan.stopLimitPrice, "0.4495");
});

Deno.test("planOco() exits at market when the price already passed a leg", () => {
  const base = {
    rules: btc,
    executedQty: "0.002",
    commission: "0",
    commissionAsset: "USDT",
    entryPrice: "50000",
    takeProfitPercent: 2,
    stopLossPercent: 1,
  };
  const pastTakeProfit = planOco({ ...base, lastPrice: "51000" });
  assert.equal(pastTakeProfit.action, "EXIT_AT_MARKET");
  assert.match(
    (pastTakeProfit as { reason: string }).reason,
    /take-profit "51000" is at or below last price "51000"/,
  );
  const pastStop = planOco({ ...base, lastPrice: "49400" });
  assert.equal(pastStop.action, "EXIT_AT_MARKET");
  assert.equal(pastStop.quantity, "0.002");
});

Deno.test("planOco() refuses legs below NOTIONAL with TRADE_002", () => {
  assert.throws(
    () =>
      planOco({
        rules: btc,
        executedQty: "0.0001",
        commission: "0",
        commissionAsset: "USDT",
        entryPrice: "50000",
        lastPrice: "50000",
        takeProfitPercent: 2,
        stopLossPercent: 1,
      }),
    isCode("TRADE_002"),
  );
});
