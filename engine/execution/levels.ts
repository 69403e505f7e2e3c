/**
 * The take-profit and stop prices of a position on the tick grid, computed
 * exactly as engine/orders/plan.ts `planOco` does (engine/fills.ts
 * `protectiveLevels`, rounded to the tick), for the times no OCO is placed
 * (the price already passed a leg) but the levels are still reported.
 *
 * @module
 */

import { protectiveLevels } from "../fills.ts";
import { decimalPlaces, roundToTick, toDecimalString } from "../orders/decimal.ts";

/** TP and stop trigger of an entry at `entryPrice`, rounded to `tickSize`. */
export function levelsOnTicks(
  entryPrice: string,
  risk: { takeProfitPercent: number; stopLossPercent: number },
  tickSize: string,
): { takeProfitPrice: string; stopPrice: string } {
  const levels = protectiveLevels(Number(entryPrice), risk.takeProfitPercent, risk.stopLossPercent);
  const digits = decimalPlaces(tickSize) + 4;
  return {
    takeProfitPrice: roundToTick(toDecimalString(levels.takeProfit, digits), tickSize),
    stopPrice: roundToTick(toDecimalString(levels.stopLoss, digits), tickSize),
  };
}
