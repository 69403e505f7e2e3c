/**
 * Binance API keys of a user: stored with the secret encrypted (write-only:
 * never returned, never logged), validated against the exchange through the
 * {@link KeyValidator} port. Responses show the public key masked
 * (`abcd…wxyz`).
 *
 * @module
 */
import type { Db } from "../db/port.ts";
import {
  type ApiKeyRecord,
  deleteApiKeys,
  getActiveApiKey,
  recordApiKeyStatus,
  saveApiKey,
} from "../db/api_keys.ts";
import { AuraError } from "../engine/errors.ts";
import type { Clock } from "../engine/clock.ts";
import { audit } from "./audit.ts";
import type { SecretBox } from "./secrets.ts";

/** What the exchange says about a key pair. */
export interface KeyValidation {
  /** The exchange accepted the key and its signature. */
  valid: boolean;
  /** Spot trading is enabled for the key. */
  canTrade: boolean;
  /** Withdrawals are enabled (AURA warns: it never needs them). */
  withdrawalsEnabled: boolean;
  /** Why the pair was rejected (never containing the secret). */
  error?: string;
}

/**
 * The port validating key pairs against the exchange. Resolves `valid: false`
 * when the exchange rejects the pair; throws when it cannot be reached.
 */
export interface KeyValidator {
  /** Checks `apiKey`/`secret` against the exchange. */
  validate(apiKey: string, secret: string): Promise<KeyValidation>;
}

/** A stored pair as clients see it. */
export interface ApiKeySummary {
  /** Masked public key. */
  apiKey: string;
  /** When stored. */
  createdAt: string;
  /** Last validation time, if any. */
  lastValidatedAt: string | null;
}

/** The status answer of GET /settings/api-keys/status. */
export interface ApiKeyStatus extends KeyValidation {
  /** Masked public key. */
  apiKey: string;
  /** When this validation ran. */
  checkedAt: string;
  /** API_001 with a message when the exchange rejected the pair. */
  problem?: { code: "API_001"; message: string };
}

/** Masks a public key as `abcd…wxyz` (fully starred when too short to show ends). */
export function maskApiKey(apiKey: string): string {
  return apiKey.length <= 8 ? "****" : `${apiKey.slice(0, 4)}…${apiKey.slice(-4)}`;
}

function summary(record: ApiKeyRecord): ApiKeySummary {
  return {
    apiKey: maskApiKey(record.apiKey),
    createdAt: record.createdAt.toISOString(),
    lastValidatedAt: record.lastValidatedAt?.toISOString() ?? null,
  };
}

/** Stores, validates and removes users' exchange keys. */
export class ApiKeyService {
  readonly #deps: { db: Db; clock: Clock; box: SecretBox; validator: KeyValidator | undefined };

  /** Creates the service; without a validator, status checks answer TRADE_004. */
  constructor(
    deps: { db: Db; clock: Clock; box: SecretBox; validator: KeyValidator | undefined },
  ) {
    this.#deps = deps;
  }

  /** Stores a pair (replacing the active one) with the secret encrypted for `userId`. */
  async save(userId: number, apiKey: string, secret: string, ip: string): Promise<ApiKeySummary> {
    const encrypted = await this.#deps.box.encrypt(secret, userId);
    const record = await saveApiKey(this.#deps.db, userId, apiKey, encrypted);
    await audit(this.#deps, userId, "api_keys.save", { apiKey: maskApiKey(apiKey), ip });
    return summary(record);
  }

  /** The active pair, masked; null when none. */
  async get(userId: number): Promise<ApiKeySummary | null> {
    const record = await getActiveApiKey(this.#deps.db, userId);
    return record ? summary(record) : null;
  }

  /** The decrypted pair for the exchange adapter (never for a response); null when none. */
  async credentials(userId: number): Promise<{ apiKey: string; secret: string } | null> {
    const record = await getActiveApiKey(this.#deps.db, userId);
    if (!record) return null;
    return {
      apiKey: record.apiKey,
      secret: await this.#deps.box.decrypt(record.secretEncrypted, userId),
    };
  }

  /**
   * Validates the active pair against the exchange and caches the result.
   *
   * @throws {AuraError} API_005 when no pair is stored; TRADE_004 when the
   * exchange cannot be reached.
   */
  async status(userId: number): Promise<ApiKeyStatus> {
    const record = await getActiveApiKey(this.#deps.db, userId);
    if (!record) throw new AuraError("API_005", "No API keys are stored");
    const validator = this.#deps.validator;
    if (!validator) {
      throw new AuraError("TRADE_004", "Cannot validate API keys: no exchange is configured");
    }
    const secret = await this.#deps.box.decrypt(record.secretEncrypted, userId);
    let result: KeyValidation;
    try {
      result = await validator.validate(record.apiKey, secret);
    } catch (error) {
      if (error instanceof AuraError) throw error;
      throw new AuraError("TRADE_004", "Cannot validate API keys: the exchange is unreachable");
    }
    const status: ApiKeyStatus = {
      valid: result.valid,
      canTrade: result.valid && result.canTrade,
      withdrawalsEnabled: result.withdrawalsEnabled,
      apiKey: maskApiKey(record.apiKey),
      checkedAt: new Date(this.#deps.clock.now()).toISOString(),
    };
    if (!result.valid) {
      status.error = result.error ?? "The exchange rejected the API keys";
      status.problem = { code: "API_001", message: status.error };
    }
    await recordApiKeyStatus(this.#deps.db, userId, {
      valid: status.valid,
      canTrade: status.canTrade,
      withdrawalsEnabled: status.withdrawalsEnabled,
      ...(status.error ? { error: status.error } : {}),
    });
    return status;
  }

  /** Deletes the user's pairs. @throws {AuraError} API_005 when none were stored. */
  async remove(userId: number, ip: string): Promise<void> {
    const removed = await deleteApiKeys(this.#deps.db, userId);
    if (removed === 0) throw new AuraError("API_005", "No API keys are stored");
    await audit(this.#deps, userId, "api_keys.delete", { ip });
  }

  /**
   * Checks that live trading may be switched on: a stored pair the exchange
   * accepts with trading enabled.
   *
   * @throws {AuraError} API_001 naming what is missing.
   */
  async ensureLiveReady(userId: number): Promise<void> {
    const record = await getActiveApiKey(this.#deps.db, userId);
    if (!record) {
      throw new AuraError("API_001", "Cannot switch to live trading: no API keys are stored");
    }
    const status = await this.status(userId);
    if (!status.valid) {
      throw new AuraError("API_001", `Cannot switch to live trading: ${status.error}`);
    }
    if (!status.canTrade) {
      throw new AuraError(
        "API_001",
        "Cannot switch to live trading: the API keys do not allow spot trading",
      );
    }
  }
}

/**
 * The {@link KeyValidator} against Binance (or the simulator) through ccxt:
 * `GET /api/v3/account` proves the signature and says `canTrade`;
 * `GET /sapi/v1/account/apiRestrictions` says whether withdrawals are on.
 * (`/api/v3/account` rather than `fetchBalance`: same request, without loading
 * every market first.) ccxt is imported on first use (~400 ms, ~80 MB).
 */
export class CcxtKeyValidator implements KeyValidator {
  readonly #baseUrl: string;

  /** Validates against `baseUrl` (BINANCE_REST_URL). */
  constructor(baseUrl: string) {
    this.#baseUrl = baseUrl;
  }

  /** @inheritdoc */
  async validate(apiKey: string, secret: string): Promise<KeyValidation> {
    const { default: ccxt } = await import("ccxt");
    // A bare client rather than the trading adapter: two read-only calls need
    // no resilience policy, order watcher or market cache.
    const exchange = new ccxt.binance({
      apiKey,
      secret,
      timeout: 8_000,
      enableRateLimit: false,
      options: { defaultType: "spot", fetchCurrencies: false, adjustForTimeDifference: false },
    });
    const base = this.#baseUrl.replace(/\/+$/, "");
    const api = exchange.urls.api as unknown as Record<string, string>;
    api.public = api.private = `${base}/api/v3`;
    api.sapi = `${base}/sapi/v1`;
    try {
      const account = await exchange.privateGetAccount() as { canTrade?: boolean };
      let withdrawalsEnabled = false;
      try {
        const r = await exchange.sapiGetAccountApiRestrictions() as {
          enableWithdrawals?: boolean;
          enableSpotAndMarginTrading?: boolean;
        };
        withdrawalsEnabled = r.enableWithdrawals === true;
        if (r.enableSpotAndMarginTrading === false) account.canTrade = false;
      } catch (error) {
        // Some endpoints (testnets) have no sapi: the account answer is enough.
        if (!(error instanceof ccxt.BadRequest || error instanceof ccxt.NotSupported)) throw error;
      }
      return { valid: true, canTrade: account.canTrade === true, withdrawalsEnabled };
    } catch (error) {
      if (error instanceof ccxt.AuthenticationError || error instanceof ccxt.PermissionDenied) {
        return {
          valid: false,
          canTrade: false,
          withdrawalsEnabled: false,
          error: "The exchange rejected the API key or its signature",
        };
      }
      throw new AuraError("TRADE_004", "Cannot validate API keys: the exchange is unreachable");
    } finally {
      await exchange.close();
    }
  }
}
