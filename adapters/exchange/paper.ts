/**
 * The paper exchange: an in-process, deterministic {@link Exchange} for paper
 * trading and tests. One instance is one account (seeded with 10,000 USDT by
 * default); symbol rules are the real Binance filters of
 * engine/orders/known_symbols.ts, so an order refused here is refused live.
 *
 * Market orders fill at the latest price (set by {@link PaperExchange.setPrice}
 * or a candle's close); fees are 0.1 % per side, in the quote asset unless
 * `commissionAsset: "base"` (Binance's default without BNB: a buy pays in the
 * base asset it receives). OCO legs trigger on {@link PaperExchange.onCandle}
 * with exactly engine/fills.ts `checkProtectiveExit`, so paper and backtest
 * agree; the stop leg fills at its stop price (or the open on a gap), as the
 * backtester assumes. Time comes only from the injected Clock.
 *
 * @module
 */

import type { Clock } from "../../engine/clock.ts";
import { AuraError } from "../../engine/errors.ts";
import { checkProtectiveExit } from "../../engine/fills.ts";
import {
  compareDecimals,
  divideDecimals,
  floorToStep,
  multiplyDecimals,
} from "../../engine/orders/decimal.ts";
import { DEFAULT_FEE_RATE, feeFor } from "../../engine/orders/fees.ts";
import {
  checkLotSize,
  checkNotional,
  parseSymbolRules,
  type SymbolRules,
  validateMarketBuyQuote,
  validateOcoSell,
} from "../../engine/orders/filters.ts";
import { type BinanceSymbolInfo, KNOWN_SYMBOLS } from "../../engine/orders/known_symbols.ts";
import type {
  Balance,
  Exchange,
  MarketBuyQuote,
  MarketSell,
  Order,
  OrderEvent,
  OrderEventHandler,
  OrderList,
  PlaceOco,
  Trade,
} from "../../engine/ports/exchange.ts";
import { checkOrdersWindow } from "../../engine/ports/exchange.ts";
import { PaperBook } from "./_paper_book.ts";

/** Options of {@link PaperExchange}. */
export interface PaperExchangeOptions {
  /** The clock that stamps orders and events. */
  clock: Clock;
  /** Starting balances (default `{ USDT: "10000" }`). */
  balances?: Record<string, string>;
  /** Fee per side (default `"0.001"`). */
  feeRate?: string;
  /** Asset a buy pays its fee in (default `"quote"`, as the backtester assumes). */
  commissionAsset?: "quote" | "base";
  /** exchangeInfo entries (default: BTCUSDT, ETHUSDT, SOLUSDT, XRPUSDT). */
  symbols?: Readonly<Record<string, BinanceSymbolInfo>>;
  /** Starting last prices by symbol. */
  prices?: Record<string, string>;
}

/** A candle as {@link PaperExchange.onCandle} reads it (decimal strings). */
export interface PaperCandle {
  /** Open price. */
  open: string;
  /** High price. */
  high: string;
  /** Low price. */
  low: string;
  /** Close price; becomes the last price. */
  close: string;
}

/** An in-process exchange account (see the module doc). */
export class PaperExchange implements Exchange {
  readonly #clock: Clock;
  readonly #feeRate: string;
  readonly #commissionAsset: "quote" | "base";
  readonly #rules = new Map<string, SymbolRules>();
  readonly #prices = new Map<string, string>();
  readonly #handlers = new Set<OrderEventHandler>();
  readonly #book: PaperBook;

  /** Opens an account with the given balances, symbols and prices. */
  constructor(options: PaperExchangeOptions) {
    this.#clock = options.clock;
    this.#feeRate = options.feeRate ?? DEFAULT_FEE_RATE;
    this.#commissionAsset = options.commissionAsset ?? "quote";
    for (const info of Object.values(options.symbols ?? KNOWN_SYMBOLS)) {
      this.#rules.set(info.symbol, parseSymbolRules(info));
    }
    for (const [symbol, price] of Object.entries(options.prices ?? {})) {
      this.#prices.set(symbol, price);
    }
    this.#book = new PaperBook(options.balances ?? { USDT: "10000" });
  }

  /** Sets the last price of `symbol` without checking OCO legs (use {@link onCandle} to move the market). */
  setPrice(symbol: string, price: string): void {
    this.#prices.set(symbol, price);
  }

  /**
   * Moves the market by one closed candle: OCO legs are checked against it
   * with the shared fill model, then the close becomes the last price.
   */
  onCandle(symbol: string, candle: PaperCandle): void {
    const range = { open: Number(candle.open), high: Number(candle.high), low: Number(candle.low) };
    for (const list of this.#book.executingLists(symbol)) {
      const exit = checkProtectiveExit(
        range,
        Number(list.takeProfit.price),
        Number(list.stopLoss.stopPrice),
      );
      if (!exit) continue;
      const gap = exit.price === range.open;
      const legPrice = exit.status === "CLOSED_TP"
        ? list.takeProfit.price
        : list.stopLoss.stopPrice!;
      const price = gap ? candle.open : legPrice;
      const rules = this.#rules.get(symbol)!;
      const leg = exit.status === "CLOSED_TP" ? "TAKE_PROFIT" : "STOP_LOSS";
      const filled = this.#book.fillLeg(
        rules,
        list,
        leg,
        price,
        this.#sellFee(rules),
        this.#clock.now(),
      );
      this.#emit({
        type: "oco_leg_filled",
        id: `oco_leg_filled:${list.listClientOrderId}`,
        symbol,
        orderListId: list.orderListId,
        listClientOrderId: list.listClientOrderId,
        leg,
        orderId: filled.orderId,
        clientOrderId: filled.clientOrderId,
        price: filled.avgPrice,
        quantity: filled.executedQty,
        quoteQty: filled.cummulativeQuoteQty,
        commission: filled.commission,
        commissionAsset: filled.commissionAsset,
        time: this.#clock.now(),
      });
    }
    this.#prices.set(symbol, candle.close);
  }

  /** @inheritdoc */
  getSymbolRules(symbol: string): Promise<SymbolRules> {
    return this.#attempt(() => structuredClone(this.#rulesOf(symbol, "get rules")));
  }

  /** @inheritdoc */
  getBalances(): Promise<Record<string, Balance>> {
    return Promise.resolve(this.#book.balances());
  }

  /** @inheritdoc */
  getLastPrice(symbol: string): Promise<string> {
    return this.#attempt(() => this.#priceOf(symbol, "get last price"));
  }

  /** @inheritdoc */
  marketBuyQuote(command: MarketBuyQuote): Promise<Order> {
    return this.#attempt(() => {
      const action = "place market buy";
      const rules = this.#rulesOf(command.symbol, action);
      const price = this.#priceOf(command.symbol, action);
      validateMarketBuyQuote(rules, { quoteOrderQty: command.quoteOrderQty, lastPrice: price });
      const quantity = floorToStep(
        divideDecimals(command.quoteOrderQty, price, 16),
        rules.stepSize,
      );
      checkLotSize(rules, quantity, action);
      const quote = multiplyDecimals(quantity, price);
      const fee = this.#commissionAsset === "base"
        ? { asset: rules.baseAsset, amount: feeFor(quantity, this.#feeRate) }
        : { asset: rules.quoteAsset, amount: feeFor(quote, this.#feeRate) };
      const order = this.#book.fillMarket(
        rules,
        "BUY",
        command.clientOrderId,
        quantity,
        price,
        fee,
        this.#clock.now(),
      );
      this.#emitFilled(order);
      return order;
    });
  }

  /** Announces a filled market order (entry or exit) to subscribers. */
  #emitFilled(order: Order): void {
    this.#emit({
      type: "order_filled",
      id: `order_filled:${order.clientOrderId}`,
      order,
      time: order.time,
    });
  }

  /** @inheritdoc */
  marketSell(command: MarketSell): Promise<Order> {
    return this.#attempt(() => {
      const action = "place market sell";
      const rules = this.#rulesOf(command.symbol, action);
      const price = this.#priceOf(command.symbol, action);
      checkLotSize(rules, command.quantity, action);
      // Binance refuses a market sell below the NOTIONAL minimum (dust), so does paper.
      checkNotional(rules, multiplyDecimals(command.quantity, price), true, action);
      const order = this.#book.fillMarket(
        rules,
        "SELL",
        command.clientOrderId,
        command.quantity,
        price,
        this.#sellFee(rules)(multiplyDecimals(command.quantity, price)),
        this.#clock.now(),
      );
      this.#emitFilled(order);
      return order;
    });
  }

  /** @inheritdoc */
  placeOco(command: PlaceOco): Promise<OrderList> {
    return this.#attempt(() => {
      const action = "place OCO";
      const rules = this.#rulesOf(command.symbol, action);
      const lastPrice = this.#priceOf(command.symbol, action);
      validateOcoSell(rules, { ...command, lastPrice });
      // Binance rejects a LIMIT_MAKER that would take and a stop that would trigger at once.
      if (compareDecimals(command.takeProfitPrice, lastPrice) <= 0) {
        throw new AuraError(
          "TRADE_004",
          `Cannot place OCO for "${command.symbol}": take-profit "${command.takeProfitPrice}" would immediately match last price "${lastPrice}"`,
        );
      }
      if (compareDecimals(command.stopPrice, lastPrice) >= 0) {
        throw new AuraError(
          "TRADE_004",
          `Cannot place OCO for "${command.symbol}": stop "${command.stopPrice}" would trigger immediately at last price "${lastPrice}"`,
        );
      }
      return this.#book.openOco(rules, command, this.#clock.now());
    });
  }

  /** @inheritdoc */
  cancelOrderList(command: { symbol: string; listClientOrderId: string }): Promise<OrderList> {
    return this.#attempt(() => {
      const rules = this.#rulesOf(command.symbol, "cancel OCO");
      const list = this.#book.cancelOco(rules, command.listClientOrderId, this.#clock.now());
      this.#emit({
        type: "oco_cancelled",
        id: `oco_cancelled:${list.listClientOrderId}`,
        symbol: list.symbol,
        orderListId: list.orderListId,
        listClientOrderId: list.listClientOrderId,
        time: list.updateTime,
      });
      return list;
    });
  }

  /** @inheritdoc */
  getOrder(query: { symbol: string; clientOrderId: string }): Promise<Order | null> {
    return Promise.resolve(this.#book.order(query.symbol, query.clientOrderId));
  }

  /** @inheritdoc */
  getOrderList(query: { listClientOrderId: string }): Promise<OrderList | null> {
    return Promise.resolve(this.#book.list(query.listClientOrderId));
  }

  /** @inheritdoc */
  getOrders(query: { symbol: string; since: number; until: number }): Promise<Order[]> {
    try {
      checkOrdersWindow(query);
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve(this.#book.orders(query.symbol, query.since, query.until));
  }

  /** @inheritdoc */
  getOpenOrderLists(): Promise<OrderList[]> {
    return Promise.resolve(this.#book.executingLists().map((list) => structuredClone(list)));
  }

  /** @inheritdoc */
  getRecentFills(symbol: string, since?: number): Promise<Trade[]> {
    return Promise.resolve(this.#book.trades(symbol, since));
  }

  /** @inheritdoc */
  getServerTime(): Promise<number> {
    return Promise.resolve(this.#clock.now());
  }

  /** @inheritdoc */
  subscribeOrderEvents(handler: OrderEventHandler): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  /** @inheritdoc */
  close(): Promise<void> {
    this.#handlers.clear();
    return Promise.resolve();
  }

  #sellFee(rules: SymbolRules): (quote: string) => { asset: string; amount: string } {
    return (quote) => ({ asset: rules.quoteAsset, amount: feeFor(quote, this.#feeRate) });
  }

  #rulesOf(symbol: string, action: string): SymbolRules {
    const rules = this.#rules.get(symbol);
    if (!rules) {
      throw new AuraError("TRADE_003", `Cannot ${action} for "${symbol}": unknown symbol`, {
        symbol,
      });
    }
    return rules;
  }

  #priceOf(symbol: string, action: string): string {
    this.#rulesOf(symbol, action);
    const price = this.#prices.get(symbol);
    if (price === undefined) {
      throw new AuraError(
        "TRADE_004",
        `Cannot ${action} for "${symbol}": no price yet (no candle seen)`,
        { symbol },
      );
    }
    return price;
  }

  /** Runs a command and turns a synchronous throw into a rejected promise. */
  #attempt<T>(command: () => T): Promise<T> {
    try {
      return Promise.resolve(command());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #emit(event: OrderEvent): void {
    for (const handler of [...this.#handlers]) {
      try {
        handler(structuredClone(event));
      } catch {
        // A consumer's failure must not undo a fill that already happened.
      }
    }
  }
}
