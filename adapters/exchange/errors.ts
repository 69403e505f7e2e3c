/**
 * Binance and ccxt errors, classified by the reaction they need and mapped to
 * AURA's codes once, here.
 *
 * | reaction        | examples                                          | AURA code |
 * |-----------------|---------------------------------------------------|-----------|
 * | `temporary`     | timeout, 5xx, network, -1001, -1007               | TRADE_004 |
 * | `rate_limited`  | HTTP 429, -1003                                   | API_003   |
 * | `banned`        | HTTP 418 (IP ban)                                 | API_003   |
 * | `clock_skew`    | -1021 (timestamp outside recvWindow)              | TRADE_004 |
 * | `not_found`     | -2013, -2011 (unknown order / order list)         | TRADE_004 |
 * | `rejected`      | -2014/-2015/-1022 keys (API_001), -2010 balance (TRADE_001), -1013/-1111 filters (TRADE_002), -1121 symbol (TRADE_003), other (TRADE_004) |
 *
 * A `temporary` failure on an order request leaves its outcome unknown: the
 * caller must query by client id before any retry (see resilience.ts).
 *
 * @module
 */

import { AuraError, type ErrorCode } from "../../engine/errors.ts";

/** How a failed exchange call should be handled. */
export type FailureKind =
  | "temporary"
  | "rate_limited"
  | "banned"
  | "clock_skew"
  | "not_found"
  | "rejected";

/** A classified exchange failure. */
export interface ExchangeFailure {
  /** The reaction it needs. */
  kind: FailureKind;
  /** The AURA error to surface when no retry helps. */
  error: AuraError;
  /** Binance's numeric error code, when the body had one. */
  binanceCode?: number;
  /** HTTP status, when known. */
  httpStatus?: number;
  /** How long the exchange asked us to wait (Retry-After), ms. */
  retryAfterMs?: number;
}

/** The last HTTP answer seen, to read status and headers ccxt does not attach to errors. */
export interface ResponseInfo {
  /** HTTP status. */
  status?: number;
  /** Response headers (any case). */
  headers?: Record<string, string>;
}

/** A header value regardless of its case. */
export function headerValue(
  headers: Record<string, string> | undefined,
  name: string,
): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

const TEMPORARY_CLASSES = new Set([
  "RequestTimeout",
  "NetworkError",
  "ExchangeNotAvailable",
  "OnMaintenance",
  "BadResponse",
  "NullResponse",
  "OperationFailed",
]);
const TEMPORARY_CODES = new Set([-1000, -1001, -1006, -1007, -1008]);
const KEY_CODES = new Set([-2014, -2015, -1022, -2008]);
const FILTER_CODES = new Set([-1013, -1111, -1100, -1106, -1115, -1116, -1117]);

function binanceMessage(text: string): string | undefined {
  return /"msg"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(text)?.[1];
}

/**
 * Classifies a ccxt (or fetch) error. `response` adds what ccxt keeps aside:
 * the HTTP status and headers of the failed answer (Retry-After).
 */
export function classifyExchangeError(
  error: unknown,
  action: string,
  response: ResponseInfo = {},
): ExchangeFailure {
  if (error instanceof AuraError) return { kind: "rejected", error };
  const name = error instanceof Error ? error.name : "";
  const text = error instanceof Error ? error.message : String(error);
  const codeMatch = /"code"\s*:\s*(-?\d+)/.exec(text);
  const binanceCode = codeMatch ? Number(codeMatch[1]) : undefined;
  // ccxt's own formats: "binance 429 Too Many…" and "binance GET <url> 503 Service…".
  const statusMatch = /^\S+ (?:[A-Z]+ \S+ )?(\d{3}) /.exec(text);
  const httpStatus = response.status ?? (statusMatch ? Number(statusMatch[1]) : undefined);
  const msg = binanceMessage(text);
  const said = msg
    ? `Binance said "${msg}"${binanceCode === undefined ? "" : ` (code ${binanceCode})`}`
    : `${name || "error"}: ${text.slice(0, 200)}`;
  const retryAfter = Number(headerValue(response.headers, "retry-after"));
  const retryAfterMs = Number.isFinite(retryAfter) && retryAfter > 0
    ? retryAfter * 1000
    : undefined;
  const make = (kind: FailureKind, code: ErrorCode): ExchangeFailure => {
    const failure: ExchangeFailure = {
      kind,
      error: new AuraError(code, `Cannot ${action}: ${said}`, { binanceCode, httpStatus }),
    };
    if (binanceCode !== undefined) failure.binanceCode = binanceCode;
    if (httpStatus !== undefined) failure.httpStatus = httpStatus;
    if (retryAfterMs !== undefined) failure.retryAfterMs = retryAfterMs;
    return failure;
  };

  if (httpStatus === 418 || (name === "DDoSProtection" && /\b418\b/.test(text))) {
    return make("banned", "API_003");
  }
  if (
    httpStatus === 429 || binanceCode === -1003 || name === "RateLimitExceeded" ||
    name === "DDoSProtection"
  ) {
    return make("rate_limited", "API_003");
  }
  if (binanceCode === -1021 || name === "InvalidNonce") return make("clock_skew", "TRADE_004");
  if (binanceCode !== undefined && KEY_CODES.has(binanceCode)) return make("rejected", "API_001");
  if (name === "AuthenticationError" || name === "PermissionDenied") {
    return make("rejected", "API_001");
  }
  if (binanceCode === -2013 || binanceCode === -2011 || name === "OrderNotFound") {
    return make("not_found", "TRADE_004");
  }
  if (binanceCode !== undefined && TEMPORARY_CODES.has(binanceCode)) {
    return make("temporary", "TRADE_004");
  }
  if (
    binanceCode === -1121 || name === "BadSymbol" ||
    /market is closed|not permitted for this symbol/i.test(text)
  ) {
    return make("rejected", "TRADE_003");
  }
  if (name === "InsufficientFunds" || /insufficient balance/i.test(text)) {
    return make("rejected", "TRADE_001");
  }
  if (
    (binanceCode !== undefined && FILTER_CODES.has(binanceCode)) || /filter failure/i.test(text)
  ) {
    return make("rejected", "TRADE_002");
  }
  if (
    binanceCode === undefined &&
    (TEMPORARY_CLASSES.has(name) || (httpStatus !== undefined && httpStatus >= 500))
  ) {
    return make("temporary", "TRADE_004");
  }
  if (binanceCode === undefined && error instanceof TypeError) {
    return make("temporary", "TRADE_004");
  }
  return make("rejected", "TRADE_004");
}

/** The AURA error for a failed call (see {@link classifyExchangeError}). */
export function toAuraError(error: unknown, action: string, response?: ResponseInfo): AuraError {
  return classifyExchangeError(error, action, response).error;
}
