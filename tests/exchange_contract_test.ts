/**
 * The Exchange contract, run against the ccxt Binance adapter talking to the
 * Binance-compatible simulator (the paper exchange runs the same suite in
 * adapters/exchange/paper_test.ts).
 */
import { CcxtBinanceExchange } from "../adapters/exchange/ccxt_binance.ts";
import { exchangeContractTests } from "../adapters/exchange/contract_test_suite.ts";
import { startSimulator } from "../sim/server.ts";

let minute = 0;

exchangeContractTests("ccxt+simulator", async (setup) => {
  const sim = await startSimulator({ startPrices: setup.prices });
  sim.addAccount("contract-key", "contract-secret", setup.balances);
  const exchange = new CcxtBinanceExchange({
    apiKey: "contract-key",
    secret: "contract-secret",
    endpoint: sim.url,
    pollIntervalMs: 20,
    resilience: { baseDelayMs: 5 },
  });
  return {
    exchange,
    pushCandle: (symbol, candle) => {
      const openTime = Date.UTC(2026, 0, 1) + 60_000 * minute++;
      sim.pushCandle(symbol, { ...candle, openTime, closeTime: openTime + 59_999, volume: "1" });
    },
    close: async () => {
      await exchange.close();
      await sim.close();
    },
  };
});
