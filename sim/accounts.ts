/**
 * Simulated Binance accounts: API key, secret, balances (free/locked as exact
 * decimal strings) and the key's restrictions.
 *
 * @module
 */

import { addDecimals, compareDecimals, subtractDecimals } from "../engine/orders/decimal.ts";
import { BinanceError, BinanceMessages } from "./binance_error.ts";

/** One asset's balance. */
export interface Balance {
  /** Available to trade. */
  free: string;
  /** Held by open orders. */
  locked: string;
}

/** What the key may do (`/sapi/v1/account/apiRestrictions`). */
export interface ApiRestrictions {
  /** Reading allowed. */
  enableReading: boolean;
  /** Spot trading allowed. */
  enableSpotAndMarginTrading: boolean;
  /** Withdrawals allowed (AURA warns when true). */
  enableWithdrawals: boolean;
  /** IP restricted. */
  ipRestrict: boolean;
}

/** A simulated account. */
export class Account {
  /** The API key (X-MBX-APIKEY). */
  readonly apiKey: string;
  /** The HMAC secret. */
  readonly secret: string;
  /** Key restrictions. */
  readonly restrictions: ApiRestrictions;
  /** Binance user id (a stable number per account). */
  readonly uid: number;
  /** Last balance change, ms. */
  updateTime = 0;
  readonly #balances = new Map<string, Balance>();

  /** Creates an account holding `balances` (asset → free amount). */
  constructor(
    apiKey: string,
    secret: string,
    balances: Record<string, string>,
    uid: number,
    restrictions: Partial<ApiRestrictions> = {},
  ) {
    this.apiKey = apiKey;
    this.secret = secret;
    this.uid = uid;
    this.restrictions = {
      enableReading: true,
      enableSpotAndMarginTrading: true,
      enableWithdrawals: false,
      ipRestrict: false,
      ...restrictions,
    };
    for (const [asset, free] of Object.entries(balances)) {
      this.#balances.set(asset, { free, locked: "0" });
    }
  }

  /** The balance of `asset` (zero when never held). */
  balance(asset: string): Balance {
    return this.#balances.get(asset) ?? { free: "0", locked: "0" };
  }

  /** Every asset ever held, in insertion order. */
  assets(): string[] {
    return [...this.#balances.keys()];
  }

  /** True when `free` of `asset` covers `amount`. */
  canAfford(asset: string, amount: string): boolean {
    return compareDecimals(this.balance(asset).free, amount) >= 0;
  }

  /** Moves `amount` of `asset` from free to locked; -2010 when free is short. */
  lock(asset: string, amount: string): void {
    const b = this.balance(asset);
    if (compareDecimals(b.free, amount) < 0) {
      throw new BinanceError(-2010, BinanceMessages.insufficientBalance);
    }
    this.#balances.set(asset, {
      free: subtractDecimals(b.free, amount),
      locked: addDecimals(b.locked, amount),
    });
  }

  /** Moves `amount` of `asset` back from locked to free. */
  unlock(asset: string, amount: string): void {
    const b = this.balance(asset);
    this.#balances.set(asset, {
      free: addDecimals(b.free, amount),
      locked: subtractDecimals(b.locked, amount),
    });
  }

  /** Adds `amount` (may be negative) to the free balance of `asset`. */
  credit(asset: string, amount: string): void {
    const b = this.balance(asset);
    this.#balances.set(asset, { free: addDecimals(b.free, amount), locked: b.locked });
  }

  /** Takes `amount` from the free balance; -2010 when short. */
  debit(asset: string, amount: string): void {
    if (!this.canAfford(asset, amount)) {
      throw new BinanceError(-2010, BinanceMessages.insufficientBalance);
    }
    this.credit(asset, `-${amount}`.replace("--", ""));
  }

  /** Takes `amount` from the locked balance (a locked order filled). */
  spendLocked(asset: string, amount: string): void {
    const b = this.balance(asset);
    this.#balances.set(asset, { free: b.free, locked: subtractDecimals(b.locked, amount) });
  }
}
