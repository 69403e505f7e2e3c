/**
 * Binance API keys of a user: stored with the secret encrypted (write-only:
 * never returned, never logged), validated against the exchange through the
 * {@link KeyValidator} port.
 *
 * @module
 */

/** What the exchange says about a key pair. */
export interface KeyValidation {
  /** The exchange accepted the signature. */
  valid: boolean;
  /** Spot trading is enabled for the key. */
  canTrade: boolean;
  /** Withdrawals are enabled (AURA warns: it never needs them). */
  withdrawalsEnabled: boolean;
  /** Why the pair was rejected (no secret in it). */
  error?: string;
}

/** The port validating key pairs against the exchange. */
export interface KeyValidator {
  /** Checks `apiKey`/`secret` against the exchange. */
  validate(apiKey: string, secret: string): Promise<KeyValidation>;
}
