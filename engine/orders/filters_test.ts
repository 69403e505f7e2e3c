import assert from "node:assert/strict";
import { AuraError } from "../errors.ts";
import { KNOWN_SYMBOLS } from "./known_symbols.ts";
import {
  parseSymbolRules,
  type SymbolRules,
  validateMarketBuyQuote,
  validateOcoSell,
} from "./filters.ts";

const btc = parseSymbolRules(KNOWN_SYMBOLS.BTCUSDT!);

function tradeError(code: string, pattern: RegExp) {
  return (error: unknown) =>
    error instanceof AuraError && error.code === code && pattern.test(error.message);
}

const goodOco = {
  quantity: "0.001",
  takeProfitPrice: "102000",
  stopPrice: "98000",
  stopLimitPrice: "97902",
  lastPrice: "100000",
};

Deno.test("parseSymbolRules() reads PRICE_FILTER, LOT_SIZE, NOTIONAL and PERCENT_PRICE_BY_SIDE", () => {
  assert.equal(btc.symbol, "BTCUSDT");
  assert.equal(btc.status, "TRADING");
  assert.equal(btc.baseAsset, "BTC");
  assert.equal(btc.quoteAsset, "USDT");
  assert.equal(btc.tickSize, "0.01000000");
  assert.equal(btc.stepSize, "0.00001000");
  assert.equal(btc.minQty, "0.00001000");
  assert.equal(btc.maxQty, "9000.00000000");
  assert.equal(btc.marketMaxQty, "107.11000000");
  assert.equal(btc.minNotional, "5.00000000");
  assert.equal(btc.applyMinToMarket, true);
  assert.equal(btc.maxNotional, "9000000.00000000");
  assert.equal(btc.applyMaxToMarket, false);
  assert.deepEqual(btc.percentPrice, {
    bidMultiplierUp: "5",
    bidMultiplierDown: "0.2",
    askMultiplierUp: "5",
    askMultiplierDown: "0.2",
  });
  assert.equal(btc.ocoAllowed, true);
});

Deno.test("parseSymbolRules() accepts the older MIN_NOTIONAL filter", () => {
  const rules = parseSymbolRules({
    symbol: "OLDUSDT",
    status: "BREAK",
    baseAsset: "OLD",
    quoteAsset: "USDT",
    filters: [
      { filterType: "PRICE_FILTER", tickSize: "0.001", minPrice: "0.001", maxPrice: "1000" },
      { filterType: "LOT_SIZE", stepSize: "1", minQty: "1", maxQty: "100000" },
      { filterType: "MIN_NOTIONAL", minNotional: "10", applyToMarket: false },
    ],
  });
  assert.equal(rules.minNotional, "10");
  assert.equal(rules.applyMinToMarket, false);
  assert.equal(rules.percentPrice, undefined);
  assert.equal(rules.ocoAllowed, false);
  assert.equal(rules.quotePrecision, 8);
});

Deno.test("validateOcoSell() accepts legs within every filter", () => {
  validateOcoSell(btc, goodOco);
});

Deno.test("validateOcoSell() refuses a quantity below LOT_SIZE minQty", () => {
  const rules: SymbolRules = { ...btc, minQty: "0.0001" };
  assert.throws(
    () => validateOcoSell(rules, { ...goodOco, quantity: "0.00001" }),
    tradeError(
      "TRADE_002",
      /^Cannot place OCO for "BTCUSDT": quantity "0.00001" is below LOT_SIZE minQty "0.0001"$/,
    ),
  );
});

Deno.test("validateOcoSell() refuses a quantity off the LOT_SIZE step", () => {
  assert.throws(
    () => validateOcoSell(btc, { ...goodOco, quantity: "0.000015" }),
    tradeError("TRADE_002", /not a multiple of LOT_SIZE stepSize/),
  );
});

Deno.test("validateOcoSell() refuses a price off the tick", () => {
  assert.throws(
    () => validateOcoSell(btc, { ...goodOco, takeProfitPrice: "102000.005" }),
    tradeError(
      "TRADE_002",
      /takeProfitPrice "102000.005" is not a multiple of PRICE_FILTER tickSize/,
    ),
  );
});

Deno.test("validateOcoSell() refuses a stop leg whose notional is below NOTIONAL", () => {
  // 0.00005 × 102000 = 5.1 passes; 0.00005 × 97902 = 4.8951 does not.
  assert.throws(
    () => validateOcoSell(btc, { ...goodOco, quantity: "0.00005" }),
    tradeError("TRADE_002", /notional "4.8951" is below NOTIONAL minNotional "5.00000000"/),
  );
});

Deno.test("validateOcoSell() refuses a take-profit beyond PERCENT_PRICE_BY_SIDE", () => {
  assert.throws(
    () => validateOcoSell(btc, { ...goodOco, takeProfitPrice: "500000.01" }),
    tradeError("TRADE_002", /above PERCENT_PRICE_BY_SIDE limit "500000"/),
  );
  assert.throws(
    () => validateOcoSell(btc, { ...goodOco, stopPrice: "19000", stopLimitPrice: "18999.99" }),
    tradeError("TRADE_002", /stopLimitPrice "18999.99" is below PERCENT_PRICE_BY_SIDE/),
  );
});

Deno.test("validateOcoSell() refuses a stop limit above its trigger and a disallowed OCO", () => {
  assert.throws(
    () => validateOcoSell(btc, { ...goodOco, stopLimitPrice: "98000.01" }),
    tradeError("TRADE_002", /stopLimitPrice "98000.01" is above stopPrice "98000"/),
  );
  assert.throws(
    () => validateOcoSell({ ...btc, ocoAllowed: false }, goodOco),
    tradeError("TRADE_002", /not allowed/),
  );
});

Deno.test("validators answer TRADE_003 when the symbol is not trading", () => {
  const halted: SymbolRules = { ...btc, status: "HALT" };
  assert.throws(
    () => validateOcoSell(halted, goodOco),
    tradeError("TRADE_003", /status is "HALT"/),
  );
  assert.throws(
    () => validateMarketBuyQuote(halted, { quoteOrderQty: "100", lastPrice: "100000" }),
    tradeError("TRADE_003", /Cannot place market buy for "BTCUSDT"/),
  );
});

Deno.test("validateMarketBuyQuote() applies NOTIONAL to market orders and MARKET_LOT_SIZE", () => {
  validateMarketBuyQuote(btc, { quoteOrderQty: "5", lastPrice: "100000" });
  assert.throws(
    () => validateMarketBuyQuote(btc, { quoteOrderQty: "4.99", lastPrice: "100000" }),
    tradeError("TRADE_002", /notional "4.99" is below NOTIONAL minNotional/),
  );
  validateMarketBuyQuote({ ...btc, applyMinToMarket: false }, {
    quoteOrderQty: "1",
    lastPrice: "100000",
  });
  assert.throws(
    () => validateMarketBuyQuote(btc, { quoteOrderQty: "8000000", lastPrice: "10000" }),
    tradeError("TRADE_002", /above MARKET_LOT_SIZE maxQty/),
  );
});
