/**
 * Exchange adapter speed: the ccxt Binance adapter against the local Binance
 * simulator (real HTTP, HMAC signing, JSON parsing on both sides).
 *
 * - `exchange.order_round_trips`: market orders per second, one at a time
 *   (sign → send → match → answer → parse).
 * - `exchange.entry_to_oco`: from sending the market entry to the OCO being
 *   accepted, as the execution engine does it (entry, last price, planOco,
 *   OCO), p50/p99 in ms.
 * - `exchange.trade_cycles`: full cycles per second (entry, OCO, cancel OCO,
 *   market exit).
 *
 * Run: `deno run -A bench/exchange.ts [cycles]`. Prints plain lines such as
 * `exchange.entry_to_oco: p50 4.1 ms, p99 9.8 ms (200 cycles)`.
 *
 * @module
 */

import { CcxtBinanceExchange } from "../adapters/exchange/ccxt_binance.ts";
import { tradeClientIds } from "../engine/orders/client_ids.ts";
import { planOco } from "../engine/orders/plan.ts";
import { startSimulator } from "../sim/server.ts";

/** The figures {@link benchExchange} measures. */
export interface ExchangeBenchResult {
  /** Market orders per second, sequential. */
  orderRoundTripsPerSecond: number;
  /** Entry → OCO accepted, median ms. */
  entryToOcoP50Ms: number;
  /** Entry → OCO accepted, 99th percentile ms. */
  entryToOcoP99Ms: number;
  /** Entry + OCO + cancel + exit cycles per second. */
  tradeCyclesPerSecond: number;
  /** Cycles measured. */
  cycles: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Runs the benchmark on a fresh simulator; prints one line per figure and returns them. */
export async function benchExchange(
  cycles = 200,
  print: (line: string) => void = console.log,
): Promise<ExchangeBenchResult> {
  const sim = await startSimulator({ startPrices: { BTCUSDT: "50000" } });
  sim.addAccount("bench-key", "bench-secret", { USDT: "100000000", BTC: "0" });
  const exchange = new CcxtBinanceExchange({
    apiKey: "bench-key",
    secret: "bench-secret",
    endpoint: sim.url,
    resilience: { weightLimit: Number.MAX_SAFE_INTEGER },
  });
  try {
    const rules = await exchange.getSymbolRules("BTCUSDT");
    for (let i = 0; i < 10; i++) {
      await exchange.marketBuyQuote({
        symbol: "BTCUSDT",
        quoteOrderQty: "20",
        clientOrderId: `warm-${i}`,
      });
    }

    const orders = cycles * 2;
    let started = performance.now();
    for (let i = 0; i < orders; i++) {
      await exchange.marketBuyQuote({
        symbol: "BTCUSDT",
        quoteOrderQty: "20",
        clientOrderId: `rt-${i}`,
      });
    }
    const orderRoundTripsPerSecond = orders / ((performance.now() - started) / 1000);

    const entryToOco: number[] = [];
    started = performance.now();
    for (let i = 0; i < cycles; i++) {
      const ids = tradeClientIds(`bench-${i}`);
      const t0 = performance.now();
      const entry = await exchange.marketBuyQuote({
        symbol: "BTCUSDT",
        quoteOrderQty: "100",
        clientOrderId: ids.entry,
      });
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
      if (plan.action !== "PLACE_OCO") throw new Error(`bench expected an OCO, got ${plan.action}`);
      await exchange.placeOco({
        symbol: "BTCUSDT",
        ...plan,
        listClientOrderId: ids.ocoList,
        aboveClientOrderId: ids.takeProfit,
        belowClientOrderId: ids.stopLoss,
      });
      entryToOco.push(performance.now() - t0);
      await exchange.cancelOrderList({ symbol: "BTCUSDT", listClientOrderId: ids.ocoList });
      await exchange.marketSell({
        symbol: "BTCUSDT",
        quantity: plan.quantity,
        clientOrderId: ids.exit,
      });
    }
    const tradeCyclesPerSecond = cycles / ((performance.now() - started) / 1000);
    entryToOco.sort((a, b) => a - b);
    const result: ExchangeBenchResult = {
      orderRoundTripsPerSecond,
      entryToOcoP50Ms: percentile(entryToOco, 50),
      entryToOcoP99Ms: percentile(entryToOco, 99),
      tradeCyclesPerSecond,
      cycles,
    };
    print(
      `exchange.order_round_trips: ${
        result.orderRoundTripsPerSecond.toFixed(0)
      } orders/s (${orders} sequential market orders)`,
    );
    print(
      `exchange.entry_to_oco: p50 ${result.entryToOcoP50Ms.toFixed(2)} ms, p99 ${
        result.entryToOcoP99Ms.toFixed(2)
      } ms (${cycles} cycles)`,
    );
    print(
      `exchange.trade_cycles: ${
        result.tradeCyclesPerSecond.toFixed(0)
      } cycles/s (entry, OCO, cancel, exit)`,
    );
    return result;
  } finally {
    await exchange.close();
    await sim.close();
  }
}

if (import.meta.main) {
  await benchExchange(Number(Deno.args[0] ?? 200));
}
