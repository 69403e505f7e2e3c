/**
 * What a backtest takes and returns.
 *
 * @module
 */

import type { EquityCurve } from "../portfolio/equity.ts";
import type { ExchangeFilters } from "./filters.ts";

/** How a simulated position was closed. */
export type TradeStatus = "CLOSED_TP" | "CLOSED_SL" | "CLOSED_SIGNAL";

/** One closed round trip. Times are the close times (ms) of the candles that filled. */
export interface BacktestTrade {
  /** Close time of the entry candle. */
  entryTime: number;
  /** Entry fill price (close + slippage). */
  entryPrice: number;
  /** Close time of the exit candle. */
  exitTime: number;
  /** Exit fill price (TP/SL level, the open on a gap, or close − slippage). */
  exitPrice: number;
  /** Base quantity. */
  quantity: number;
  /** How it closed. */
  status: TradeStatus;
  /** Net profit in quote: exit notional − entry notional − both fees. */
  pnl: number;
  /** Both fees, in quote. */
  fees: number;
}

/** A position still open when the candles ran out (not counted as a trade). */
export interface OpenPosition {
  /** Close time of the entry candle. */
  entryTime: number;
  /** Entry fill price. */
  entryPrice: number;
  /** Base quantity. */
  quantity: number;
  /** Entry fee paid, in quote. */
  entryFee: number;
  /** Take-profit level. */
  takeProfit: number;
  /** Stop-loss level. */
  stopLoss: number;
}

/** Options of `runBacktest`; every field has the documented default. */
export interface BacktestOptions {
  /** Fee rate per side on each fill's notional (default 0.001). */
  feeRate?: number;
  /** Slippage of market fills in basis points against the taker (default 0). */
  slippageBps?: number;
  /** Starting cash in quote (default 10,000). */
  initialBalance?: number;
  /** Exchange filters applied to quantities and protective prices. */
  filters?: ExchangeFilters;
  /** Strategy id for the runner (default "backtest"). */
  strategyId?: string;
  /** Called with the fraction done (0–1], at most ~100 times. */
  onProgress?: (fraction: number) => void;
}

/** The result of a backtest. */
export interface BacktestReport {
  /** Closed trades. */
  totalTrades: number;
  /** Trades with pnl > 0. */
  winningTrades: number;
  /** Trades with pnl <= 0. */
  losingTrades: number;
  /** Sum of closed trades' pnl, net of fees (quote). */
  totalPnl: number;
  /** Largest peak-to-trough equity fall, in percent. */
  maxDrawdown: number;
  /** Annualised Sharpe ratio of per-candle equity returns. */
  sharpeRatio: number;
  /** winningTrades / totalTrades (0 without trades). */
  winRate: number;
  /** The closed trades, in order. */
  trades: BacktestTrade[];
  /** Number of candles replayed. */
  candles: number;
  /** Starting cash. */
  initialBalance: number;
  /** Equity at the last close (open position marked at the close). */
  finalEquity: number;
  /** Cash at the end. */
  finalCash: number;
  /** The position left open at the end, if any. */
  openPosition: OpenPosition | null;
  /** Entries skipped because cash did not cover notional + fee. */
  insufficientCashEntries: number;
  /** Entries skipped because the quantity broke minQty / minNotional. */
  filteredEntries: number;
  /** Close time of the candle on which the drawdown breaker tripped, null if never. */
  haltedAt: number | null;
  /** Equity at every candle close. */
  equityCurve: EquityCurve;
}
