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

// Scanner state shared by the helpers below: module-level so that parsing a
// number returns a plain double and allocates nothing.
let text = "";
let pos = 0;
let fieldEnd = 0;

/**
 * Parses Binance klines: `open_time,open,high,low,close,volume,close_time[,...]`
 * (the 12-column raw dumps too), header line optional, CRLF or LF.
 * Microsecond timestamps (16 digits, Binance spot dumps since 2025) become ms.
 *
 * @throws {AuraError} `STRATEGY_003` with a one-line message naming the line for a
 *   malformed row, or for timestamps that are duplicated or out of order.
 * @example
 * ```ts
 * const series = parseKlinesCsv(await Deno.readTextFile("BTCUSDT-1h.csv"));
 * series.close[0];
 * ```
 */
export function parseKlinesCsv(input: string): CandleSeries {
  text = input;
  pos = 0;
  const end = input.length;
  let capacity = 1;
  for (let i = input.indexOf("\n"); i >= 0; i = input.indexOf("\n", i + 1)) capacity++;
  const out = allocateSeries(capacity);
  const { openTime, closeTime, open, high, low, close, volume } = out;
  let n = 0;
  let line = 0;
  let lastOpen = -Infinity;
  let lastLine = 0;
  try {
    while (pos < end) {
      line++;
      const c0 = input.charCodeAt(pos);
      if (c0 === LF || c0 === CR) { // blank line
        skipLineBreak();
        continue;
      }
      if (line === 1 && !(c0 >= ZERO && c0 <= NINE)) { // header
        skipToLineEnd();
        skipLineBreak();
        continue;
      }
      const o = timeField(line, 0);
      const op = numberField(line, 1);
      const hi = numberField(line, 2);
      const lo = numberField(line, 3);
      const cl = numberField(line, 4);
      const vo = numberField(line, 5);
      const ct = timeField(line, 6);
      skipToLineEnd(); // extra columns of raw dumps
      skipLineBreak();
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
  } finally {
    text = "";
  }
  return sliceSeries(out, n);
}

function malformed(line: number, why: string): AuraError {
  return new AuraError("STRATEGY_003", `Cannot read klines: line ${line} is malformed: ${why}`, {
    line,
  });
}

function skipToLineEnd(): void {
  const end = text.length;
  while (pos < end) {
    const c = text.charCodeAt(pos);
    if (c === LF || c === CR) return;
    pos++;
  }
}

function skipLineBreak(): void {
  if (text.charCodeAt(pos) === CR) pos++;
  if (text.charCodeAt(pos) === LF) pos++;
}

/** Reads field `index` starting at `pos`; leaves `pos` after its comma. */
function numberField(line: number, index: number): number {
  const v = scanNumber();
  if (v !== v) throw malformed(line, `${FIELDS[index]} "${rawField()}" is not a number`);
  finishField(line, index);
  return v;
}

/** The text of the field starting at `pos`, for error messages. */
function rawField(): string {
  let e = pos;
  while (e < text.length) {
    const c = text.charCodeAt(e);
    if (c === COMMA || c === LF || c === CR) break;
    e++;
  }
  return text.slice(pos, e);
}

/** Like {@link numberField} for a timestamp; 16+ digit microseconds become ms. */
function timeField(line: number, index: number): number {
  const start = pos;
  const v = scanNumber();
  if (!Number.isInteger(v) || v < 0) {
    throw malformed(line, `${FIELDS[index]} "${rawField()}" is not a timestamp`);
  }
  finishField(line, index);
  return fieldEnd - start >= 16 ? Math.floor(v / 1000) : v;
}

function finishField(line: number, index: number): void {
  const c = text.charCodeAt(fieldEnd);
  if (c === COMMA) {
    pos = fieldEnd + 1;
  } else if (index === 6 && (c === LF || c === CR || fieldEnd >= text.length)) {
    pos = fieldEnd;
  } else if (c === LF || c === CR || fieldEnd >= text.length) {
    throw malformed(line, `expected at least 7 columns, got ${index + 1}`);
  } else {
    // scanNumber stopped early: a character that is not part of a plain decimal
    throw malformed(line, `${FIELDS[index]} "${rawField()}" is not a plain decimal number`);
  }
}

/**
 * Scans a plain decimal (`-?digits[.digits]`) at `pos` into a double, setting
 * `fieldEnd`. An integer mantissa divided by an exact power of ten is
 * correctly rounded, so the result equals `Number(field)`; longer mantissas
 * fall back to `Number`. NaN for an empty field.
 */
function scanNumber(): number {
  const s = text;
  let i = pos;
  let negative = false;
  if (s.charCodeAt(i) === MINUS) {
    negative = true;
    i++;
  }
  const digitsStart = i;
  let mantissa = 0;
  let digits = 0;
  let c = s.charCodeAt(i);
  while (c >= ZERO && c <= NINE) {
    mantissa = mantissa * 10 + (c - ZERO);
    digits++;
    c = s.charCodeAt(++i);
  }
  let scale = 0;
  if (c === DOT) {
    c = s.charCodeAt(++i);
    while (c >= ZERO && c <= NINE) {
      mantissa = mantissa * 10 + (c - ZERO);
      digits++;
      scale++;
      c = s.charCodeAt(++i);
    }
  }
  fieldEnd = i;
  if (digits === 0 || i === digitsStart) return NaN;
  let v: number;
  if (digits <= 15 || (mantissa <= Number.MAX_SAFE_INTEGER && scale <= 22)) {
    v = scale === 0 ? mantissa : mantissa / POW10[scale]!;
  } else {
    v = Number(s.slice(digitsStart, i));
  }
  return negative ? -v : v;
}
