/**
 * Historical candles for backtests and charts: read from the klines cache,
 * with missing ranges fetched from the exchange's REST `GET /api/v3/klines`
 * (1,000 per call), validated and cached. Only CLOSED candles are ever
 * cached, so a cached row never changes.
 *
 * @module
 */
import type { Db } from "../db/port.ts";
import { listKlines, upsertKlines } from "../db/klines.ts";
import { INTERVAL_MS, type KlineData } from "../engine/candle.ts";
import type { Clock } from "../engine/clock.ts";
import { AuraError } from "../engine/errors.ts";
import { isDecimalString } from "../engine/orders/decimal.ts";
import { parseKlinesCsv } from "../engine/backtest/csv.ts";

/** Binance answers at most this many klines per call. */
const PAGE = 1000;
/** Upper bound on REST calls for one history request (400 pages = 400k candles). */
const MAX_PAGES = 400;

/** What {@link MarketData} needs. */
export interface MarketDataDeps {
  /** Storage (the klines cache). */
  db: Db;
  /** Time source: candles closing after "now" are not complete and are not cached. */
  clock: Clock;
  /** Exchange REST base URL, e.g. `https://api.binance.com` or the simulator's URL. */
  restUrl: string;
  /** HTTP client (default: global fetch). */
  fetch?: typeof fetch;
}

/** Reads history from the cache and fills gaps from the exchange. */
export class MarketData {
  readonly #deps: MarketDataDeps;

  /** Creates the service. */
  constructor(deps: MarketDataDeps) {
    this.#deps = deps;
  }

  /**
   * Closed candles with `from <= openTime < to` (Unix ms), oldest first.
   * Gaps in the cache are fetched once per call; ranges the exchange has no
   * data for (before a listing, in the future) simply stay empty.
   *
   * @throws {AuraError} `STRATEGY_003` when the exchange is unreachable or answers malformed rows.
   */
  async getHistory(
    symbol: string,
    interval: string,
    from: number,
    to: number,
  ): Promise<KlineData[]> {
    const step = INTERVAL_MS[interval];
    if (step === undefined) {
      throw new AuraError("STRATEGY_003", `Cannot load history: unknown interval "${interval}"`);
    }
    const end = Math.min(to, this.#deps.clock.now());
    const cached = await this.#read(symbol, interval, from, end, step);
    const gaps = missingRanges(cached, from, end, step, interval === "1M");
    if (gaps.length === 0) return cached;
    for (const [a, b] of gaps) await this.#fetchRange(symbol, interval, a, b);
    return await this.#read(symbol, interval, from, end, step);
  }

  /** Reads the cache in windows of 5,000 candles, so a long range never parses in one block. */
  async #read(
    symbol: string,
    interval: string,
    from: number,
    to: number,
    step: number,
  ): Promise<KlineData[]> {
    const window = step * 5_000;
    const out: KlineData[] = [];
    for (let a = from; a < to; a += window) {
      const rows = await listKlines(this.#deps.db, symbol, interval, a, Math.min(to, a + window));
      for (const k of rows) out.push(k);
    }
    return out;
  }

  async #fetchRange(symbol: string, interval: string, from: number, to: number): Promise<void> {
    const now = this.#deps.clock.now();
    let start = from;
    for (let page = 0; page < MAX_PAGES && start < to; page++) {
      const rows = await this.#fetchPage(symbol, interval, start, to - 1);
      if (rows.length === 0) return;
      const closed = rows.filter((k) => k.closeTime < now && k.openTime < to);
      await upsertKlines(this.#deps.db, closed);
      const last = rows[rows.length - 1]!.openTime;
      if (rows.length < PAGE || !(last >= start)) return;
      start = last + 1;
    }
  }

  async #fetchPage(
    symbol: string,
    interval: string,
    startTime: number,
    endTime: number,
  ): Promise<KlineData[]> {
    const url = new URL("/api/v3/klines", this.#deps.restUrl);
    url.search = new URLSearchParams({
      symbol,
      interval,
      startTime: String(startTime),
      endTime: String(endTime),
      limit: String(PAGE),
    }).toString();
    const doFetch = this.#deps.fetch ?? fetch;
    let body: unknown;
    try {
      const res = await doFetch(url, { signal: AbortSignal.timeout(15_000) });
      body = await res.json();
      if (!res.ok) {
        throw new Error(`HTTP ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
      }
    } catch (error) {
      throw new AuraError(
        "STRATEGY_003",
        `Cannot load "${symbol}" ${interval} klines from the exchange: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    }
    if (!Array.isArray(body)) throw malformed(symbol, interval, "the answer is not an array");
    return body.map((row, i) => parseRow(row, i, symbol, interval));
  }
}

/** The [from, to) ranges of `step`-aligned open times not present in `cached`. */
export function missingRanges(
  cached: readonly KlineData[],
  from: number,
  to: number,
  step: number,
  irregular = false,
): [number, number][] {
  if (to <= from) return [];
  if (irregular) return cached.length === 0 ? [[from, to]] : [];
  const gaps: [number, number][] = [];
  let expected = Math.ceil(from / step) * step;
  for (const k of cached) {
    if (k.openTime > expected) gaps.push([expected, k.openTime]);
    expected = Math.max(expected, k.openTime + step);
  }
  if (expected < to) gaps.push([expected, to]);
  return gaps;
}

function parseRow(row: unknown, i: number, symbol: string, interval: string): KlineData {
  if (!Array.isArray(row) || row.length < 7) {
    throw malformed(symbol, interval, `row ${i} is not a kline array`);
  }
  const [openTime, open, high, low, close, volume, closeTime] = row;
  const k = {
    symbol,
    interval,
    openTime: Number(openTime),
    closeTime: Number(closeTime),
    open: String(open),
    high: String(high),
    low: String(low),
    close: String(close),
    volume: String(volume),
  };
  const prices = [k.open, k.high, k.low, k.close, k.volume];
  if (
    !Number.isSafeInteger(k.openTime) || !Number.isSafeInteger(k.closeTime) ||
    k.closeTime <= k.openTime || !prices.every(isDecimalString)
  ) {
    throw malformed(symbol, interval, `row ${i} has invalid times or prices`);
  }
  const [o, h, l, c, v] = prices.map(Number) as [number, number, number, number, number];
  if (!(l > 0 && h >= l && o >= l && o <= h && c >= l && c <= h && v >= 0)) {
    throw malformed(symbol, interval, `row ${i} breaks 0 < low <= open, close <= high`);
  }
  return k;
}

function malformed(symbol: string, interval: string, why: string): AuraError {
  return new AuraError(
    "STRATEGY_003",
    `Cannot load "${symbol}" ${interval} klines from the exchange: ${why}`,
  );
}

/**
 * Seeds the klines cache from a Binance kline CSV file (the engine's parser
 * validates it); returns the number of candles read.
 *
 * @example
 * ```ts
 * await importKlinesCsv(db, "../shared/data/klines/BTCUSDT-1h.csv", "BTCUSDT", "1h");
 * ```
 */
export async function importKlinesCsv(
  db: Db,
  path: string | URL,
  symbol: string,
  interval: string,
): Promise<number> {
  const text = await Deno.readTextFile(path);
  const series = parseKlinesCsv(text);
  // The CSV keeps Binance's decimal strings; reread them as text so the cache stays exact.
  const lines = text.split(/\r?\n/).filter((l) => /^\d/.test(l));
  const klines: KlineData[] = [];
  for (let i = 0; i < series.length; i++) {
    const cells = lines[i]!.split(",");
    klines.push({
      symbol,
      interval,
      openTime: series.openTime[i]!,
      closeTime: series.closeTime[i]!,
      open: cells[1]!,
      high: cells[2]!,
      low: cells[3]!,
      close: cells[4]!,
      volume: cells[5]!,
    });
  }
  await upsertKlines(db, klines);
  return klines.length;
}
