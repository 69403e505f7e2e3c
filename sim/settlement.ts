/**
 * Settling one fill: balances move exactly (decimal strings), commission is
 * charged at the engine's rate (in quote, or in base for a BUY when
 * `commissionAsset` is `base`, as Binance does without BNB, or in BNB), and the trade is
 * recorded and reported.
 *
 * @module
 */

import {
  addDecimals,
  compareDecimals,
  divideDecimals,
  multiplyDecimals,
  roundToIncrement,
  subtractDecimals,
} from "../engine/orders/decimal.ts";
import type { Account } from "./accounts.ts";
import { fixed8 } from "./format.ts";
import type { MatchingEngine } from "./matching.ts";
import type { Fill, SimOrder } from "./orders.ts";
import { rulesFor } from "./symbols.ts";

function negate(value: string): string {
  return value.startsWith("-") ? value.slice(1) : `-${value}`;
}

/** BNB's discount on commission (Binance: 25 %). */
export const BNB_FEE_DISCOUNT = "0.75";

/**
 * The commission in BNB when the engine charges BNB, the market has a BNB
 * price in `quoteAsset` and the account holds that much free BNB; else null.
 */
function bnbCommission(
  engine: MatchingEngine,
  account: Account,
  quoteAsset: string,
  quoteQty: string,
): string | null {
  if (engine.options.commissionAsset !== "bnb") return null;
  const bnbPrice = quoteAsset === "BNB" ? "1" : engine.market.lastPrice(`BNB${quoteAsset}`);
  if (bnbPrice === undefined) return null;
  const inQuote = multiplyDecimals(
    multiplyDecimals(quoteQty, engine.options.feeRate),
    BNB_FEE_DISCOUNT,
  );
  const fee = fixed8(
    roundToIncrement(divideDecimals(inQuote, bnbPrice, 12), "0.00000001", "nearest"),
  );
  return compareDecimals(fee, "0") > 0 && account.canAfford("BNB", fee) ? fee : null;
}

/**
 * Fills `order` completely at `price`. Callers release the order's lock
 * first; `strict` (orders executing on arrival) refuses to overdraw with
 * -2010, while triggered orders settle what they had locked.
 */
export function settleFill(
  engine: MatchingEngine,
  account: Account,
  order: SimOrder,
  price: string,
  isMaker: boolean,
  strict: boolean,
): Fill {
  const rules = rulesFor(order.symbol);
  // A market order fills at the instant it is accepted (Binance reports one
  // transactTime for both); resting orders fill when they trigger.
  const now = order.type === "MARKET" ? order.time : engine.options.now();
  const qty = order.origQty;
  const quoteQty = fixed8(multiplyDecimals(qty, price));
  const bnb = bnbCommission(engine, account, rules.quoteAsset, quoteQty);
  const chargeBase = bnb === null && order.side === "BUY" &&
    engine.options.commissionAsset !== "quote";
  const commission = bnb ?? fixed8(
    roundToIncrement(
      multiplyDecimals(chargeBase ? qty : quoteQty, engine.options.feeRate),
      "0.00000001",
      "nearest",
    ),
  );
  if (bnb !== null) account.debit("BNB", bnb);
  const quoteFee = bnb === null && !chargeBase ? commission : "0";
  if (order.side === "BUY") {
    const cost = fixed8(addDecimals(quoteQty, quoteFee));
    if (strict) account.debit(rules.quoteAsset, cost);
    else account.credit(rules.quoteAsset, negate(cost));
    account.credit(rules.baseAsset, chargeBase ? subtractDecimals(qty, commission) : qty);
  } else {
    if (strict) account.debit(rules.baseAsset, qty);
    else account.credit(rules.baseAsset, negate(qty));
    account.credit(rules.quoteAsset, subtractDecimals(quoteQty, quoteFee));
  }
  account.updateTime = now;
  const fill: Fill = {
    price: fixed8(price),
    qty,
    quoteQty,
    commission,
    commissionAsset: bnb !== null ? "BNB" : chargeBase ? rules.baseAsset : rules.quoteAsset,
    tradeId: engine.nextTradeId(order.symbol),
    time: now,
    isMaker,
  };
  order.executedQty = qty;
  order.cummulativeQuoteQty = quoteQty;
  order.status = "FILLED";
  order.updateTime = now;
  order.fills.push(fill);
  order.locked = undefined;
  engine.recordTrade(account.apiKey, order, {
    ...fill,
    symbol: order.symbol,
    orderId: order.orderId,
    orderListId: order.orderListId,
    isBuyer: order.side === "BUY",
  });
  engine.report(order, "TRADE", fill);
  return fill;
}
