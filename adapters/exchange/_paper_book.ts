/**
 * The paper exchange's ledger: balances, orders, order lists and trades of one
 * account. Internal to adapters/exchange/paper.ts; every reader gets copies.
 *
 * @module
 */

import { AuraError } from "../../engine/errors.ts";
import {
  addDecimals,
  compareDecimals,
  multiplyDecimals,
  subtractDecimals,
} from "../../engine/orders/decimal.ts";
import type { SymbolRules } from "../../engine/orders/filters.ts";
import type {
  Balance,
  OcoLeg,
  Order,
  OrderList,
  OrderSide,
  PlaceOco,
  Trade,
} from "../../engine/ports/exchange.ts";

/** A fee to charge: amount in asset. */
export interface PaperFee {
  /** Asset charged. */
  asset: string;
  /** Amount charged. */
  amount: string;
}

/** Balances, orders, lists and trades of one paper account. */
export class PaperBook {
  readonly #balances = new Map<string, Balance>();
  readonly #orders = new Map<string, Order>();
  readonly #lists = new Map<string, OrderList>();
  readonly #trades: Trade[] = [];
  #nextOrderId = 1;
  #nextListId = 1;
  #nextTradeId = 1;

  /** Seeds free balances. */
  constructor(balances: Record<string, string>) {
    for (const [asset, free] of Object.entries(balances)) {
      this.#balances.set(asset, { free, locked: "0" });
    }
  }

  /** A copy of every balance. */
  balances(): Record<string, Balance> {
    return Object.fromEntries(
      [...this.#balances].map(([asset, balance]) => [asset, { ...balance }]),
    );
  }

  /** Fills a market order completely at `price`, moving balances and recording the trade. */
  fillMarket(
    rules: SymbolRules,
    side: OrderSide,
    clientOrderId: string,
    quantity: string,
    price: string,
    fee: PaperFee,
    now: number,
  ): Order {
    this.#refuseDuplicate(rules.symbol, clientOrderId);
    const quote = multiplyDecimals(quantity, price);
    if (side === "BUY") {
      const cost = fee.asset === rules.quoteAsset ? addDecimals(quote, fee.amount) : quote;
      this.#requireFree(rules, rules.quoteAsset, cost, "place market buy");
      this.#move(rules.quoteAsset, `-${cost}`, "0");
      this.#move(
        rules.baseAsset,
        fee.asset === rules.baseAsset ? subtractDecimals(quantity, fee.amount) : quantity,
        "0",
      );
    } else {
      this.#requireFree(rules, rules.baseAsset, quantity, "place market sell");
      this.#move(rules.baseAsset, `-${quantity}`, "0");
      this.#move(rules.quoteAsset, subtractDecimals(quote, fee.amount), "0");
    }
    const order = this.#newOrder(rules.symbol, clientOrderId, side, "MARKET", "0", quantity, now);
    this.#fill(order, price, fee, now);
    return structuredClone(order);
  }

  /** Opens a sell OCO, locking its base quantity. */
  openOco(rules: SymbolRules, command: PlaceOco, now: number): OrderList {
    if (this.#lists.get(command.listClientOrderId)?.status === "EXECUTING") {
      throw new AuraError(
        "TRADE_004",
        `Cannot place OCO for "${rules.symbol}": duplicate order list "${command.listClientOrderId}"`,
      );
    }
    this.#refuseDuplicate(rules.symbol, command.aboveClientOrderId);
    this.#refuseDuplicate(rules.symbol, command.belowClientOrderId);
    this.#requireFree(rules, rules.baseAsset, command.quantity, "place OCO");
    this.#move(rules.baseAsset, `-${command.quantity}`, command.quantity);
    const orderListId = String(this.#nextListId++);
    const takeProfit = this.#newOrder(
      rules.symbol,
      command.aboveClientOrderId,
      "SELL",
      "LIMIT_MAKER",
      command.takeProfitPrice,
      command.quantity,
      now,
    );
    const stopLoss = this.#newOrder(
      rules.symbol,
      command.belowClientOrderId,
      "SELL",
      "STOP_LOSS_LIMIT",
      command.stopLimitPrice,
      command.quantity,
      now,
    );
    stopLoss.stopPrice = command.stopPrice;
    takeProfit.orderListId = stopLoss.orderListId = orderListId;
    const list: OrderList = {
      symbol: rules.symbol,
      orderListId,
      listClientOrderId: command.listClientOrderId,
      status: "EXECUTING",
      takeProfit,
      stopLoss,
      updateTime: now,
    };
    this.#lists.set(command.listClientOrderId, list);
    return structuredClone(list);
  }

  /** Fills one leg of an executing list at `price` (the sibling expires) and settles balances. */
  fillLeg(
    rules: SymbolRules,
    list: OrderList,
    leg: OcoLeg,
    price: string,
    fee: (quote: string) => PaperFee,
    now: number,
  ): Order {
    const [filled, sibling] = leg === "TAKE_PROFIT"
      ? [list.takeProfit, list.stopLoss]
      : [list.stopLoss, list.takeProfit];
    this.#fill(filled, price, fee(multiplyDecimals(filled.origQty, price)), now);
    sibling.status = "EXPIRED";
    sibling.updateTime = now;
    list.status = "ALL_DONE";
    list.updateTime = now;
    this.#move(rules.baseAsset, "0", `-${filled.executedQty}`);
    this.#move(
      rules.quoteAsset,
      subtractDecimals(filled.cummulativeQuoteQty, filled.commission),
      "0",
    );
    return structuredClone(filled);
  }

  /** Cancels an executing list and unlocks its base quantity. */
  cancelOco(rules: SymbolRules, listClientOrderId: string, now: number): OrderList {
    const { symbol, baseAsset } = rules;
    const list = this.#lists.get(listClientOrderId);
    if (!list || list.symbol !== symbol || list.status !== "EXECUTING") {
      throw new AuraError(
        "TRADE_004",
        `Cannot cancel OCO "${listClientOrderId}" for "${symbol}": unknown or finished order list`,
        {
          symbol,
          listClientOrderId,
        },
      );
    }
    this.#move(baseAsset, list.takeProfit.origQty, `-${list.takeProfit.origQty}`);
    for (const order of [list.takeProfit, list.stopLoss]) {
      order.status = "CANCELED";
      order.updateTime = now;
    }
    list.status = "ALL_DONE";
    list.updateTime = now;
    return structuredClone(list);
  }

  /** A copy of the latest order with this client id, or null. */
  order(symbol: string, clientOrderId: string): Order | null {
    const order = this.#orders.get(clientOrderId);
    return order && order.symbol === symbol ? structuredClone(order) : null;
  }

  /** Copies of the orders on `symbol` created from `since` to `until` (ms), oldest first. */
  orders(symbol: string, since: number, until: number): Order[] {
    return [...this.#orders.values()]
      .filter((o) => o.symbol === symbol && o.time >= since && o.time <= until)
      .sort((a, b) => a.time - b.time)
      .map((o) => ({ ...structuredClone(o), fills: [] }));
  }

  /** A copy of the list with this client id, or null. */
  list(listClientOrderId: string): OrderList | null {
    const list = this.#lists.get(listClientOrderId);
    return list ? structuredClone(list) : null;
  }

  /** The live executing lists (optionally of one symbol); callers must not leak them. */
  executingLists(symbol?: string): OrderList[] {
    return [...this.#lists.values()].filter((list) =>
      list.status === "EXECUTING" && (symbol === undefined || list.symbol === symbol)
    );
  }

  /** Copies of the trades on `symbol` at or after `since`. */
  trades(symbol: string, since = 0): Trade[] {
    return this.#trades.filter((trade) => trade.symbol === symbol && trade.time >= since).map((
      trade,
    ) => ({ ...trade }));
  }

  #newOrder(
    symbol: string,
    clientOrderId: string,
    side: OrderSide,
    type: string,
    price: string,
    quantity: string,
    now: number,
  ): Order {
    const order: Order = {
      symbol,
      orderId: String(this.#nextOrderId++),
      clientOrderId,
      side,
      type,
      status: "NEW",
      price,
      origQty: quantity,
      executedQty: "0",
      cummulativeQuoteQty: "0",
      avgPrice: "0",
      fills: [],
      commission: "0",
      commissionAsset: "",
      time: now,
      updateTime: now,
    };
    this.#orders.set(clientOrderId, order);
    return order;
  }

  #fill(order: Order, price: string, fee: PaperFee, now: number): void {
    const quote = multiplyDecimals(order.origQty, price);
    const tradeId = String(this.#nextTradeId++);
    order.status = "FILLED";
    order.executedQty = order.origQty;
    order.cummulativeQuoteQty = quote;
    order.avgPrice = price;
    order.fills = [{
      price,
      qty: order.origQty,
      commission: fee.amount,
      commissionAsset: fee.asset,
      tradeId,
    }];
    order.commission = fee.amount;
    order.commissionAsset = fee.asset;
    order.updateTime = now;
    this.#trades.push({
      symbol: order.symbol,
      id: tradeId,
      orderId: order.orderId,
      side: order.side,
      price,
      qty: order.origQty,
      quoteQty: quote,
      commission: fee.amount,
      commissionAsset: fee.asset,
      isMaker: order.type === "LIMIT_MAKER",
      time: now,
    });
  }

  #refuseDuplicate(symbol: string, clientOrderId: string): void {
    const existing = this.#orders.get(clientOrderId);
    // Like Binance, a client id must be unique among open orders only.
    if (existing && (existing.status === "NEW" || existing.status === "PARTIALLY_FILLED")) {
      throw new AuraError(
        "TRADE_004",
        `Cannot place order for "${symbol}": duplicate client order id "${clientOrderId}"`,
      );
    }
  }

  #requireFree(rules: SymbolRules, asset: string, amount: string, action: string): void {
    const free = this.#balances.get(asset)?.free ?? "0";
    if (compareDecimals(free, amount) < 0) {
      throw new AuraError(
        "TRADE_001",
        `Cannot ${action} for "${rules.symbol}": ${asset} balance "${free}" is below required "${amount}"`,
        {
          symbol: rules.symbol,
          asset,
          balance: free,
          required: amount,
        },
      );
    }
  }

  #move(asset: string, freeDelta: string, lockedDelta: string): void {
    const balance = this.#balances.get(asset) ?? { free: "0", locked: "0" };
    this.#balances.set(asset, {
      free: addDecimals(balance.free, freeDelta),
      locked: addDecimals(balance.locked, lockedDelta),
    });
  }
}
