/**
 * The portfolio of a user: value, P&L, open positions, trade history and
 * performance. Heavy lifting is aggregated in SQL (one row per strategy or
 * symbol, never a JS loop over every trade) so the overview stays fast with
 * thousands of trades; money is decimal strings throughout.
 *
 * Definitions:
 * - unrealized P&L of an open trade = (price − entryPrice) × quantity − entryFee
 *   (what closing now would earn before the exit fee);
 * - today's P&L = realized P&L of trades closed since 00:00 UTC;
 * - paper balances = AURA_PAPER_BALANCE_USDT + realized P&L − the cost of open
 *   positions in USDT, plus the base quantity of the open positions.
 *
 * @module
 */
import type { Db } from "../db/port.ts";
import {
  getTrade,
  listClosedTradeResults,
  listOpenTrades,
  listOrderIntentsForTrade,
  listTradeHistory,
  type OrderIntentRecord,
  paperHoldings,
  strategyTradeStats,
  type TradeHistoryFilter,
  type TradeRecord,
} from "../db/trades.ts";
import { findUserById } from "../db/users.ts";
import type { Clock } from "../engine/clock.ts";
import { AuraError } from "../engine/errors.ts";
import type { Exchange } from "../engine/ports/exchange.ts";
import {
  addDecimals,
  multiplyDecimals,
  roundToIncrement,
  subtractDecimals,
} from "../engine/orders/decimal.ts";
import { computePerformance, type Performance } from "./performance.ts";
import type { PriceService } from "./prices.ts";

/** The port: a user's total balance (free + locked) per asset, as decimal strings. */
export interface BalanceProvider {
  /** Balances by asset, e.g. `{ USDT: "9500.1", BTC: "0.002" }`. */
  balances(userId: number): Promise<Record<string, string>>;
}

/** Paper balances derived from the user's paper trades (aggregated in SQL). */
export class PaperBalances implements BalanceProvider {
  readonly #db: Db;
  readonly #initialUsdt: string;

  /** `initialUsdt`: the paper account's starting USDT. */
  constructor(db: Db, initialUsdt: string) {
    this.#db = db;
    this.#initialUsdt = initialUsdt;
  }

  /** Balances of the paper account. */
  async balances(userId: number): Promise<Record<string, string>> {
    let usdt = this.#initialUsdt;
    const out: Record<string, string> = {};
    for (const h of await paperHoldings(this.#db, userId)) {
      usdt = subtractDecimals(addDecimals(usdt, h.realizedPnl), h.openCost);
      const base = h.symbol.replace(/USDT$/, "");
      if (h.openQuantity !== "0") out[base] = addDecimals(out[base] ?? "0", h.openQuantity);
    }
    out.USDT = usdt;
    return out;
  }
}

/** Live balances from the exchange of the user's current mode (falls back to paper in paper mode). */
export class ModeBalances implements BalanceProvider {
  readonly #db: Db;
  readonly #paper: BalanceProvider;
  readonly #exchangeOf: ((userId: number) => Promise<Exchange>) | undefined;

  /** `exchangeOf` opens the exchange of a live user. */
  constructor(
    db: Db,
    paper: BalanceProvider,
    exchangeOf: ((userId: number) => Promise<Exchange>) | undefined,
  ) {
    this.#db = db;
    this.#paper = paper;
    this.#exchangeOf = exchangeOf;
  }

  /** Exchange balances (free + locked) for live users, paper balances otherwise. */
  async balances(userId: number): Promise<Record<string, string>> {
    const user = await findUserById(this.#db, userId);
    if (user?.tradingMode !== "live" || !this.#exchangeOf) return this.#paper.balances(userId);
    const exchange = await this.#exchangeOf(userId);
    const out: Record<string, string> = {};
    for (const [asset, b] of Object.entries(await exchange.getBalances())) {
      const total = addDecimals(b.free, b.locked);
      if (total !== "0") out[asset] = total;
    }
    return out;
  }
}

/** An open trade with its live valuation. */
export interface Position extends TradeRecord {
  /** Latest price (null when unknown). */
  price: string | null;
  /** Where the price came from. */
  priceSource: "live" | "kline" | null;
  /** Unrealized P&L (null without a price). */
  unrealizedPnl: string | null;
  /** Unrealized P&L in percent of the entry notional. */
  unrealizedPnlPercent: number | null;
}

/** What the portfolio service needs. */
export interface PortfolioServiceDeps {
  /** Storage. */
  db: Db;
  /** Time source (today's P&L). */
  clock: Clock;
  /** Latest prices. */
  prices: PriceService;
  /** Balances. */
  balances: BalanceProvider;
  /** Starting balance for drawdown percentages. */
  initialBalance: string;
  /** How long an overview is reused for the same user, ms (default 250; 0 = never). */
  overviewCacheMs?: number;
}

/** What GET /portfolio/overview answers. */
export type Overview = Awaited<ReturnType<PortfolioService["computeOverview"]>>;

const MONEY = "0.00000001";
const money = (v: string) => roundToIncrement(v, MONEY, "nearest");

/** Portfolio queries of one user. */
export class PortfolioService {
  readonly #deps: PortfolioServiceDeps;
  readonly #overviews = new Map<number, { at: number; value: Promise<Overview> }>();

  /** Creates the service. */
  constructor(deps: PortfolioServiceDeps) {
    this.#deps = deps;
  }

  /** Open trades valued at the latest prices. */
  async positions(userId: number): Promise<Position[]> {
    const open = await listOpenTrades(this.#deps.db, userId);
    const quotes = await this.#deps.prices.quotes(open.map((t) => t.symbol));
    return open.map((t) => {
      const q = quotes.get(t.symbol);
      if (!q) {
        return {
          ...t,
          price: null,
          priceSource: null,
          unrealizedPnl: null,
          unrealizedPnlPercent: null,
        };
      }
      const pnl = subtractDecimals(
        multiplyDecimals(subtractDecimals(q.price, t.entryPrice), t.quantity),
        t.entryFee,
      );
      const notional = Number(multiplyDecimals(t.entryPrice, t.quantity));
      return {
        ...t,
        price: q.price,
        priceSource: q.source,
        unrealizedPnl: money(pnl),
        unrealizedPnlPercent: notional > 0 ? (Number(pnl) / notional) * 100 : null,
      };
    });
  }

  /**
   * {@link computeOverview}, shared by the requests of one user within
   * `overviewCacheMs`: a dashboard polled by several tabs, or a burst of
   * requests, costs one set of queries. Monotonic time, not the Clock: this
   * is a throughput guard, not business time.
   */
  overview(userId: number): Promise<Overview> {
    const ttl = this.#deps.overviewCacheMs ?? 250;
    const now = performance.now();
    const hit = this.#overviews.get(userId);
    if (hit && now - hit.at < ttl) return hit.value;
    const value = this.computeOverview(userId);
    if (ttl > 0) {
      if (this.#overviews.size >= 10_000) this.#overviews.clear();
      this.#overviews.set(userId, { at: now, value });
      value.catch(() => this.#overviews.delete(userId));
    }
    return value;
  }

  /** Total value, realized/unrealized/today's P&L and a per-strategy summary, freshly queried. */
  async computeOverview(userId: number) {
    const now = this.#deps.clock.now();
    const dayStart = new Date(Math.floor(now / 86_400_000) * 86_400_000);
    const [balances, stats, positions] = await Promise.all([
      this.#deps.balances.balances(userId),
      strategyTradeStats(this.#deps.db, userId, dayStart),
      this.positions(userId),
    ]);
    const assets = Object.keys(balances).filter((a) => a !== "USDT");
    const quotes = await this.#deps.prices.quotes(assets.map((a) => `${a}USDT`));
    let total = balances.USDT ?? "0";
    const holdings: {
      asset: string;
      amount: string;
      price: string | null;
      value: string | null;
    }[] = [{ asset: "USDT", amount: total, price: "1", value: total }];
    const unpriced: string[] = [];
    for (const asset of assets) {
      const amount = balances[asset]!;
      const q = quotes.get(`${asset}USDT`);
      if (!q) {
        unpriced.push(asset);
        holdings.push({ asset, amount, price: null, value: null });
        continue;
      }
      const value = multiplyDecimals(amount, q.price);
      total = addDecimals(total, value);
      holdings.push({ asset, amount, price: q.price, value: money(value) });
    }
    const unrealizedBy = new Map<number, string>();
    for (const p of positions) {
      if (p.unrealizedPnl === null) continue;
      unrealizedBy.set(
        p.strategyId,
        addDecimals(unrealizedBy.get(p.strategyId) ?? "0", p.unrealizedPnl),
      );
    }
    let realized = "0", today = "0", unrealized = "0";
    const strategies = stats.map((s) => {
      realized = addDecimals(realized, s.realizedPnl);
      today = addDecimals(today, s.realizedPnlSince);
      const u = unrealizedBy.get(s.strategyId) ?? "0";
      unrealized = addDecimals(unrealized, u);
      return {
        strategyId: s.strategyId,
        name: s.name,
        symbol: s.symbol,
        isActive: s.isActive,
        closedTrades: s.closedTrades,
        openTrades: s.openTrades,
        winRate: s.closedTrades === 0 ? 0 : s.winningTrades / s.closedTrades,
        realizedPnl: s.realizedPnl,
        unrealizedPnl: u,
        todayPnl: s.realizedPnlSince,
        fees: s.fees,
      };
    });
    return {
      asOf: new Date(now).toISOString(),
      totalValue: money(total),
      quoteAsset: "USDT",
      holdings,
      unpricedAssets: unpriced,
      realizedPnl: realized,
      unrealizedPnl: money(unrealized),
      todayPnl: today,
      openPositions: positions.length,
      strategies,
    };
  }

  /** A page of closed trades (or any status when filtered) with totals. */
  history(userId: number, filter: TradeHistoryFilter) {
    return listTradeHistory(this.#deps.db, userId, filter);
  }

  /** Every trade matching `filter`, page by page (CSV export), at most `cap` rows. */
  async *historyRows(
    userId: number,
    filter: TradeHistoryFilter,
    cap = 100_000,
  ): AsyncGenerator<TradeRecord> {
    let offset = 0;
    while (offset < cap) {
      const page = await listTradeHistory(this.#deps.db, userId, { ...filter, limit: 500, offset });
      for (const t of page.trades) yield t;
      if (page.trades.length < 500) return;
      offset += 500;
    }
  }

  /** Performance overall and per strategy. */
  async performance(
    userId: number,
  ): Promise<{ overall: Performance; strategies: (Performance & { strategyId: number })[] }> {
    const trades = await listClosedTradeResults(this.#deps.db, userId);
    const byStrategy = new Map<number, typeof trades>();
    for (const t of trades) {
      let list = byStrategy.get(t.strategyId);
      if (!list) byStrategy.set(t.strategyId, list = []);
      list.push(t);
    }
    const base = this.#deps.initialBalance;
    return {
      overall: computePerformance(trades, base),
      strategies: [...byStrategy].sort(([a], [b]) => a - b).map(([strategyId, list]) => ({
        strategyId,
        ...computePerformance(list, base),
      })),
    };
  }

  /** One trade with its latency trace and order intents; API_005 when missing or someone else's. */
  async trade(
    userId: number,
    tradeId: number,
  ): Promise<TradeRecord & { intents: OrderIntentRecord[] }> {
    const trade = await getTrade(this.#deps.db, userId, tradeId);
    if (!trade) throw new AuraError("API_005", `Trade ${tradeId} was not found`);
    return { ...trade, intents: await listOrderIntentsForTrade(this.#deps.db, userId, tradeId) };
  }
}
