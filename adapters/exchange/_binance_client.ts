/**
 * The ccxt client as the Binance adapter uses it: spot only, pointed at a base
 * URL, with the last answer's status and headers kept for the resilience
 * layer, and the raw order queries (by client id, with fills) the adapter and
 * its recovery path share. No retry policy here: callers wrap these calls in
 * `ExchangeResilience.run`.
 *
 * @module
 */

import ccxt from "ccxt";
import { compareDecimals } from "../../engine/orders/decimal.ts";
import type { Fill, Order, OrderList } from "../../engine/ports/exchange.ts";
import { type Json, toFills, toOrder, toOrderList } from "./_binance_json.ts";
import { classifyExchangeError, type ResponseInfo } from "./errors.ts";

/** The ccxt Binance class instance type. */
export type CcxtBinance = InstanceType<typeof ccxt.binance>;

/** Connection settings of {@link BinanceClient}. */
export interface BinanceClientOptions {
  /** API key. */
  apiKey: string;
  /** API secret. */
  secret: string;
  /** Base URL without path, e.g. `https://api.binance.com`. */
  baseUrl: string;
  /** Per-request timeout, ms. */
  timeoutMs: number;
  /** recvWindow, ms. */
  recvWindowMs: number;
  /** ccxt's own throttle. */
  enableRateLimit: boolean;
}

/** ccxt plus the raw queries of the Binance adapter. */
export class BinanceClient {
  /** The ccxt instance. */
  readonly ccxt: CcxtBinance;
  #lastResponse: ResponseInfo | undefined;

  /** Builds the ccxt client; sends nothing. */
  constructor(options: BinanceClientOptions) {
    this.ccxt = new ccxt.binance({
      apiKey: options.apiKey,
      secret: options.secret,
      timeout: options.timeoutMs,
      enableRateLimit: options.enableRateLimit,
      options: {
        defaultType: "spot",
        fetchMarkets: { types: ["spot"] },
        fetchCurrencies: false,
        recvWindow: options.recvWindowMs,
        adjustForTimeDifference: false,
      },
    });
    const base = options.baseUrl.replace(/\/+$/, "");
    const api = this.ccxt.urls.api as unknown as Record<string, string>;
    api.public = api.private = `${base}/api/v3`;
    api.v1 = `${base}/api/v1`;
    api.sapi = `${base}/sapi/v1`;
    // ccxt does not attach status and headers to its errors; keep them for Retry-After and weight.
    const original = this.ccxt.onRestResponse.bind(this.ccxt);
    this.ccxt.onRestResponse = (
      status,
      statusText,
      url,
      method,
      headers,
      body,
      reqHeaders,
      reqBody,
    ) => {
      this.#lastResponse = { status, headers };
      return original(status, statusText, url, method, headers, body, reqHeaders, reqBody);
    };
  }

  /** Status and headers of the last answer to a {@link raw} call (undefined when none came). */
  lastResponse(): ResponseInfo | undefined {
    return this.#lastResponse;
  }

  /** Runs one ccxt call, forgetting the previous answer first. */
  raw(call: (client: CcxtBinance) => Promise<unknown>): Promise<Json> {
    this.#lastResponse = undefined;
    return call(this.ccxt) as Promise<Json>;
  }

  /** Measures the server clock offset again (after -1021). */
  async resync(): Promise<void> {
    await this.ccxt.loadTimeDifference();
  }

  /** One order by `origClientOrderId` or `orderId`, without fills; null when unknown. */
  async getOrder(
    symbol: string,
    id: { origClientOrderId: string } | { orderId: unknown },
  ): Promise<Order | null> {
    try {
      return toOrder(await this.raw((c) => c.privateGetOrder({ symbol, ...id })));
    } catch (error) {
      if (classifyExchangeError(error, "get order").kind === "not_found") return null;
      throw error;
    }
  }

  /** One order list with both legs; null when unknown. */
  async getOrderList(listClientOrderId: string): Promise<OrderList | null> {
    let json: Json;
    try {
      json = await this.raw((c) => c.privateGetOrderList({ origClientOrderId: listClientOrderId }));
    } catch (error) {
      if (classifyExchangeError(error, "get OCO").kind === "not_found") return null;
      throw error;
    }
    const legs: Order[] = [];
    for (const leg of (json.orders ?? []) as Json[]) {
      const order = await this.getOrder(String(leg.symbol), { orderId: leg.orderId });
      if (order) legs.push(order);
    }
    return toOrderList(json, legs);
  }

  /** The fills (with commissions) of an order, from `myTrades`. */
  async fillsOf(order: Order): Promise<Fill[]> {
    if (compareDecimals(order.executedQty, "0") === 0) return [];
    return toFills(
      await this.raw((c) => c.privateGetMyTrades({ symbol: order.symbol, orderId: order.orderId })),
    );
  }

  /** Client ids of the executing order lists. */
  async openListIds(): Promise<string[]> {
    const lists = await this.raw((c) => c.privateGetOpenOrderList()) as unknown as Json[];
    return lists.map((list) => String(list.listClientOrderId));
  }

  /** Closes ccxt's connections. */
  async close(): Promise<void> {
    await this.ccxt.close();
  }
}
