/**
 * The REST route table: public market data and account endpoints here,
 * order endpoints in trade_routes.ts.
 *
 * @module
 */

import { INTERVAL_MS } from "../engine/candle.ts";
import { BinanceError } from "./binance_error.ts";
import { addDecimals, multiplyDecimals } from "../engine/orders/decimal.ts";
import { fixed8 } from "./format.ts";
import type { Route, RouteInput } from "./rest.ts";
import { exchangeInfoSymbol, rulesFor } from "./symbols.ts";
import { TRADE_ROUTES } from "./trade_routes.ts";

function exchangeInfo({ ctx, params }: RouteInput): unknown {
  let symbols = [...ctx.symbols];
  const one = params.string("symbol");
  const many = params.string("symbols");
  if (one !== undefined || many !== undefined) {
    const wanted: string[] = one !== undefined ? [one.toUpperCase()] : JSON.parse(many!);
    for (const s of wanted) {
      if (!ctx.symbols.has(s)) throw new BinanceError(-1121, "Invalid symbol.");
    }
    symbols = wanted;
  }
  return {
    timezone: "UTC",
    serverTime: ctx.now(),
    rateLimits: [
      { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 6000 },
      { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: 100 },
      { rateLimitType: "ORDERS", interval: "DAY", intervalNum: 1, limit: 200000 },
      { rateLimitType: "RAW_REQUESTS", interval: "MINUTE", intervalNum: 5, limit: 61000 },
    ],
    exchangeFilters: [],
    symbols: symbols.map(exchangeInfoSymbol),
  };
}

function klines({ ctx, params }: RouteInput): unknown {
  const symbol = params.symbol(ctx.symbols);
  const interval = params.requiredString("interval");
  if (!(interval in INTERVAL_MS)) throw new BinanceError(-1120, "Invalid interval.");
  const limit = params.integer("limit") ?? 500;
  if (limit < 1 || limit > 1000) {
    throw new BinanceError(
      -1100,
      "Illegal characters found in parameter 'limit'; legal range is '1000'.",
    );
  }
  const startTime = params.integer("startTime");
  const endTime = params.integer("endTime");
  return ctx.engine.market.klines(symbol, interval, {
    limit,
    ...(startTime !== undefined ? { startTime } : {}),
    ...(endTime !== undefined ? { endTime } : {}),
  });
}

function tickerPrice({ ctx, params }: RouteInput): unknown {
  const price = (symbol: string) => ({
    symbol,
    price: ctx.engine.market.lastPrice(symbol) ?? "0.00000000",
  });
  if (params.string("symbol") !== undefined) return price(params.symbol(ctx.symbols));
  const many = params.string("symbols");
  const symbols: string[] = many !== undefined ? JSON.parse(many) : [...ctx.symbols];
  return symbols.map(price);
}

function symbolList(ctx: RouteInput["ctx"], params: RouteInput["params"]): string[] {
  if (params.string("symbol") !== undefined) return [params.symbol(ctx.symbols)];
  const many = params.string("symbols");
  if (many === undefined) return [...ctx.symbols];
  const symbols: string[] = JSON.parse(many);
  for (const s of symbols) {
    if (!ctx.symbols.has(s)) throw new BinanceError(-1121, "Invalid symbol.");
  }
  return symbols;
}

function ticker24h({ ctx, params }: RouteInput): unknown {
  const tickers = symbolList(ctx, params).map((s) =>
    ctx.engine.market.ticker24h(s, rulesFor(s).tickSize)
  );
  return params.string("symbol") !== undefined ? tickers[0] : tickers;
}

function bookTicker({ ctx, params }: RouteInput): unknown {
  // The simulator has no book: one tick either side of the last price.
  const tickers = symbolList(ctx, params).map((symbol) => {
    const t = ctx.engine.market.ticker24h(symbol, rulesFor(symbol).tickSize);
    return {
      symbol,
      bidPrice: t.bidPrice,
      bidQty: t.bidQty,
      askPrice: t.askPrice,
      askQty: t.askQty,
    };
  });
  return params.string("symbol") !== undefined ? tickers[0] : tickers;
}

function depth({ ctx, params }: RouteInput): unknown {
  const symbol = params.symbol(ctx.symbols);
  const limit = Math.min(params.integer("limit") ?? 100, 5000);
  const tick = rulesFor(symbol).tickSize;
  const last = ctx.engine.market.lastPrice(symbol) ?? "0";
  // A thin synthetic book: one unit per tick on each side of the last price.
  const levels = (sign: "-" | "") =>
    Array.from({ length: Math.min(limit, 20) }, (_, i) => {
      const offset = multiplyDecimals(tick, String(i + 1));
      return [fixed8(addDecimals(last, `${sign}${offset}`)), "1.00000000"];
    }).filter(([price]) => !price!.startsWith("-") && price !== "0.00000000");
  return { lastUpdateId: Math.floor(ctx.now() / 1000), bids: levels("-"), asks: levels("") };
}

function avgPrice({ ctx, params }: RouteInput): unknown {
  const symbol = params.symbol(ctx.symbols);
  return {
    mins: 5,
    price: ctx.engine.market.lastPrice(symbol) ?? "0.00000000",
    closeTime: ctx.now(),
  };
}

function account({ ctx, params, account }: RouteInput): unknown {
  const assets = new Set(account.assets());
  for (const s of ctx.symbols) {
    const rules = rulesFor(s);
    assets.add(rules.baseAsset).add(rules.quoteAsset);
  }
  const omitZero = params.string("omitZeroBalances") === "true";
  const balances = [...assets].map((asset) => {
    const b = account.balance(asset);
    return { asset, free: fixed8(b.free), locked: fixed8(b.locked) };
  }).filter((b) => !omitZero || b.free !== "0.00000000" || b.locked !== "0.00000000");
  const rate = fixed8(String(ctx.engine.options.feeRate));
  const bps = Math.round(Number(ctx.engine.options.feeRate) * 10_000);
  return {
    makerCommission: bps,
    takerCommission: bps,
    buyerCommission: 0,
    sellerCommission: 0,
    commissionRates: { maker: rate, taker: rate, buyer: "0.00000000", seller: "0.00000000" },
    canTrade: account.restrictions.enableSpotAndMarginTrading,
    canWithdraw: account.restrictions.enableWithdrawals,
    canDeposit: true,
    brokered: false,
    requireSelfTradePrevention: false,
    preventSor: false,
    updateTime: account.updateTime,
    accountType: "SPOT",
    balances,
    permissions: ["SPOT"],
    uid: account.uid,
  };
}

function apiRestrictions({ account }: RouteInput): unknown {
  const r = account.restrictions;
  return {
    ipRestrict: r.ipRestrict,
    createTime: 1_700_000_000_000,
    enableReading: r.enableReading,
    enableWithdrawals: r.enableWithdrawals,
    enableInternalTransfer: false,
    enableMargin: false,
    enableFutures: false,
    permitsUniversalTransfer: false,
    enableVanillaOptions: false,
    enableFixApiTrade: false,
    enableFixReadOnly: false,
    enableSpotAndMarginTrading: r.enableSpotAndMarginTrading,
    enablePortfolioMarginTrading: false,
  };
}

function route(handle: Route["handle"], weight = 1, signed = false, order = false): Route {
  return { handle, weight, signed, order };
}

function listenKeyOf({ ctx, params, account }: RouteInput): string {
  const listenKey = params.requiredString("listenKey");
  if (ctx.listenKeys.get(listenKey) !== account.apiKey) {
    throw new BinanceError(-1125, "This listenKey does not exist.");
  }
  return listenKey;
}

/** USER_STREAM endpoints: API key header, no signature. */
const USER_STREAM: Record<string, Route> = {
  "POST /api/v3/userDataStream": {
    handle: ({ ctx, account }) => {
      // One key per account, as Binance returns the same key while it is valid.
      for (const [key, apiKey] of ctx.listenKeys) {
        if (apiKey === account.apiKey) return { listenKey: key };
      }
      const bytes = crypto.getRandomValues(new Uint8Array(32));
      const listenKey = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      ctx.listenKeys.set(listenKey, account.apiKey);
      return { listenKey };
    },
    weight: 2,
    signed: false,
    keyed: true,
    order: false,
  },
  "PUT /api/v3/userDataStream": {
    handle: (input) => (listenKeyOf(input), {}),
    weight: 2,
    signed: false,
    keyed: true,
    order: false,
  },
  "DELETE /api/v3/userDataStream": {
    handle: (input) => (input.ctx.listenKeys.delete(listenKeyOf(input)), {}),
    weight: 2,
    signed: false,
    keyed: true,
    order: false,
  },
};

/** Every endpoint the simulator speaks, keyed by `"METHOD /path"`. */
export const ROUTES: Readonly<Record<string, Route>> = {
  "GET /api/v3/ping": route(() => ({})),
  "GET /api/v3/time": route(({ ctx }) => ({ serverTime: ctx.now() })),
  "GET /api/v3/exchangeInfo": route(exchangeInfo, 20),
  "GET /api/v3/klines": route(klines, 2),
  "GET /api/v3/uiKlines": route(klines, 2),
  "GET /api/v3/ticker/price": route(tickerPrice, 2),
  "GET /api/v3/avgPrice": route(avgPrice, 2),
  "GET /api/v3/ticker/24hr": route(ticker24h, 2),
  "GET /api/v3/depth": route(depth, 5),
  "GET /api/v3/ticker/bookTicker": route(bookTicker, 2),
  "GET /api/v3/account": route(account, 20, true),
  "GET /sapi/v1/account/apiRestrictions": route(apiRestrictions, 1, true),
  "GET /sapi/v1/system/status": route(() => ({ status: 0, msg: "normal" })),
  // ccxt asks for margin pairs on loadMarkets when sapi is reachable; the simulator has none.
  "GET /sapi/v1/margin/allPairs": route(() => [], 1, true),
  "GET /sapi/v1/margin/isolated/allPairs": route(() => [], 1, true),
  ...USER_STREAM,
  ...TRADE_ROUTES,
};
