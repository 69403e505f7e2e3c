/**
 * Commissions valued in the quote asset for trade rows and P&L. A fee taken
 * in the pair's own assets converts exactly; one taken in a third asset (BNB,
 * when the account pays fees with it) is valued at that asset's last price in
 * the quote on the same exchange (`BNBUSDT`), and counted as 0 with a warning
 * when no such market answers.
 *
 * @module
 */

import { feeInQuote, feeNeedsPrice } from "../engine/execution/mod.ts";
import type { SymbolRules } from "../engine/orders/filters.ts";
import type { Exchange } from "../engine/ports/exchange.ts";
import { createLogger } from "../logger.ts";

const log = createLogger("execution");

/** A fill's commission. */
export interface Commission {
  /** Amount (decimal string). */
  commission: string;
  /** Asset it was taken in. */
  commissionAsset: string;
}

/**
 * The commission in `rules.quoteAsset`, `price` being the fill's price.
 *
 * @example
 * ```ts
 * await quoteFee(exchange, { commission: "0.00075", commissionAsset: "BNB" }, "60000", rules); // "0.45" at BNBUSDT 600
 * ```
 */
export async function quoteFee(
  exchange: Pick<Exchange, "getLastPrice">,
  fee: Commission,
  price: string,
  rules: Pick<SymbolRules, "baseAsset" | "quoteAsset">,
): Promise<string> {
  if (!feeNeedsPrice(fee.commission, fee.commissionAsset, rules)) {
    return feeInQuote(fee.commission, fee.commissionAsset, price, rules);
  }
  const market = `${fee.commissionAsset}${rules.quoteAsset}`;
  const assetPrice = await exchange.getLastPrice(market).catch(() => null);
  if (assetPrice === null) {
    log.warn("Commission not valued: no price for its asset", { market, ...fee });
  }
  return feeInQuote(fee.commission, fee.commissionAsset, price, rules, assetPrice);
}
