/**
 * Klines cache: historical candles fetched through REST, kept exact (DECIMAL)
 * for warm-up, gap backfill and backtests.
 *
 * @module
 */
import type { KlineData } from "../engine/candle.ts";
import type { Queryable } from "./port.ts";
import { trimDecimal } from "./trades.ts";

/** Inserts candles, ignoring ones already cached; batched (postgres parameter limit). */
export async function upsertKlines(db: Queryable, klines: readonly KlineData[]): Promise<void> {
  for (let i = 0; i < klines.length; i += 1000) {
    const batch = klines.slice(i, i + 1000);
    const params: unknown[] = [];
    const values = batch.map((k) => {
      params.push(
        k.symbol,
        k.interval,
        k.openTime,
        k.closeTime,
        k.open,
        k.high,
        k.low,
        k.close,
        k.volume,
      );
      const n = params.length;
      return `(${Array.from({ length: 9 }, (_, j) => `$${n - 8 + j}`).join(", ")})`;
    });
    await db.query(
      `INSERT INTO klines (symbol, interval, open_time, close_time, open, high, low, close, volume)
       VALUES ${values.join(", ")} ON CONFLICT (symbol, interval, open_time) DO NOTHING`,
      params,
    );
  }
}

/** Cached candles with `from <= open_time < to`, ascending. */
export async function listKlines(
  db: Queryable,
  symbol: string,
  interval: string,
  from: number,
  to: number,
): Promise<KlineData[]> {
  const rows = await db.query(
    `SELECT open_time, close_time, open, high, low, close, volume FROM klines
     WHERE symbol = $1 AND interval = $2 AND open_time >= $3 AND open_time < $4 ORDER BY open_time`,
    [symbol, interval, from, to],
  );
  return rows.map((r) => ({
    symbol,
    interval,
    openTime: Number(r.open_time),
    closeTime: Number(r.close_time),
    open: trimDecimal(String(r.open)),
    high: trimDecimal(String(r.high)),
    low: trimDecimal(String(r.low)),
    close: trimDecimal(String(r.close)),
    volume: trimDecimal(String(r.volume)),
  }));
}

/** Open time of the newest cached candle, or null. */
export async function latestKlineOpenTime(
  db: Queryable,
  symbol: string,
  interval: string,
): Promise<number | null> {
  const rows = await db.query(
    "SELECT MAX(open_time) AS t FROM klines WHERE symbol = $1 AND interval = $2",
    [symbol, interval],
  );
  const t = rows[0]?.t;
  return t === null || t === undefined ? null : Number(t);
}

/**
 * Close of the newest cached candle of `symbol` over the given intervals
 * (one index probe per interval), or null when none is cached.
 */
export async function latestKlineClose(
  db: Queryable,
  symbol: string,
  intervals: readonly string[],
): Promise<{ close: string; closeTime: number } | null> {
  const rows = await db.query(
    `SELECT k.close::text AS close, k.close_time FROM unnest($2::text[]) AS iv(interval)
     CROSS JOIN LATERAL (SELECT close, close_time FROM klines
       WHERE symbol = $1 AND interval = iv.interval ORDER BY open_time DESC LIMIT 1) k
     ORDER BY k.close_time DESC LIMIT 1`,
    [symbol, intervals],
  );
  const r = rows[0];
  return r ? { close: trimDecimal(String(r.close)), closeTime: Number(r.close_time) } : null;
}
