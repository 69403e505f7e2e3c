/**
 * `startSimulator()`: a Binance-compatible spot exchange on 127.0.0.1 that
 * ccxt (or any Binance client) talks to unchanged. REST under /api/v3,
 * market streams under /ws and /stream, the WebSocket API at /ws-api/v3.
 *
 * @example
 * ```ts
 * const sim = await startSimulator({ port: 0 });
 * sim.addAccount("key", "secret", { USDT: "10000" });
 * sim.pushCandle("BTCUSDT", { openTime: 0, closeTime: 59_999, open: "60000", high: "60100", low: "59900", close: "60050", volume: "12" });
 * await sim.close();
 * ```
 *
 * @module
 */

import { Account } from "./accounts.ts";
import { CandleAggregator } from "./aggregate.ts";
import type { ApiRestrictions } from "./accounts.ts";
import { Faults, SeededRandom } from "./faults.ts";
import type { FaultSettings } from "./faults.ts";
import { Market } from "./market.ts";
import type { SimCandle } from "./market.ts";
import { MatchingEngine } from "./matching.ts";
import { orderQueryResponse } from "./orders.ts";
import { RestHandler } from "./rest.ts";
import type { RequestLogEntry } from "./rest.ts";
import { KNOWN_SYMBOLS } from "./symbols.ts";
import { WsHub } from "./ws.ts";

/** Options of {@link startSimulator}. */
export interface SimulatorOptions {
  /** Port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  hostname?: string;
  /** Seed for generated ids and fault decisions (default 42). */
  seed?: number;
  /** Listed symbols (default BTCUSDT, ETHUSDT, SOLUSDT, XRPUSDT). */
  symbols?: string[];
  /** Initial last price per symbol (defaults: BTC 60000, ETH 3000, SOL 150, XRP 0.5). */
  startPrices?: Record<string, string>;
  /** Commission rate per fill (default 0.001 = 0.1%). */
  feeRate?: number;
  /** `base`: BUY commission charged in the base asset; `quote` (default): always in quote; `bnb`: in BNB at 75 % of the rate when the account holds enough (see MatchingOptions). */
  commissionAsset?: "quote" | "base" | "bnb";
  /**
   * Kline updates with `x: false` sent before each closed kline of a pushed
   * candle (default 0): lets tests check that clients act on closed candles only.
   */
  klineUpdates?: number;
}

/** The fault knobs plus the WebSocket drop switch. */
export interface SimulatorFaults extends FaultSettings {
  /** Closes every open WebSocket now. */
  dropWebSockets(): void;
}

/** A running simulator. */
export interface Simulator {
  /** REST base, e.g. `http://127.0.0.1:PORT` (paths /api/v3/...). */
  url: string;
  /** WebSocket base, e.g. `ws://127.0.0.1:PORT` (/ws/<stream>, /stream?streams=, /ws-api/v3). */
  wsUrl: string;
  /** Adds an account with free balances (asset → amount) and optional key restrictions. */
  addAccount(
    apiKey: string,
    secret: string,
    balances: Record<string, string>,
    restrictions?: Partial<ApiRestrictions>,
  ): void;
  /**
   * Closes a candle: moves the price, triggers resting orders and OCO legs,
   * emits kline events, and rolls it up into longer intervals (a 1m push also
   * closes 3m, 5m, … 1w candles at their boundaries).
   */
  pushCandle(symbol: string, candle: SimCandle, interval?: string): void;
  /** Moves the last price (resting orders at or beyond it fill). */
  setPrice(symbol: string, price: string): void;
  /** Fault injection. */
  faults: SimulatorFaults;
  /** Every REST request, in arrival order. */
  requestLog: RequestLogEntry[];
  /** Every order of the account, in Binance's `GET /api/v3/order` shape. */
  orders(apiKey: string): unknown[];
  /** Stops the server and closes every socket. */
  close(): Promise<void>;
}

/** Start prices of the default symbols (BTC 60000, ETH 3000, SOL 150, XRP 0.5). */
export const START_PRICES: Readonly<Record<string, string>> = {
  BTCUSDT: "60000.00",
  ETHUSDT: "3000.00",
  SOLUSDT: "150.00",
  XRPUSDT: "0.5000",
};

/** Starts a simulator; see {@link SimulatorOptions}. */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const symbols = new Set((opts.symbols ?? Object.keys(KNOWN_SYMBOLS)).map((s) => s.toUpperCase()));
  const random = new SeededRandom(opts.seed ?? 42);
  const accounts = new Map<string, Account>();
  const market = new Market();
  // The faults drop the hub's sockets, the hub needs the clock, the clock reads the faults' skew.
  const faults = new Faults(random, () => hub.closeAll());
  const now = () => Date.now() + faults.clockSkewMs;
  const listenKeys = new Map<string, string>();
  const hub = new WsHub({ accounts, now, listenKeys });
  const engine = new MatchingEngine(market, {
    feeRate: String(opts.feeRate ?? 0.001),
    commissionAsset: opts.commissionAsset ?? "quote",
    random,
    now,
    emit: (apiKey, event) => hub.publishUserEvent(apiKey, event),
    accountOf: (apiKey) => accounts.get(apiKey),
  });
  for (const symbol of symbols) {
    const price = opts.startPrices?.[symbol] ?? START_PRICES[symbol];
    if (price) market.setPrice(symbol, price);
  }
  const requestLog: RequestLogEntry[] = [];
  const aggregator = new CandleAggregator();
  const rest = new RestHandler({ engine, accounts, symbols, faults, now, requestLog, listenKeys });

  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: opts.hostname ?? "127.0.0.1",
    port: opts.port ?? 0,
    onListen: (addr) => resolve(addr as Deno.NetAddr),
  }, (request) => {
    const url = new URL(request.url);
    if (WsHub.handles(url)) return hub.upgrade(request, url);
    return rest.handle(request, url);
  });
  const addr = await listening;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  let closed = false;

  return {
    url: `http://${host}:${addr.port}`,
    wsUrl: `ws://${host}:${addr.port}`,
    addAccount(apiKey, secret, balances, restrictions) {
      accounts.set(
        apiKey,
        new Account(apiKey, secret, balances, 10_000 + accounts.size, restrictions),
      );
    },
    pushCandle(symbol, candle, interval = "1m") {
      const upper = symbol.toUpperCase();
      for (const update of market.partialKlines(upper, interval, candle, opts.klineUpdates ?? 0)) {
        hub.publishKline(upper, interval, update);
      }
      // Resting orders see the candle's range before it closes, as fills happen inside a candle.
      engine.onPriceRange(upper, candle);
      hub.publishKline(upper, interval, market.addCandle(upper, interval, candle));
      for (const derived of aggregator.add(upper, interval, candle)) {
        hub.publishKline(
          upper,
          derived.interval,
          market.addCandle(upper, derived.interval, derived.candle),
        );
      }
    },
    setPrice(symbol, price) {
      const upper = symbol.toUpperCase();
      engine.onPriceRange(upper, { open: price, high: price, low: price });
      market.setPrice(upper, price);
    },
    faults,
    requestLog,
    orders(apiKey) {
      const account = accounts.get(apiKey);
      return account ? engine.allOrders(account).map(orderQueryResponse) : [];
    },
    async close() {
      if (closed) return;
      closed = true;
      hub.closeAll();
      await server.shutdown();
    },
  };
}
