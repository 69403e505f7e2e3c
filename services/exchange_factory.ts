/**
 * Which exchange a user trades on, decided per user: Binance through ccxt
 * with the user's own keys when the user is in live mode and has an active
 * key pair (the secret is decrypted here, in the execution worker's memory
 * only), else the in-process paper exchange.
 *
 * Paper state across restarts: a paper account is rebuilt from the database
 * when it is first needed — USDT = the paper starting balance + realized
 * paper P&L − the cost of open paper positions (services/portfolio.ts
 * `PaperBalances`, the same figures the UI shows), each open paper position's
 * base quantity, and its OCO re-placed under the same list client id with the
 * stored levels. Paper order history (fills of closed orders) is not
 * persisted: a paper entry that was in flight when the process died never
 * happened, and reconciliation marks its intent FAILED.
 *
 * @module
 */

import { CcxtBinanceExchange } from "../adapters/exchange/ccxt_binance.ts";
import { PaperExchange } from "../adapters/exchange/paper.ts";
import type { ResilienceOptions } from "../adapters/exchange/resilience.ts";
import { getActiveApiKey } from "../db/api_keys.ts";
import type { Db } from "../db/port.ts";
import { listOpenTrades } from "../db/trades.ts";
import { findUserById } from "../db/users.ts";
import type { Clock } from "../engine/clock.ts";
import { AuraError } from "../engine/errors.ts";
import { tradeClientIds } from "../engine/orders/client_ids.ts";
import type { Exchange, OrderEvent } from "../engine/ports/exchange.ts";
import { createLogger } from "../logger.ts";
import { PaperBalances } from "./portfolio.ts";
import type { SecretBox } from "./secrets.ts";

const log = createLogger("exchange-factory");

/** A user's exchange. */
export interface ExchangeHandle {
  /** Owner. */
  userId: number;
  /** The adapter. */
  exchange: Exchange;
  /** True for the paper exchange. */
  isPaper: boolean;
  /** The paper exchange itself (to feed it candles), null when live. */
  paper: PaperExchange | null;
}

/** A user's account as last read: which exchange their new entries go to. */
export interface KnownAccount {
  /** The user's trading mode. */
  tradingMode: "paper" | "live";
  /** The user's active API key id, null when none. */
  activeKeyId: number | null;
}

/** Receives every user's order events, with the mode of the exchange they came from. */
export type UserOrderEventHandler = (userId: number, event: OrderEvent, paper: boolean) => void;

/** Options of {@link ExchangeFactory}. */
export interface ExchangeFactoryOptions {
  /** Users, keys and paper trades. */
  db: Db;
  /** Clock of the adapters. */
  clock: Clock;
  /** Decrypts users' secrets; null disables live trading (everyone trades on paper). */
  secrets: SecretBox | null;
  /** Binance REST base (`https://api.binance.com`, the testnet or the simulator). */
  restUrl: string;
  /** Starting USDT of a paper account. */
  paperBalanceUsdt: string;
  /** ccxt order event polling period, ms (default 2,000). */
  pollIntervalMs?: number;
  /** ccxt resilience tuning. */
  resilience?: Omit<ResilienceOptions, "clock">;
}

/** Opens, caches and closes each user's exchange; forwards their order events. */
export class ExchangeFactory {
  readonly #o: ExchangeFactoryOptions;
  readonly #handles = new Map<string, Promise<ExchangeHandle>>();
  readonly #known = new Map<number, KnownAccount>();
  readonly #unsubscribe: (() => void)[] = [];
  #onEvent: UserOrderEventHandler = () => {};

  /** Creates a factory; nothing is opened until {@link forUser}. */
  constructor(options: ExchangeFactoryOptions) {
    this.#o = options;
  }

  /** Where order events of every opened exchange go. */
  onOrderEvent(handler: UserOrderEventHandler): void {
    this.#onEvent = handler;
  }

  /**
   * The exchange of `userId`: in the user's current mode, or — for work on
   * an existing trade or intent — in the mode it was made in (`paper`), so a
   * paper position is never touched on the live account after a mode switch
   * and vice versa. A switch opens the other adapter; the previous one stays
   * open (its OCOs still report) until {@link close}.
   *
   * @throws {AuraError} API_001 when live is asked for and the user has no active keys.
   */
  async forUser(userId: number, paper?: boolean): Promise<ExchangeHandle> {
    if (paper === undefined) return (await this.current(userId)).handle;
    const key = paper ? null : await getActiveApiKey(this.#o.db, userId);
    if (paper === false && (!key || !this.#o.secrets)) {
      throw new AuraError(
        "API_001",
        `Cannot open the live exchange of user ${userId}: no active API keys`,
      );
    }
    return await this.#open(userId, key);
  }

  /**
   * The exchange of the user's current account and the account it belongs
   * to. When the factory read the user before and that exchange is open, no
   * database is read: the execution service checks the account in the same
   * statement that records the entry ({@link accountKey} of both must agree)
   * and calls {@link forget} when it changed.
   */
  async current(userId: number): Promise<{ handle: ExchangeHandle; account: KnownAccount }> {
    const known = this.#known.get(userId);
    if (known) {
      const cached = this.#handles.get(this.accountKey(userId, known));
      if (cached) return { handle: await cached, account: known };
    }
    const user = await findUserById(this.#o.db, userId);
    const tradingMode = user?.tradingMode === "live" ? "live" : "paper";
    const key = tradingMode === "live" && this.#o.secrets
      ? await getActiveApiKey(this.#o.db, userId)
      : null;
    const account = { tradingMode, activeKeyId: key?.id ?? null } as const;
    const handle = await this.#open(userId, key);
    this.#known.set(userId, account);
    return { handle, account };
  }

  /** Drops what the factory knows of the user's account (it is read again next time). */
  forget(userId: number): void {
    this.#known.delete(userId);
  }

  /** Which exchange an account trades on: equal keys mean the same exchange. */
  accountKey(userId: number, account: KnownAccount): string {
    const live = account.tradingMode === "live" && this.#o.secrets !== null &&
      account.activeKeyId !== null;
    return live ? `${userId}:live:${account.activeKeyId}` : `${userId}:paper`;
  }

  #open(
    userId: number,
    key: { id: number; apiKey: string; secretEncrypted: string } | null,
  ): Promise<ExchangeHandle> {
    const live = key !== null && this.#o.secrets !== null;
    const cacheKey = live ? `${userId}:live:${key.id}` : `${userId}:paper`;
    let handle = this.#handles.get(cacheKey);
    if (!handle) {
      handle = live
        ? this.#openLive(userId, key.apiKey, key.secretEncrypted)
        : this.#openPaper(userId);
      this.#handles.set(cacheKey, handle);
      handle.catch(() => this.#handles.delete(cacheKey));
    }
    return handle;
  }

  /** The paper exchanges opened so far (to move their markets). */
  async paperHandles(): Promise<ExchangeHandle[]> {
    const all = await Promise.allSettled([...this.#handles.values()]);
    return all.flatMap((r) => r.status === "fulfilled" && r.value.isPaper ? [r.value] : []);
  }

  /** Closes every adapter; idempotent. */
  async close(): Promise<void> {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    const handles = [...this.#handles.values()];
    this.#handles.clear();
    for (const settled of await Promise.allSettled(handles)) {
      if (settled.status === "fulfilled") await settled.value.exchange.close();
    }
  }

  async #openLive(userId: number, apiKey: string, encrypted: string): Promise<ExchangeHandle> {
    const secret = await this.#o.secrets!.decrypt(encrypted, userId);
    const live = this.#o.restUrl.replace(/\/+$/, "") === "https://api.binance.com";
    const exchange = new CcxtBinanceExchange({
      apiKey,
      secret,
      endpoint: live ? "live" : this.#o.restUrl,
      clock: this.#o.clock,
      ...(this.#o.pollIntervalMs ? { pollIntervalMs: this.#o.pollIntervalMs } : {}),
      ...(this.#o.resilience ? { resilience: this.#o.resilience } : {}),
    });
    log.info("Live exchange opened", { userId });
    return this.#subscribe({ userId, exchange, isPaper: false, paper: null });
  }

  async #openPaper(userId: number): Promise<ExchangeHandle> {
    const balances = await new PaperBalances(this.#o.db, this.#o.paperBalanceUsdt).balances(userId);
    const paper = new PaperExchange({ clock: this.#o.clock, balances });
    for (const trade of await listOpenTrades(this.#o.db, userId)) {
      if (!trade.isPaper || !trade.ocoListClientOrderId || !trade.takeProfitPrice) continue;
      // Until a candle arrives the entry price stands in for the market, which
      // lies between the legs, so the OCO is accepted again as it was.
      paper.setPrice(trade.symbol, trade.entryPrice);
      const attempt = trade.ocoListClientOrderId === tradeClientIds(trade.signalId).ocoList
        ? 0
        : Number(/-O(\d+)$/.exec(trade.ocoListClientOrderId)?.[1] ?? 0);
      const ids = tradeClientIds(trade.signalId, attempt);
      try {
        await paper.placeOco({
          symbol: trade.symbol,
          quantity: trade.quantity,
          takeProfitPrice: trade.takeProfitPrice,
          stopPrice: trade.stopLossPrice!,
          stopLimitPrice: trade.stopLimitPrice!,
          listClientOrderId: ids.ocoList,
          aboveClientOrderId: ids.takeProfit,
          belowClientOrderId: ids.stopLoss,
        });
      } catch (error) {
        // Reconciliation finds the trade unprotected and re-arms or flattens it.
        log.warn("Paper OCO not restored", { userId, tradeId: trade.id, error: String(error) });
      }
    }
    return this.#subscribe({ userId, exchange: paper, isPaper: true, paper });
  }

  #subscribe(handle: ExchangeHandle): ExchangeHandle {
    this.#unsubscribe.push(
      handle.exchange.subscribeOrderEvents((event) =>
        this.#onEvent(handle.userId, event, handle.isPaper)
      ),
    );
    return handle;
  }
}

/** The part of {@link ExchangeFactory} the execution service uses. */
export type ExchangeSource = Pick<ExchangeFactory, "forUser" | "current" | "forget" | "accountKey">;

/**
 * An {@link ExchangeSource} that answers every user with one exchange (tests
 * and benches that drive the service with a single account).
 */
export function singleExchange(handle: ExchangeHandle): ExchangeSource {
  const account: KnownAccount = {
    tradingMode: handle.isPaper ? "paper" : "live",
    activeKeyId: handle.isPaper ? null : 0,
  };
  return {
    forUser: () => Promise.resolve(handle),
    current: () => Promise.resolve({ handle, account }),
    forget: () => {},
    accountKey: () => "single",
  };
}
