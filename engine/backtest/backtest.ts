/**
 * The backtester: replays candles through the live {@link StrategyRunner} and
 * the shared fill model (engine/fills.ts), simulating one long position at a
 * time with fees, slippage, exchange filters and the drawdown breaker.
 *
 * @module
 */

import type { Candle } from "../candle.ts";
import { AuraError } from "../errors.ts";
import { checkProtectiveExit } from "../fills.ts";
import { DrawdownBreaker, maxDrawdownPercent } from "../portfolio/drawdown.ts";
import { candlesPerYear, sharpeRatio } from "../portfolio/sharpe.ts";
import { ENTRY, EXIT, StrategyRunner } from "../strategy/runner.ts";
import type { StrategyDefinition } from "../strategy/rules.ts";
import { SimulatedAccount } from "./account.ts";
import type { BacktestOptions, BacktestReport } from "./report.ts";
import { type CandleSeries, seriesFromCandles } from "./series.ts";

/**
 * Replays `candles` (oldest first) and reports trades, P&L, drawdown and Sharpe.
 *
 * Per candle, as live: (1) an open position's TP/SL is checked first
 * (`checkProtectiveExit`; SL wins ties, gaps fill at the open); (2) equity is
 * marked at the close and fed to the drawdown breaker, which stops new entries
 * once tripped; (3) the runner evaluates the rules on the candle; an EXIT
 * sells at the close (minus slippage); (4) an ENTRY, when flat, buys
 * `positionSizeUsd / price` at the close (plus slippage) if cash covers
 * notional + fee, and sets TP/SL from the fill price. Fees are charged per side.
 *
 * @throws {AuraError} `STRATEGY_003` for no candles, candles out of order or invalid options.
 * @example
 * ```ts
 * const report = runBacktest(parseStrategy(json), parseKlinesCsv(csv), { feeRate: 0.001 });
 * ```
 */
export function runBacktest(
  definition: StrategyDefinition,
  candles: readonly Candle[] | CandleSeries,
  options: BacktestOptions = {},
): BacktestReport {
  const series = Array.isArray(candles)
    ? seriesFromCandles(candles as readonly Candle[])
    : candles as CandleSeries;
  const feeRate = options.feeRate ?? 0.001;
  const slippageBps = options.slippageBps ?? 0;
  const initialBalance = options.initialBalance ?? 10_000;
  checkOptions(series.length, feeRate, slippageBps, initialBalance);
  checkOrder(series);
  const filters = options.filters ?? {};
  const onProgress = options.onProgress;

  const runner = new StrategyRunner(definition, { strategyId: options.strategyId ?? "backtest" });
  const breaker = new DrawdownBreaker(definition.riskParams.maxDrawdownPercent);
  const account = new SimulatedAccount(initialBalance, definition.riskParams, {
    feeRate,
    slippageBps,
    filters,
  });
  const n = series.length;
  const time = series.closeTime.slice(0, n);
  const equity = new Float64Array(n);
  const candle: Candle = {
    openTime: 0,
    closeTime: 0,
    open: 0,
    high: 0,
    low: 0,
    close: 0,
    volume: 0,
  };
  const { openTime, closeTime, open, high, low, close, volume } = series;
  let haltedAt: number | null = null;
  const progressEvery = Math.max(1, Math.ceil(n / 100));
  let progressCountdown = progressEvery;

  for (let i = 0; i < n; i++) {
    const t = closeTime[i]!;
    const price = close[i]!;
    candle.openTime = openTime[i]!;
    candle.closeTime = t;
    candle.open = open[i]!;
    candle.high = high[i]!;
    candle.low = low[i]!;
    candle.close = price;
    candle.volume = volume[i]!;
    if (account.quantity > 0) {
      const hit = checkProtectiveExit(candle, account.takeProfit, account.stopLoss);
      if (hit !== null) {
        account.exit(hit.price, hit.status, t);
        runner.onExitFilled();
      }
    }
    if (breaker.update(account.cash + account.quantity * price) && haltedAt === null) {
      haltedAt = t;
      runner.halted = true;
    }
    const flags = runner.evaluate(candle);
    if (flags !== 0) {
      if (flags & EXIT && account.quantity > 0) {
        account.exitAtClose(price, t);
        runner.onExitFilled();
      }
      if (flags & ENTRY && account.quantity === 0 && account.enter(price, t)) {
        runner.onEntryFilled();
      }
    }
    equity[i] = account.cash + account.quantity * price;
    if (--progressCountdown === 0) {
      progressCountdown = progressEvery;
      if (onProgress !== undefined && i + 1 < n) onProgress((i + 1) / n);
    }
  }
  onProgress?.(1);

  const trades = account.trades;
  let winning = 0, totalPnl = 0;
  for (const t of trades) {
    if (t.pnl > 0) winning++;
    totalPnl += t.pnl;
  }
  const last = n - 1;
  return {
    totalTrades: trades.length,
    winningTrades: winning,
    losingTrades: trades.length - winning,
    totalPnl,
    maxDrawdown: maxDrawdownPercent(equity),
    sharpeRatio: sharpeRatio(equity, candlesPerYear(definition.interval)),
    winRate: trades.length === 0 ? 0 : winning / trades.length,
    trades,
    candles: n,
    initialBalance,
    finalEquity: equity[last]!,
    finalCash: account.cash,
    openPosition: account.quantity > 0
      ? {
        entryTime: account.entryTime,
        entryPrice: account.entryPrice,
        quantity: account.quantity,
        entryFee: account.entryFee,
        takeProfit: account.takeProfit,
        stopLoss: account.stopLoss,
      }
      : null,
    insufficientCashEntries: account.insufficientCash,
    filteredEntries: account.filtered,
    haltedAt,
    equityCurve: { time, equity },
  };
}

/** Refuses candles that are not strictly increasing in time (the parser guarantees it; arrays may not). */
function checkOrder(series: CandleSeries): void {
  const t = series.closeTime;
  for (let i = 1; i < series.length; i++) {
    if (!(t[i]! > t[i - 1]!)) {
      throw new AuraError(
        "STRATEGY_003",
        `Cannot run backtest: candle ${i} closes at ${t[i]}, not after candle ${i - 1} (${
          t[i - 1]
        })`,
        { index: i },
      );
    }
  }
}

function checkOptions(n: number, feeRate: number, slippageBps: number, balance: number): void {
  const fail = (why: string) => {
    throw new AuraError("STRATEGY_003", `Cannot run backtest: ${why}`);
  };
  if (n === 0) fail("there are no candles");
  if (!(feeRate >= 0 && feeRate < 1)) fail(`fee rate "${feeRate}" must be in [0, 1)`);
  if (!(slippageBps >= 0 && slippageBps < 10_000)) {
    fail(`slippage "${slippageBps}" bps must be in [0, 10000)`);
  }
  if (!(balance > 0 && Number.isFinite(balance))) {
    fail(`initial balance "${balance}" must be above 0`);
  }
}
