/**
 * Worker entry that runs one backtest off the HTTP event loop: a thin shell
 * over the engine's runBacktest. Receives the candles as columns
 * (transferred, not copied), posts progress as it goes, then the report.
 * Private to services/backtests.ts.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { runBacktest } from "../engine/backtest/backtest.ts";
import type { BacktestOptions } from "../engine/backtest/report.ts";
import type { CandleSeries } from "../engine/backtest/series.ts";
import { isAuraError } from "../engine/errors.ts";
import type { StrategyDefinition } from "../engine/strategy/rules.ts";

/** The job a worker receives. */
export interface BacktestWorkerRequest {
  /** Validated strategy. */
  definition: StrategyDefinition;
  /** Candles, columnar. */
  series: CandleSeries;
  /** Options without the progress callback. */
  options: Omit<BacktestOptions, "onProgress">;
}

self.onmessage = (e: MessageEvent<BacktestWorkerRequest>) => {
  const { definition, series, options } = e.data;
  try {
    const report = runBacktest(definition, series, {
      ...options,
      onProgress: (fraction) => self.postMessage({ type: "progress", fraction }),
    });
    const { time, equity } = report.equityCurve;
    self.postMessage({ type: "done", report }, [time.buffer, equity.buffer]);
  } catch (error) {
    self.postMessage({
      type: "error",
      code: isAuraError(error) ? error.code : "STRATEGY_003",
      message: error instanceof Error ? error.message : String(error),
    });
  }
};
