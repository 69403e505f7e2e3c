/**
 * REST backfill for the kline stream: `GET /api/v3/klines` pages (1,000 rows
 * each) from a start time until the exchange has nothing newer. Rows are
 * returned as they came (validation is the ingest gate's job); only the
 * still-open last candle is left out.
 *
 * @module
 */

import type { KlineData } from "../../engine/candle.ts";
import { AuraError } from "../../engine/errors.ts";

const PAGE = 1000;

/** Options of {@link fetchClosedKlines}. */
export interface FetchKlinesOptions {
  /** REST base URL, e.g. `https://api.binance.com`. */
  restUrl: string;
  /** Symbol, e.g. `BTCUSDT`. */
  symbol: string;
  /** Interval, e.g. `1m`. */
  interval: string;
  /** First open time wanted, Unix ms. */
  from: number;
  /** Open times before this only (default: everything the exchange has). */
  to?: number;
  /** Current time, ms: a candle closing at or after it is still open. */
  now: number;
  /** HTTP client (default: global fetch). */
  fetch?: typeof fetch;
  /** Most pages to read (default 50). */
  maxPages?: number;
}

/**
 * Closed klines with `from <= openTime < to`, oldest first.
 *
 * @throws {AuraError} `SYS_003` when the exchange cannot be reached or answers something else.
 * @example
 * ```ts
 * const missed = await fetchClosedKlines({ restUrl, symbol: "BTCUSDT", interval: "1m", from, now });
 * ```
 */
export async function fetchClosedKlines(options: FetchKlinesOptions): Promise<KlineData[]> {
  const out: KlineData[] = [];
  const to = options.to ?? Number.MAX_SAFE_INTEGER;
  let start = options.from;
  for (let page = 0; page < (options.maxPages ?? 50) && start < to; page++) {
    const rows = await fetchPage(options, start, to);
    for (let i = 0; i < rows.length; i++) {
      const k = rows[i]!;
      // The exchange includes the running candle as the last row; only closed ones count.
      const isLast = i === rows.length - 1;
      if (k.openTime >= start && k.openTime < to && !(isLast && k.closeTime >= options.now)) {
        out.push(k);
      }
    }
    if (rows.length < PAGE) break;
    start = rows[rows.length - 1]!.openTime + 1;
  }
  return out;
}

async function fetchPage(
  o: FetchKlinesOptions,
  start: number,
  to: number,
): Promise<KlineData[]> {
  const url = new URL("/api/v3/klines", o.restUrl);
  const params: Record<string, string> = {
    symbol: o.symbol,
    interval: o.interval,
    startTime: String(start),
    limit: String(PAGE),
  };
  if (to !== Number.MAX_SAFE_INTEGER) params.endTime = String(to - 1);
  url.search = new URLSearchParams(params).toString();
  return await getRows(url, o);
}

async function getRows(
  url: URL,
  o: { restUrl: string; symbol: string; interval: string; fetch?: typeof fetch },
): Promise<KlineData[]> {
  let body: unknown;
  try {
    const res = await (o.fetch ?? fetch)(url, { signal: AbortSignal.timeout(15_000) });
    body = await res.json();
    if (!res.ok) throw new Error(`HTTP ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
  } catch (error) {
    throw new AuraError(
      "SYS_003",
      `Cannot load "${o.symbol}" ${o.interval} klines from ${o.restUrl}: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
  if (!Array.isArray(body)) {
    throw new AuraError(
      "SYS_003",
      `Cannot load "${o.symbol}" ${o.interval} klines: the answer is not an array`,
    );
  }
  return body.filter(Array.isArray).map((row) => ({
    symbol: o.symbol,
    interval: o.interval,
    openTime: Number(row[0]),
    closeTime: Number(row[6]),
    open: String(row[1]),
    high: String(row[2]),
    low: String(row[3]),
    close: String(row[4]),
    volume: String(row[5]),
  }));
}

/** Options of {@link fetchLatestClosedKlines}. */
export interface FetchLatestOptions {
  /** REST base URL. */
  restUrl: string;
  /** Symbol. */
  symbol: string;
  /** Interval. */
  interval: string;
  /** How many closed candles (at most 1,000). */
  limit: number;
  /** Current time, ms: a candle closing at or after it is still open. */
  now: number;
  /** HTTP client (default: global fetch). */
  fetch?: typeof fetch;
}

/**
 * The newest `limit` closed klines, oldest first: the exchange's own notion
 * of "latest", so it works for a live market and a replay of old data alike.
 *
 * @throws {AuraError} `SYS_003` when the exchange cannot be reached or answers something else.
 */
export async function fetchLatestClosedKlines(o: FetchLatestOptions): Promise<KlineData[]> {
  const limit = Math.max(1, Math.min(PAGE, o.limit + 1));
  const url = new URL("/api/v3/klines", o.restUrl);
  url.search = new URLSearchParams({
    symbol: o.symbol,
    interval: o.interval,
    limit: String(limit),
  }).toString();
  const rows = await getRows(url, o);
  const closed = rows.length > 0 && rows[rows.length - 1]!.closeTime >= o.now
    ? rows.slice(0, -1)
    : rows;
  return closed.slice(-o.limit);
}
