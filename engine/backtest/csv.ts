/**
 * Pure, fast parser for Binance kline CSV files.
 *
 * @module
 */

import { AuraError } from "../errors.ts";
import { allocateSeries, type CandleSeries, sliceSeries } from "./series.ts";

const COMMA = 44, LF = 10, CR = 13, DOT = 46, MINUS = 45, ZERO = 48, NINE = 57;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i); // exact up to 1e22
const FIELDS = ["open_time", "open", "high", "low", "close", "volume", "close_time"];

/**
 * Parses Binance klines: `open_time,open,high,low,close,volume,close_time[,...]`
 * (the 12-column raw dumps too), header line optional, CRLF or LF.
 * Microsecond timestamps (16 digits, Binance spot dumps since 2025) become ms.
 *
 * Numbers are scanned in place (no split, no substrings): an integer mantissa
 * divided by an exact power of ten is correctly rounded, so every value equals
 * `Number(field)`; mantissas beyond 2^53 fall back to `Number`.
 *
 * @throws {AuraError} `STRATEGY_003` with a one-line message naming the line for a
 *   malformed row, or for timestamps that are duplicated or out of order.
 * @example
 * ```ts
 * const series = parseKlinesCsv(await Deno.readTextFile("BTCUSDT-1h.csv"));
 * series.close[0];
 * ```
 */
export function parseKlinesCsv(text: string): CandleSeries {
  const s = text;
  const end = s.length;
  let capacity = 1;
  for (let k = s.indexOf("\n"); k >= 0; k = s.indexOf("\n", k + 1)) capacity++;
  const out = allocateSeries(capacity);
  const { openTime, closeTime, open, high, low, close, volume } = out;
  const row = new Float64Array(7);
  let n = 0;
  let line = 0;
  let lastOpen = -Infinity;
  let lastLine = 0;
  let i = 0;
  while (i < end) {
    line++;
    let c = s.charCodeAt(i);
    if (c === LF || c === CR) { // blank line
      if (c === CR) c = s.charCodeAt(++i);
      if (c === LF) i++;
      continue;
    }
    const lineStart = i;
    if (line === 1 && !(c >= ZERO && c <= NINE)) { // header
      while (i < end && c !== LF && c !== CR) c = s.charCodeAt(++i);
    } else {
      for (let f = 0; f < 7; f++) {
        const negative = c === MINUS;
        if (negative) c = s.charCodeAt(++i);
        const digitsStart = i;
        let mantissa = 0, digits = 0, scale = 0;
        while (c >= ZERO && c <= NINE) {
          mantissa = mantissa * 10 + (c - ZERO);
          digits++;
          c = s.charCodeAt(++i);
        }
        if (c === DOT) {
          c = s.charCodeAt(++i);
          while (c >= ZERO && c <= NINE) {
            mantissa = mantissa * 10 + (c - ZERO);
            digits++;
            scale++;
            c = s.charCodeAt(++i);
          }
        }
        if (digits === 0) throw badRow(s, lineStart, line);
        let v = digits <= 15 || (mantissa <= Number.MAX_SAFE_INTEGER && scale <= 22)
          ? (scale === 0 ? mantissa : mantissa / POW10[scale]!)
          : Number(s.slice(digitsStart, i));
        if (negative) v = -v;
        if (f === 0 || f === 6) {
          if (negative || scale > 0) throw badRow(s, lineStart, line);
          if (digits >= 16) v = Math.floor(v / 1000); // microseconds
        }
        row[f] = v;
        if (f < 6) {
          if (c !== COMMA) throw badRow(s, lineStart, line);
          c = s.charCodeAt(++i);
        } else if (c === COMMA) { // extra columns of raw dumps
          while (i < end && c !== LF && c !== CR) c = s.charCodeAt(++i);
        } else if (i < end && c !== LF && c !== CR) {
          throw badRow(s, lineStart, line);
        }
      }
      const o = row[0]!, op = row[1]!, hi = row[2]!, lo = row[3]!, cl = row[4]!, vo = row[5]!;
      const ct = row[6]!;
      if (!(lo > 0 && hi >= lo && op >= lo && op <= hi && cl >= lo && cl <= hi && vo >= 0)) {
        throw malformed(line, `prices must satisfy 0 < low <= open, close <= high`);
      }
      if (!(ct > o)) throw malformed(line, `close_time "${ct}" is not after open_time "${o}"`);
      if (!(o > lastOpen)) {
        throw new AuraError(
          "STRATEGY_003",
          o === lastOpen
            ? `Cannot read klines: line ${line} repeats open_time ${o} of line ${lastLine}`
            : `Cannot read klines: line ${line} has open_time ${o} before ${lastOpen} of line ${lastLine} (rows must be sorted)`,
          { line },
        );
      }
      lastOpen = o;
      lastLine = line;
      openTime[n] = o;
      open[n] = op;
      high[n] = hi;
      low[n] = lo;
      close[n] = cl;
      volume[n] = vo;
      closeTime[n] = ct;
      n++;
    }
    if (c === CR) c = s.charCodeAt(++i);
    if (c === LF) i++;
  }
  return sliceSeries(out, n);
}

function malformed(line: number, why: string): AuraError {
  return new AuraError("STRATEGY_003", `Cannot read klines: line ${line} is malformed: ${why}`, {
    line,
  });
}

const PLAIN_DECIMAL = /^-?\d+(\.\d*)?$/;
const TIMESTAMP = /^\d+$/;

/** The error for a row the fast scanner rejected, worked out again slowly from its text. */
function badRow(s: string, lineStart: number, line: number): AuraError {
  let lineEnd = s.indexOf("\n", lineStart);
  if (lineEnd < 0) lineEnd = s.length;
  const fields = s.slice(lineStart, lineEnd).replace(/\r$/, "").split(",");
  if (fields.length < 7) {
    return malformed(line, `expected at least 7 columns, got ${fields.length}`);
  }
  for (let f = 0; f < 7; f++) {
    const field = fields[f]!;
    const time = f === 0 || f === 6;
    if (!(time ? TIMESTAMP : PLAIN_DECIMAL).test(field)) {
      return malformed(
        line,
        `${FIELDS[f]} "${field}" is not ${time ? "a timestamp" : "a plain decimal number"}`,
      );
    }
  }
  return malformed(line, "unreadable row");
}
