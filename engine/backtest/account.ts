/**
 * The simulated spot account of a backtest: quote cash and at most one long
 * position with its take-profit/stop-loss, filled by the shared fill model.
 *
 * @module
 */

import { fillFee, marketFillPrice, protectiveLevels } from "../fills.ts";
import type { RiskParams } from "../strategy/rules.ts";
import { type ExchangeFilters, floorQuantityToStep, roundPriceToTick } from "./filters.ts";
import type { BacktestTrade, TradeStatus } from "./report.ts";

/** Fee, slippage and filters applied to every simulated fill. */
export interface FillSettings {
  /** Fee rate per side. */
  feeRate: number;
  /** Slippage of market fills, basis points. */
  slippageBps: number;
  /** Exchange filters (all optional). */
  filters: ExchangeFilters;
}

/**
 * Cash plus one position. Plain fields (no closures over loop variables) keep
 * the replay loop's reads cheap.
 */
export class SimulatedAccount {
  /** Quote cash. */
  cash: number;
  /** Base quantity held; 0 when flat. */
  quantity = 0;
  /** Entry fill price of the open position. */
  entryPrice = 0;
  /** Close time of the entry candle. */
  entryTime = 0;
  /** Entry notional (quote). */
  entryNotional = 0;
  /** Entry fee (quote). */
  entryFee = 0;
  /** Take-profit level of the open position. */
  takeProfit = 0;
  /** Stop-loss level of the open position. */
  stopLoss = 0;
  /** Closed round trips. */
  readonly trades: BacktestTrade[] = [];
  /** Entries refused because cash did not cover notional + fee. */
  insufficientCash = 0;
  /** Entries refused by minQty / minNotional. */
  filtered = 0;

  readonly #risk: RiskParams;
  readonly #settings: FillSettings;
  readonly #minQty: number;
  readonly #minNotional: number;

  /** An account holding `initialBalance` quote and no position. */
  constructor(initialBalance: number, risk: RiskParams, settings: FillSettings) {
    this.cash = initialBalance;
    this.#risk = risk;
    this.#settings = settings;
    this.#minQty = Number(settings.filters.minQty ?? 0);
    this.#minNotional = Number(settings.filters.minNotional ?? 0);
  }

  /**
   * Market-buys `positionSizeUsd` worth at `close` (plus slippage) and sets
   * TP/SL from the fill price; false (and counted) when filters or cash refuse.
   */
  enter(close: number, time: number): boolean {
    const { feeRate, slippageBps, filters } = this.#settings;
    const price = marketFillPrice(close, "BUY", slippageBps);
    let quantity = this.#risk.positionSizeUsd / price;
    if (filters.stepSize !== undefined) quantity = floorQuantityToStep(quantity, filters.stepSize);
    const notional = quantity * price;
    const fee = fillFee(notional, feeRate);
    if (!(quantity > 0) || quantity < this.#minQty || notional < this.#minNotional) {
      this.filtered++;
      return false;
    }
    if (this.cash < notional + fee) {
      this.insufficientCash++;
      return false;
    }
    this.cash -= notional + fee;
    this.quantity = quantity;
    this.entryPrice = price;
    this.entryTime = time;
    this.entryNotional = notional;
    this.entryFee = fee;
    const levels = protectiveLevels(
      price,
      this.#risk.takeProfitPercent,
      this.#risk.stopLossPercent,
    );
    this.takeProfit = filters.tickSize === undefined
      ? levels.takeProfit
      : roundPriceToTick(levels.takeProfit, filters.tickSize);
    this.stopLoss = filters.tickSize === undefined
      ? levels.stopLoss
      : roundPriceToTick(levels.stopLoss, filters.tickSize);
    return true;
  }

  /** Market-sells the position at `close` (minus slippage): an exit signal. */
  exitAtClose(close: number, time: number): void {
    this.exit(marketFillPrice(close, "SELL", this.#settings.slippageBps), "CLOSED_SIGNAL", time);
  }

  /** Sells the whole position at `price` and records the trade. */
  exit(price: number, status: TradeStatus, time: number): void {
    const quantity = this.quantity;
    const notional = quantity * price;
    const fee = fillFee(notional, this.#settings.feeRate);
    this.cash += notional - fee;
    this.trades.push({
      entryTime: this.entryTime,
      entryPrice: this.entryPrice,
      exitTime: time,
      exitPrice: price,
      quantity,
      status,
      pnl: notional - fee - this.entryNotional - this.entryFee,
      fees: this.entryFee + fee,
    });
    this.quantity = 0;
  }
}
