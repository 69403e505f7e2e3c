/**
 * The backtester: replays candles through the live {@link StrategyRunner} and
 * the shared fill model (engine/fills.ts), simulating one long position at a
 * time with fees, slippage, exchange filters and the drawdown breaker.
 *
 * @module
 */

import type { Candle } from "../candle.ts";
import { AuraError } from "../errors.ts";
import { checkProtectiveExit, fillFee, marketFillPrice, protectiveLevels } from "../fills.ts";
import { DrawdownBreaker, maxDrawdownPercent } from "../portfolio/drawdown.ts";
import { candlesPerYear, sharpeRatio } from "../portfolio/sharpe.ts";
import { ENTRY, EXIT, StrategyRunner } from "../strategy/runner.ts";
import type { StrategyDefinition } from "../strategy/rules.ts";
import { floorToStep, roundToTick } from "./filters.ts";
import type { BacktestOptions, BacktestReport, BacktestTrade, TradeStatus } from "./report.ts";
import { type CandleSeries, readCandle, seriesFromCandles } from "./series.ts";

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
 * @throws {AuraError} `STRATEGY_003` for no candles or invalid options.
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
  const { positionSizeUsd, takeProfitPercent, stopLossPercent, maxDrawdownPercent: maxDd } =
    definition.riskParams;
  const filters = options.filters ?? {};
  const minQty = Number(filters.minQty ?? 0);
  const minNotional = Number(filters.minNotional ?? 0);
  const onProgress = options.onProgress;

  const runner = new StrategyRunner(definition, { strategyId: options.strategyId ?? "backtest" });
  const breaker = new DrawdownBreaker(maxDd);
  const n = series.length;
  const time = new Float64Array(n);
  const equity = new Float64Array(n);
  const trades: BacktestTrade[] = [];
  const candle: Candle = {
    openTime: 0,
    closeTime: 0,
    open: 0,
    high: 0,
    low: 0,
    close: 0,
    volume: 0,
  };

  let cash = initialBalance;
  let quantity = 0; // > 0 while a position is open
  let entryPrice = 0, entryTime = 0, entryNotional = 0, entryFee = 0;
  let takeProfit = 0, stopLoss = 0;
  let insufficientCash = 0, filtered = 0;
  let haltedAt: number | null = null;
  const progressEvery = Math.max(1, Math.ceil(n / 100));

  const close = (price: number, status: TradeStatus, at: number) => {
    const notional = quantity * price;
    const fee = fillFee(notional, feeRate);
    cash += notional - fee;
    trades.push({
      entryTime,
      entryPrice,
      exitTime: at,
      exitPrice: price,
      quantity,
      status,
      pnl: notional - fee - entryNotional - entryFee,
      fees: entryFee + fee,
    });
    quantity = 0;
    runner.onExitFilled();
  };

  for (let i = 0; i < n; i++) {
    readCandle(series, i, candle);
    const price = candle.close;
    if (quantity > 0) {
      const hit = checkProtectiveExit(candle, takeProfit, stopLoss);
      if (hit !== null) close(hit.price, hit.status, candle.closeTime);
    }
    if (breaker.update(cash + quantity * price) && haltedAt === null) {
      haltedAt = candle.closeTime;
      runner.halted = true;
    }
    const flags = runner.evaluate(candle);
    if (flags !== 0) {
      if (flags & EXIT && quantity > 0) {
        close(marketFillPrice(price, "SELL", slippageBps), "CLOSED_SIGNAL", candle.closeTime);
      }
      if (flags & ENTRY && quantity === 0) {
        const fillPrice = marketFillPrice(price, "BUY", slippageBps);
        let qty = positionSizeUsd / fillPrice;
        if (filters.stepSize !== undefined) qty = floorToStep(qty, filters.stepSize);
        const notional = qty * fillPrice;
        const fee = fillFee(notional, feeRate);
        if (!(qty > 0) || qty < minQty || notional < minNotional) {
          filtered++;
        } else if (cash < notional + fee) {
          insufficientCash++;
        } else {
          cash -= notional + fee;
          quantity = qty;
          entryPrice = fillPrice;
          entryTime = candle.closeTime;
          entryNotional = notional;
          entryFee = fee;
          const levels = protectiveLevels(fillPrice, takeProfitPercent, stopLossPercent);
          takeProfit = levels.takeProfit;
          stopLoss = levels.stopLoss;
          if (filters.tickSize !== undefined) {
            takeProfit = roundToTick(takeProfit, filters.tickSize);
            stopLoss = roundToTick(stopLoss, filters.tickSize);
          }
          runner.onEntryFilled();
        }
      }
    }
    time[i] = candle.closeTime;
    equity[i] = cash + quantity * price;
    if (onProgress !== undefined && (i + 1) % progressEvery === 0 && i + 1 < n) {
      onProgress((i + 1) / n);
    }
  }
  onProgress?.(1);

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
    finalCash: cash,
    openPosition: quantity > 0
      ? { entryTime, entryPrice, quantity, entryFee, takeProfit, stopLoss }
      : null,
    insufficientCashEntries: insufficientCash,
    filteredEntries: filtered,
    haltedAt,
    equityCurve: { time, equity },
  };
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
