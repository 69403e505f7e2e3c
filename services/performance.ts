/**
 * Trading performance of closed trades: win rate, profit factor, max
 * drawdown and Sharpe ratio. Money is summed exactly on decimal strings
 * (engine/orders/decimal.ts); floats are used only for the ratios.
 *
 * Definitions (also in the API docs):
 * - winRate = winning / trades, a win being pnl > 0.
 * - profitFactor = gross profit / |gross loss|; null without losing trades.
 * - maxDrawdown: the largest fall of realized equity (`initialBalance` +
 *   cumulative P&L in exit order) from its running peak, in quote and in
 *   percent of that peak.
 * - sharpeRatio: per-trade, not annualised — mean / sample standard deviation
 *   of each trade's return pnl / (entryPrice × quantity); null with fewer
 *   than two trades or no variation.
 *
 * @module
 */
import {
  addDecimals,
  compareDecimals,
  multiplyDecimals,
  roundToIncrement,
  subtractDecimals,
} from "../engine/orders/decimal.ts";

/** What a metric reads from a closed trade. */
export interface TradeResult {
  /** Net P&L (decimal string). */
  pnl: string;
  /** Fees (decimal string). */
  fees: string;
  /** Entry price (decimal string). */
  entryPrice: string;
  /** Quantity (decimal string). */
  quantity: string;
}

/** Performance of a set of closed trades. */
export interface Performance {
  /** Closed trades. */
  trades: number;
  /** Trades with pnl > 0. */
  winningTrades: number;
  /** Trades with pnl <= 0. */
  losingTrades: number;
  /** winning / trades (0 without trades). */
  winRate: number;
  /** Sum of positive P&L. */
  grossProfit: string;
  /** Sum of negative P&L (a negative number or "0"). */
  grossLoss: string;
  /** Net P&L. */
  netPnl: string;
  /** Fees paid. */
  fees: string;
  /** grossProfit / |grossLoss|; null without losses. */
  profitFactor: number | null;
  /** Largest peak-to-trough fall of realized equity, quote. */
  maxDrawdown: string;
  /** The same in percent of the peak. */
  maxDrawdownPercent: number;
  /** Per-trade Sharpe ratio (not annualised); null when undefined. */
  sharpeRatio: number | null;
}

const MONEY = "0.00000001";
const round = (v: string) => roundToIncrement(v, MONEY, "nearest");

/**
 * Computes {@link Performance} over `trades` taken in exit order.
 *
 * @example
 * ```ts
 * computePerformance([{ pnl: "10", fees: "0.2", entryPrice: "100", quantity: "1" }], "1000");
 * ```
 */
export function computePerformance(
  trades: readonly TradeResult[],
  initialBalance: string,
): Performance {
  let grossProfit = "0", grossLoss = "0", fees = "0";
  let wins = 0;
  let equity = initialBalance, peak = initialBalance, worst = "0", worstPercent = 0;
  const returns: number[] = [];
  for (const t of trades) {
    if (compareDecimals(t.pnl, "0") > 0) {
      wins++;
      grossProfit = addDecimals(grossProfit, t.pnl);
    } else {
      grossLoss = addDecimals(grossLoss, t.pnl);
    }
    fees = addDecimals(fees, t.fees);
    equity = addDecimals(equity, t.pnl);
    if (compareDecimals(equity, peak) > 0) peak = equity;
    const drawdown = subtractDecimals(peak, equity);
    if (compareDecimals(drawdown, worst) > 0) {
      worst = drawdown;
      worstPercent = Number(peak) > 0 ? (Number(drawdown) / Number(peak)) * 100 : 0;
    }
    const notional = Number(multiplyDecimals(t.entryPrice, t.quantity));
    if (notional > 0) returns.push(Number(t.pnl) / notional);
  }
  const n = trades.length;
  const loss = Number(grossLoss);
  return {
    trades: n,
    winningTrades: wins,
    losingTrades: n - wins,
    winRate: n === 0 ? 0 : wins / n,
    grossProfit: round(grossProfit),
    grossLoss: round(grossLoss),
    netPnl: round(addDecimals(grossProfit, grossLoss)),
    fees: round(fees),
    profitFactor: loss < 0 ? Number(grossProfit) / -loss : null,
    maxDrawdown: round(worst),
    maxDrawdownPercent: worstPercent,
    sharpeRatio: sharpe(returns),
  };
}

function sharpe(returns: readonly number[]): number | null {
  const n = returns.length;
  if (n < 2) return null;
  const mean = returns.reduce((a, b) => a + b, 0) / n;
  const variance = returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (n - 1);
  const sd = Math.sqrt(variance);
  return sd > 1e-15 ? mean / sd : null;
}
