/**
 * Binance spot through ccxt, as an {@link Exchange}.
 *
 * - Spot only: markets are never loaded (every call uses ccxt's implicit REST
 *   methods, which return Binance's raw JSON), so no sapi or futures endpoint
 *   is touched. The base URL is live Binance, the Spot testnet or any
 *   Binance-compatible server such as AURA's simulator (the adapter rewrites
 *   `exchange.urls.api.*`).
 * - Entries are market buys by `quoteOrderQty`; protection is one OCO via
 *   `POST /api/v3/orderList/oco` (LIMIT_MAKER above, STOP_LOSS_LIMIT GTC
 *   below). Orders are checked against the symbol's filters before anything
 *   is sent (TRADE_002/TRADE_003 without a request).
 * - Every call goes through {@link ExchangeResilience}: client ids are
 *   deterministic, an order whose outcome is unknown is looked up by client id
 *   before any resend, temporary errors back off, 429/418 and request weight
 *   are honoured, -1021 resynchronises the clock offset.
 * - Order events come from Binance's WebSocket API user data stream
 *   (`userDataStream.subscribe.signature`, `_user_stream.ts`) while it is
 *   subscribed, from REST polling of open order lists
 *   (`_order_list_watcher.ts`) every `pollIntervalMs` while it is not, and
 *   from one catch-up poll on every (re)connect. Both paths emit the same
 *   event ids through one emitter, so nothing is reported twice.
 *
 * @module
 */

import { type Clock, systemClock } from "../../engine/clock.ts";
import { AuraError } from "../../engine/errors.ts";
import { compareDecimals, normalizeDecimal } from "../../engine/orders/decimal.ts";
import {
  assertTrading,
  type BinanceSymbolJson,
  checkLotSize,
  checkNotional,
  parseSymbolRules,
  type SymbolRules,
  validateOcoSell,
} from "../../engine/orders/filters.ts";
import type {
  Balance,
  Exchange,
  MarketBuyQuote,
  MarketSell,
  Order,
  OrderEventHandler,
  OrderList,
  PlaceOco,
  Trade,
} from "../../engine/ports/exchange.ts";
import { checkOrdersWindow } from "../../engine/ports/exchange.ts";
import { BinanceClient, type CcxtBinance } from "./_binance_client.ts";
import { type Json, toOrder, toOrderList, toTrade, withFills } from "./_binance_json.ts";
import { OrderListWatcher } from "./_order_list_watcher.ts";
import { UserEventTranslator } from "./_user_events.ts";
import {
  LIVE_WS_API_URL,
  TESTNET_WS_API_URL,
  UserDataStream,
  type UserDataStreamOptions,
} from "./_user_stream.ts";
import { ExchangeResilience, type ResilienceOptions } from "./resilience.ts";

/** Where the adapter sends requests. */
export type BinanceEndpoint = "live" | "testnet" | string;

/** Options of {@link CcxtBinanceExchange}. */
export interface CcxtBinanceOptions {
  /** API key. */
  apiKey: string;
  /** API secret. */
  secret: string;
  /** `live`, `testnet`, or a base URL such as the simulator's `http://127.0.0.1:PORT`. */
  endpoint?: BinanceEndpoint;
  /** Clock for resilience decisions (default the system clock). */
  clock?: Clock;
  /** Order event polling period while the user data stream is down, ms (default 2,000; 0: never). */
  pollIntervalMs?: number;
  /**
   * WebSocket API URL of the user data stream; default derived from
   * `endpoint` (live {@link LIVE_WS_API_URL}, testnet {@link TESTNET_WS_API_URL},
   * a custom `http://host:port` → `ws://host:port/ws-api/v3`); null: REST polling only.
   */
  wsApiUrl?: string | null;
  /** Polling period while the stream is live, as a safety net, ms (default 60,000; 0: never). */
  safetyPollIntervalMs?: number;
  /** Stream tuning: reconnect backoff (500 ms doubling up to 30 s), ping period and answer timeout. */
  userStream?: Pick<
    UserDataStreamOptions,
    "initialDelayMs" | "maxDelayMs" | "heartbeatMs" | "subscribeTimeoutMs"
  >;
  /** Opens the stream's socket (default `new WebSocket(url)`); tests wrap it to see what is sent. */
  connectWebSocket?: (url: string) => WebSocket;
  /** Per-request timeout, ms (default 10,000). */
  timeoutMs?: number;
  /** recvWindow, ms (default 5,000). */
  recvWindowMs?: number;
  /** Keep ccxt's own request throttle on (default true except against a custom URL). */
  enableRateLimit?: boolean;
  /** How long symbol rules are reused before exchangeInfo is asked again, ms (default 300,000). */
  rulesTtlMs?: number;
  /** Retry, breaker and weight tuning. */
  resilience?: Omit<ResilienceOptions, "clock">;
}

const BASE_URLS: Record<string, string> = {
  live: "https://api.binance.com",
  testnet: "https://testnet.binance.vision",
};

const WS_API_URLS: Record<string, string> = {
  live: LIVE_WS_API_URL,
  testnet: TESTNET_WS_API_URL,
};

/**
 * The WebSocket API URL for an endpoint: Binance's own hosts for live and
 * testnet (named or by REST URL), else the same host and port (the simulator
 * serves REST and WebSocket on one port).
 */
export function wsApiUrlOf(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, "");
  const named = Object.entries(BASE_URLS).find(([, url]) => url === base)?.[0] ?? base;
  return WS_API_URLS[named] ?? `${base.replace(/^http/, "ws")}/ws-api/v3`;
}

/** Binance spot via ccxt (see the module doc). */
export class CcxtBinanceExchange implements Exchange {
  /** The ccxt instance (for benchmarks and diagnostics). */
  readonly ccxt: CcxtBinance;
  /** The retry/breaker/weight policy in use. */
  readonly resilience: ExchangeResilience;
  readonly #rules = new Map<string, { rules: SymbolRules; fetchedAt: number }>();
  readonly #clock: Clock;
  readonly #rulesTtlMs: number;
  readonly #watcher: OrderListWatcher;
  readonly #client: BinanceClient;
  readonly #stream: UserDataStream | undefined;
  readonly #translator: UserEventTranslator;

  /** Creates the ccxt client pointed at `options.endpoint`; no request is sent yet. */
  constructor(options: CcxtBinanceOptions) {
    const endpoint = options.endpoint ?? "live";
    this.#client = new BinanceClient({
      apiKey: options.apiKey,
      secret: options.secret,
      baseUrl: BASE_URLS[endpoint] ?? endpoint,
      timeoutMs: options.timeoutMs ?? 10_000,
      recvWindowMs: options.recvWindowMs ?? 5_000,
      enableRateLimit: options.enableRateLimit ?? endpoint in BASE_URLS,
    });
    this.ccxt = this.#client.ccxt;
    this.#clock = options.clock ?? systemClock;
    this.#rulesTtlMs = options.rulesTtlMs ?? 300_000;
    this.resilience = new ExchangeResilience({
      clock: this.#clock,
      ...options.resilience,
    });
    this.#watcher = new OrderListWatcher({
      intervalMs: options.pollIntervalMs ?? 2_000,
      safetyIntervalMs: options.safetyPollIntervalMs ?? 60_000,
      openListIds: () => this.#run("list open OCOs", () => this.#client.openListIds()),
      getOrderList: (listClientOrderId) => this.getOrderList({ listClientOrderId }),
      fillsOf: (order) => this.#run("get fills", () => this.#client.fillsOf(order)),
    });
    this.#translator = new UserEventTranslator({
      emit: (event) => this.#watcher.emit(event),
      settled: (listClientOrderId) => this.#watcher.untrack(listClientOrderId),
      fillsOf: (order) => this.#run("get fills", () => this.#client.fillsOf(order)),
    });
    const wsApiUrl = options.wsApiUrl === undefined ? wsApiUrlOf(endpoint) : options.wsApiUrl;
    if (wsApiUrl !== null) {
      this.#stream = new UserDataStream({
        url: wsApiUrl,
        apiKey: options.apiKey,
        secret: options.secret,
        // ccxt's nonce carries the measured server clock offset (resynchronised after -1021).
        timestamp: () => this.ccxt.nonce(),
        recvWindowMs: options.recvWindowMs ?? 5_000,
        onEvent: (event) => this.#translator.handle(event),
        onLive: (live) => {
          if (live) this.#translator.reset();
          this.#watcher.setStreamLive(live);
        },
        ...options.userStream,
        ...(options.connectWebSocket ? { connect: options.connectWebSocket } : {}),
      });
    }
  }

  /** True while the user data stream is subscribed (false when disabled or reconnecting). */
  get userStreamLive(): boolean {
    return this.#stream?.live ?? false;
  }

  /** @inheritdoc */
  async getSymbolRules(symbol: string): Promise<SymbolRules> {
    const cached = this.#rules.get(symbol);
    if (cached && this.#clock.now() - cached.fetchedAt < this.#rulesTtlMs) {
      return structuredClone(cached.rules);
    }
    const info = await this.#call(
      `get rules for "${symbol}"`,
      (c) => c.publicGetExchangeInfo({ symbol }),
    ) as Json;
    const entry = (info.symbols as BinanceSymbolJson[] | undefined)?.find((s) =>
      s.symbol === symbol
    );
    if (!entry) {
      throw new AuraError("TRADE_003", `Cannot get rules for "${symbol}": unknown symbol`, {
        symbol,
      });
    }
    const rules = parseSymbolRules(entry);
    this.#rules.set(symbol, { rules, fetchedAt: this.#clock.now() });
    return structuredClone(rules);
  }

  /** @inheritdoc */
  async getBalances(): Promise<Record<string, Balance>> {
    const account = await this.#call(
      "get balances",
      (c) => c.privateGetAccount({ omitZeroBalances: true }),
    ) as Json;
    const balances: Record<string, Balance> = {};
    for (const row of (account.balances ?? []) as Json[]) {
      const free = String(row.free ?? "0");
      const locked = String(row.locked ?? "0");
      if (compareDecimals(free, "0") !== 0 || compareDecimals(locked, "0") !== 0) {
        balances[String(row.asset)] = {
          free: normalizeDecimal(free),
          locked: normalizeDecimal(locked),
        };
      }
    }
    return balances;
  }

  /** @inheritdoc */
  async getLastPrice(symbol: string): Promise<string> {
    const ticker = await this.#call(
      `get price of "${symbol}"`,
      (c) => c.publicGetTickerPrice({ symbol }),
    ) as Json;
    return normalizeDecimal(String(ticker.price));
  }

  /** @inheritdoc */
  async marketBuyQuote(command: MarketBuyQuote): Promise<Order> {
    const action = `place market buy for "${command.symbol}"`;
    const rules = await this.getSymbolRules(command.symbol);
    assertTrading(rules, "place market buy");
    checkNotional(rules, command.quoteOrderQty, true, "place market buy");
    const order = await this.#order(
      action,
      command.symbol,
      command.clientOrderId,
      (c) =>
        c.privatePostOrder({
          symbol: command.symbol,
          side: "BUY",
          type: "MARKET",
          quoteOrderQty: command.quoteOrderQty,
          newClientOrderId: command.clientOrderId,
          newOrderRespType: "FULL",
        }),
    );
    this.#watcher.noteMarketOrder(order);
    return order;
  }

  /** @inheritdoc */
  async marketSell(command: MarketSell): Promise<Order> {
    const action = `place market sell for "${command.symbol}"`;
    const rules = await this.getSymbolRules(command.symbol);
    assertTrading(rules, "place market sell");
    checkLotSize(rules, command.quantity, "place market sell");
    const order = await this.#order(
      action,
      command.symbol,
      command.clientOrderId,
      (c) =>
        c.privatePostOrder({
          symbol: command.symbol,
          side: "SELL",
          type: "MARKET",
          quantity: command.quantity,
          newClientOrderId: command.clientOrderId,
          newOrderRespType: "FULL",
        }),
    );
    this.#watcher.noteMarketOrder(order);
    return order;
  }

  /** @inheritdoc */
  async placeOco(command: PlaceOco): Promise<OrderList> {
    const rules = await this.getSymbolRules(command.symbol);
    const lastPrice = await this.getLastPrice(command.symbol);
    validateOcoSell(rules, { ...command, lastPrice });
    const list = await this.resilience.run(
      `place OCO for "${command.symbol}"`,
      () =>
        this.#client.raw((c) =>
          c.privatePostOrderListOco({
            symbol: command.symbol,
            side: "SELL",
            quantity: command.quantity,
            listClientOrderId: command.listClientOrderId,
            aboveType: "LIMIT_MAKER",
            abovePrice: command.takeProfitPrice,
            aboveClientOrderId: command.aboveClientOrderId,
            belowType: "STOP_LOSS_LIMIT",
            belowStopPrice: command.stopPrice,
            belowPrice: command.stopLimitPrice,
            belowTimeInForce: "GTC",
            belowClientOrderId: command.belowClientOrderId,
            newOrderRespType: "FULL",
          })
        ).then((json) =>
          toOrderList(json, ((json.orderReports ?? []) as Json[]).map((report) => toOrder(report)))
        ),
      {
        ...this.#hooks(),
        circuit: "orders",
        recover: () => this.#client.getOrderList(command.listClientOrderId),
      },
    );
    this.#watcher.track(list.listClientOrderId);
    return list;
  }

  /** @inheritdoc */
  async cancelOrderList(
    command: { symbol: string; listClientOrderId: string },
  ): Promise<OrderList> {
    const json = await this.#call(
      `cancel OCO "${command.listClientOrderId}" for "${command.symbol}"`,
      (c) =>
        c.privateDeleteOrderList({
          symbol: command.symbol,
          listClientOrderId: command.listClientOrderId,
        }),
    ) as Json;
    const list = toOrderList(
      json,
      ((json.orderReports ?? []) as Json[]).map((report) => toOrder(report)),
    );
    this.#watcher.noteCancelled(list);
    return list;
  }

  /** @inheritdoc */
  getOrder(query: { symbol: string; clientOrderId: string }): Promise<Order | null> {
    return this.resilience.run(`get order "${query.clientOrderId}"`, async () => {
      const order = await this.#client.getOrder(query.symbol, {
        origClientOrderId: query.clientOrderId,
      });
      return order ? withFills(order, await this.#client.fillsOf(order)) : null;
    }, this.#hooks());
  }

  /** @inheritdoc */
  getOrderList(query: { listClientOrderId: string }): Promise<OrderList | null> {
    return this.resilience.run(
      `get OCO "${query.listClientOrderId}"`,
      () => this.#client.getOrderList(query.listClientOrderId),
      this.#hooks(),
    );
  }

  /** @inheritdoc */
  async getOrders(query: { symbol: string; since: number; until: number }): Promise<Order[]> {
    checkOrdersWindow(query);
    const rows = await this.#call(
      `list orders of "${query.symbol}"`,
      (c) =>
        c.privateGetAllOrders({
          symbol: query.symbol,
          startTime: query.since,
          endTime: query.until,
          limit: 1000,
        }),
    ) as unknown as Json[];
    return rows.map((row) => toOrder(row, [])).sort((a, b) => a.time - b.time);
  }

  /** @inheritdoc */
  async getOpenOrderLists(): Promise<OrderList[]> {
    const lists = await this.#call(
      "list open OCOs",
      (c) => c.privateGetOpenOrderList(),
    ) as unknown as Json[];
    const result: OrderList[] = [];
    for (const list of lists) {
      const full = await this.getOrderList({ listClientOrderId: String(list.listClientOrderId) });
      if (full && full.status === "EXECUTING") result.push(full);
    }
    return result;
  }

  /** @inheritdoc */
  async getRecentFills(symbol: string, since?: number): Promise<Trade[]> {
    const params: Json = { symbol };
    if (since !== undefined) params.startTime = since;
    const rows = await this.#call(
      `get trades of "${symbol}"`,
      (c) => c.privateGetMyTrades(params),
    ) as unknown as Json[];
    return rows.map(toTrade);
  }

  /** @inheritdoc */
  async getServerTime(): Promise<number> {
    const json = await this.#call("get server time", (c) => c.publicGetTime()) as Json;
    return Number(json.serverTime);
  }

  /** @inheritdoc */
  subscribeOrderEvents(handler: OrderEventHandler): () => void {
    const unsubscribe = this.#watcher.subscribe(handler);
    this.#stream?.start();
    // The stream stays up until close(): restarting it per subscriber would churn connections.
    return unsubscribe;
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    await this.#stream?.stop();
    await this.#translator.settle();
    await this.#watcher.close();
    await this.#client.close();
  }

  /** Sends an order; on an unknown outcome looks it up by client id (with its fills) before any resend. */
  #order(
    action: string,
    symbol: string,
    clientOrderId: string,
    send: (client: CcxtBinance) => Promise<unknown>,
  ): Promise<Order> {
    return this.resilience.run(action, () => this.#client.raw(send).then((json) => toOrder(json)), {
      ...this.#hooks(),
      circuit: "orders",
      recover: async () => {
        const found = await this.#client.getOrder(symbol, { origClientOrderId: clientOrderId });
        return found ? withFills(found, await this.#client.fillsOf(found)) : null;
      },
    });
  }

  /** One resilient ccxt read, mapped to AURA errors. */
  #call(action: string, call: (client: CcxtBinance) => Promise<unknown>): Promise<Json> {
    return this.#run(action, () => this.#client.raw(call));
  }

  #run<T>(action: string, call: () => Promise<T>): Promise<T> {
    return this.resilience.run(action, call, this.#hooks());
  }

  #hooks() {
    return { lastResponse: () => this.#client.lastResponse(), resync: () => this.#client.resync() };
  }
}
