/**
 * Pure order planners: a trade signal becomes a market buy sized in quote
 * asset, and the filled entry becomes a sell OCO (LIMIT_MAKER take-profit +
 * STOP_LOSS_LIMIT stop-loss), every number a decimal string that already
 * satisfies the symbol's filters. Live, paper and simulator all go through
 * here; TP/SL come from engine/fills.ts `protectiveLevels`, as in backtests.
 *
 * @module
 */

import { AuraError } from "../errors.ts";
import { protectiveLevels } from "../fills.ts";
import { clientOrderId } from "./client_ids.ts";
import {
  compareDecimals,
  decimalPlaces,
  divideDecimals,
  floorToStep,
  floorToTick,
  isDecimalString,
  multiplyDecimals,
  roundToTick,
  subtractDecimals,
  toDecimalString,
} from "./decimal.ts";
import { DEFAULT_FEE_RATE, feeFor } from "./fees.ts";
import {
  assertTrading,
  checkLotSize,
  type SymbolRules,
  validateMarketBuyQuote,
  validateOcoSell,
} from "./filters.ts";

/**
 * How far below the stop trigger the stop-loss limit sits: 0.1 % (and at least
 * one tick), so a fast market still fills the leg instead of jumping past a
 * limit equal to the trigger.
 */
export const STOP_LIMIT_OFFSET = "0.001";

/** The part of a trade signal the entry planner needs. */
export interface EntrySignal {
  /** Signal id; client order ids derive from it. */
  id: string;
  /** Symbol, e.g. `BTCUSDT`. */
  symbol: string;
  /** Take-profit distance in percent, when the strategy sets one. */
  takeProfitPercent?: number;
  /** Stop-loss distance in percent, when the strategy sets one. */
  stopLossPercent?: number;
}

/** Input of {@link planEntry}. */
export interface PlanEntryInput {
  /** The signal to enter on. */
  signal: EntrySignal;
  /** The symbol's filters. */
  rules: SymbolRules;
  /** Free quote balance (decimal string). */
  quoteBalance: string;
  /** Position size in quote currency (a float from config or a decimal string). */
  positionSizeUsd: number | string;
  /** Last traded price (decimal string). */
  lastPrice: string;
  /** Fee rate assumed when checking that the later OCO will pass (default 0.001). */
  feeRate?: string;
}

/** A market buy sized in quote asset, ready to send. */
export interface EntryPlan {
  /** Symbol. */
  symbol: string;
  /** Quote amount to spend, floored to the quote precision. */
  quoteOrderQty: string;
  /** Deterministic client id (`au-<hash>-E`). */
  clientOrderId: string;
  /** Base quantity expected at `lastPrice` after a base-asset fee (for checks and display). */
  estimatedQuantity: string;
}

/**
 * Plans a market buy by `quoteOrderQty`. Refuses before anything is sent:
 * TRADE_003 when the symbol does not trade, TRADE_001 when the quote balance
 * is short, TRADE_002 when the entry — or the OCO that must follow it, if the
 * signal carries TP/SL percents — would break the symbol's filters.
 *
 * @example
 * ```ts
 * planEntry({ signal: { id: "s1", symbol: "BTCUSDT" }, rules, quoteBalance: "1000", positionSizeUsd: 100, lastPrice: "50000" });
 * // { symbol: "BTCUSDT", quoteOrderQty: "100", clientOrderId: "au-…-E", estimatedQuantity: "0.00199" }
 * ```
 */
export function planEntry(input: PlanEntryInput): EntryPlan {
  const { signal, rules, lastPrice } = input;
  assertTrading(rules, "place market buy");
  const size = typeof input.positionSizeUsd === "number"
    ? toDecimalString(input.positionSizeUsd, rules.quotePrecision + 6)
    : input.positionSizeUsd;
  if (!isDecimalString(size) || compareDecimals(size, "0") <= 0) {
    throw new AuraError(
      "TRADE_002",
      `Cannot place market buy for "${rules.symbol}": position size "${size}" is not positive`,
    );
  }
  const quoteOrderQty = floorToStep(size, `1e-${rules.quotePrecision}`);
  if (compareDecimals(input.quoteBalance, quoteOrderQty) < 0) {
    throw new AuraError(
      "TRADE_001",
      `Cannot place market buy for "${rules.symbol}": ${rules.quoteAsset} balance "${input.quoteBalance}" is below order size "${quoteOrderQty}"`,
      { symbol: rules.symbol, balance: input.quoteBalance, required: quoteOrderQty },
    );
  }
  validateMarketBuyQuote(rules, { quoteOrderQty, lastPrice });
  const gross = floorToStep(divideDecimals(quoteOrderQty, lastPrice, 16), rules.stepSize);
  const feeRate = input.feeRate ?? DEFAULT_FEE_RATE;
  const estimatedQuantity = floorToStep(
    subtractDecimals(gross, feeFor(gross, feeRate)),
    rules.stepSize,
  );
  checkLotSize(rules, estimatedQuantity, "place market buy");
  if (signal.takeProfitPercent !== undefined && signal.stopLossPercent !== undefined) {
    // Check the OCO that will follow with the entry's own estimate, so a
    // position too small to protect is never opened.
    planOco({
      rules,
      executedQty: estimatedQuantity,
      commission: "0",
      commissionAsset: rules.quoteAsset,
      entryPrice: lastPrice,
      lastPrice,
      takeProfitPercent: signal.takeProfitPercent,
      stopLossPercent: signal.stopLossPercent,
    });
  }
  return {
    symbol: rules.symbol,
    quoteOrderQty,
    clientOrderId: clientOrderId(signal.id, "E"),
    estimatedQuantity,
  };
}

/** Input of {@link planOco}. */
export interface PlanOcoInput {
  /** The symbol's filters. */
  rules: SymbolRules;
  /** Executed base quantity of the entry. */
  executedQty: string;
  /** Total commission of the entry. */
  commission: string;
  /** Asset of that commission; only the base asset reduces the quantity. */
  commissionAsset: string;
  /** Average fill price of the entry. */
  entryPrice: string;
  /** Last traded price now. */
  lastPrice: string;
  /** Take-profit distance in percent. */
  takeProfitPercent: number;
  /** Stop-loss distance in percent. */
  stopLossPercent: number;
}

/** A sell OCO ready to send. */
export interface OcoPlan {
  /** Discriminant. */
  action: "PLACE_OCO";
  /** Base quantity of both legs (net of base commission, floored to step). */
  quantity: string;
  /** LIMIT_MAKER take-profit price. */
  takeProfitPrice: string;
  /** STOP_LOSS_LIMIT trigger price. */
  stopPrice: string;
  /** STOP_LOSS_LIMIT limit price, {@link STOP_LIMIT_OFFSET} below the trigger. */
  stopLimitPrice: string;
}

/** The price already moved past a leg: close the position with a market sell. */
export interface ExitAtMarketPlan {
  /** Discriminant. */
  action: "EXIT_AT_MARKET";
  /** Quantity to sell. */
  quantity: string;
  /** Why no OCO can be placed. */
  reason: string;
}

/**
 * Plans the protective OCO after an entry fill, or an immediate market exit
 * when the last price is already at or past a leg (a LIMIT_MAKER at or below
 * the market would be rejected, and so would a stop that triggers at once).
 * Throws TRADE_002 when the legs break the filters.
 */
export function planOco(input: PlanOcoInput): OcoPlan | ExitAtMarketPlan {
  const { rules, lastPrice } = input;
  const baseCommission = input.commissionAsset === rules.baseAsset ? input.commission : "0";
  const quantity = floorToStep(subtractDecimals(input.executedQty, baseCommission), rules.stepSize);
  const levels = protectiveLevels(
    Number(input.entryPrice),
    input.takeProfitPercent,
    input.stopLossPercent,
  );
  const digits = decimalPlaces(rules.tickSize) + 4;
  const takeProfitPrice = roundToTick(toDecimalString(levels.takeProfit, digits), rules.tickSize);
  const stopPrice = roundToTick(toDecimalString(levels.stopLoss, digits), rules.tickSize);
  const offsetPrice = floorToTick(
    multiplyDecimals(stopPrice, subtractDecimals("1", STOP_LIMIT_OFFSET)),
    rules.tickSize,
  );
  const oneTickBelow = subtractDecimals(stopPrice, rules.tickSize);
  const stopLimitPrice = compareDecimals(offsetPrice, oneTickBelow) < 0
    ? offsetPrice
    : oneTickBelow;
  if (compareDecimals(takeProfitPrice, lastPrice) <= 0) {
    checkLotSize(rules, quantity, "place market sell");
    return {
      action: "EXIT_AT_MARKET",
      quantity,
      reason: `take-profit "${takeProfitPrice}" is at or below last price "${lastPrice}"`,
    };
  }
  if (compareDecimals(stopPrice, lastPrice) >= 0) {
    checkLotSize(rules, quantity, "place market sell");
    return {
      action: "EXIT_AT_MARKET",
      quantity,
      reason: `stop-loss "${stopPrice}" is at or above last price "${lastPrice}"`,
    };
  }
  validateOcoSell(rules, { quantity, takeProfitPrice, stopPrice, stopLimitPrice, lastPrice });
  return { action: "PLACE_OCO", quantity, takeProfitPrice, stopPrice, stopLimitPrice };
}
