/**
 * AURA's error codes and the one typed error every layer throws.
 *
 * The codes are the design document's contract; HTTP routes map them once to
 * `{ error: { code, message } }` with the status given here.
 *
 * @module
 */

/** Every error code AURA answers with, grouped as in the design document. */
export const ErrorCode = {
  /** Unknown user or wrong password (same answer for both). */
  INVALID_CREDENTIALS: "AUTH_001",
  /** Access or refresh token expired, revoked or invalid. */
  TOKEN_EXPIRED: "AUTH_002",
  /** Authenticated but not allowed (or CSRF check failed). */
  INSUFFICIENT_PERMISSIONS: "AUTH_003",
  /** Binance keys rejected by the exchange, or request validation failed. */
  INVALID_API_KEYS: "API_001",
  /** Binance keys expired or disabled. */
  API_KEYS_EXPIRED: "API_002",
  /** Too many requests (ours or the exchange's). */
  API_RATE_LIMIT: "API_003",
  /** Input that fails validation (body, params, query) outside strategies. */
  VALIDATION_FAILED: "API_004",
  /** The resource does not exist or belongs to someone else. */
  NOT_FOUND: "API_005",
  /** A unique value (username, email, ...) is already taken. */
  CONFLICT: "API_006",
  /** Quote balance too small for the order. */
  INSUFFICIENT_BALANCE: "TRADE_001",
  /** Order size or prices break the symbol's exchange filters. */
  INVALID_ORDER_SIZE: "TRADE_002",
  /** Symbol not trading / market closed. */
  MARKET_CLOSED: "TRADE_003",
  /** The exchange failed to execute the order. */
  ORDER_EXECUTION_FAILED: "TRADE_004",
  /** Strategy definition is invalid. */
  INVALID_STRATEGY_CONFIG: "STRATEGY_001",
  /** A strategy failed while running. */
  STRATEGY_EXECUTION_ERROR: "STRATEGY_002",
  /** A backtest could not run (bad data, no candles, ...). */
  BACKTEST_FAILED: "STRATEGY_003",
  /** The database failed. */
  DATABASE_ERROR: "SYS_001",
  /** The cache failed. */
  CACHE_ERROR: "SYS_002",
  /** The message bus failed. */
  MESSAGE_BROKER_ERROR: "SYS_003",
} as const;

/** One of AURA's error codes, e.g. `"TRADE_002"`. */
export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode];

/** The HTTP status each code maps to by default. */
export const httpStatusOf: Record<ErrorCode, number> = {
  AUTH_001: 401,
  AUTH_002: 401,
  AUTH_003: 403,
  API_001: 400,
  API_002: 400,
  API_003: 429,
  API_004: 400,
  API_005: 404,
  API_006: 409,
  TRADE_001: 422,
  TRADE_002: 422,
  TRADE_003: 422,
  TRADE_004: 502,
  STRATEGY_001: 400,
  STRATEGY_002: 500,
  STRATEGY_003: 422,
  SYS_001: 503,
  SYS_002: 503,
  SYS_003: 503,
};

/**
 * The typed error of AURA. `details` carries structured, non-secret context
 * (e.g. the JSON paths of invalid fields); it is safe to return to clients.
 *
 * @example
 * ```ts
 * throw new AuraError("TRADE_002", `Quantity "0.00001" is below LOT_SIZE minQty "0.0001"`);
 * ```
 */
export class AuraError extends Error {
  /** The AURA error code. */
  readonly code: ErrorCode;
  /** Structured, client-safe details. */
  readonly details: unknown;

  /** Creates an error with a code, a human message and optional details. */
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = "AuraError";
    this.code = code;
    this.details = details;
  }

  /** The HTTP status for this error's code. */
  get status(): number {
    return httpStatusOf[this.code];
  }
}

/** True when `error` is an {@link AuraError}, optionally with the given code. */
export function isAuraError(error: unknown, code?: ErrorCode): error is AuraError {
  return error instanceof AuraError && (code === undefined || error.code === code);
}
