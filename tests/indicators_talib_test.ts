// The indicators against TA-Lib's formulas on real Binance candles.
//
// The reference below is written from TA-Lib's documented conventions with
// plain loops over arrays and shares no code with engine/indicators (textbook
// forms where TA-Lib's differ only in operation order), so a convention slip
// (seed, alignment, smoothing) in either one shows up as a mismatch. The fixed
// values at the end come from TA-Lib 0.4.0 itself (its C code compiled to
// WebAssembly, npm talib-web 0.1.3), run once by hand on the same files.

import assert from "node:assert/strict";
import { ema, macd, rsi, sma } from "../engine/indicators/mod.ts";

const KLINES = new URL("../../shared/data/klines/", import.meta.url);
const BTC_FILE = "BTCUSDT-1h-2022-01.csv";
const ETH_FILE = "ETHUSDT-1h-2024-10_2026-01.csv";
const TOLERANCE = 1e-9;

function dataPresent(): boolean {
  try {
    return Deno.statSync(new URL(BTC_FILE, KLINES)).isFile &&
      Deno.statSync(new URL(ETH_FILE, KLINES)).isFile;
  } catch {
    return false;
  }
}
const ignore = !dataPresent();

function closes(file: string): number[] {
  const lines = Deno.readTextFileSync(new URL(file, KLINES)).trim().split("\n");
  assert.equal(lines[0], "open_time,open,high,low,close,volume,close_time");
  return lines.slice(1).map((line) => Number(line.split(",")[4]));
}

// ---- Reference implementation (TA-Lib formulas, plain loops) ----

function nanArray(length: number): number[] {
  return new Array<number>(length).fill(NaN);
}

function refSma(x: number[], n: number): number[] {
  const out = nanArray(x.length);
  for (let i = n - 1; i < x.length; i++) {
    let total = 0;
    for (let j = i - n + 1; j <= i; j++) total += x[j]!;
    out[i] = total / n;
  }
  return out;
}

/** EMA seeded with the SMA of x[start .. start+n-1], first value at start+n-1. */
function refEma(x: number[], n: number, start = 0): number[] {
  const out = nanArray(x.length);
  const k = 2 / (n + 1);
  const first = start + n - 1;
  if (first >= x.length) return out;
  let total = 0;
  for (let j = start; j <= first; j++) total += x[j]!;
  out[first] = total / n;
  for (let i = first + 1; i < x.length; i++) out[i] = k * x[i]! + (1 - k) * out[i - 1]!;
  return out;
}

function refRsi(x: number[], n: number): number[] {
  const out = nanArray(x.length);
  let avgGain = 0;
  let avgLoss = 0;
  for (let i = 1; i < x.length; i++) {
    const change = x[i]! - x[i - 1]!;
    const gain = Math.max(change, 0);
    const loss = Math.max(-change, 0);
    if (i <= n) {
      avgGain += gain / n;
      avgLoss += loss / n;
      if (i < n) continue;
    } else {
      avgGain = (avgGain * (n - 1) + gain) / n;
      avgLoss = (avgLoss * (n - 1) + loss) / n;
    }
    if (avgGain + avgLoss === 0) out[i] = 0;
    else if (avgLoss === 0) out[i] = 100;
    else out[i] = 100 - 100 / (1 + avgGain / avgLoss);
  }
  return out;
}

function refMacd(x: number[], fast: number, slow: number, signal: number) {
  const slowLine = refEma(x, slow);
  const fastLine = refEma(x, fast, slow - fast); // seed window ends at slow - 1
  const line = nanArray(x.length);
  for (let i = slow - 1; i < x.length; i++) line[i] = fastLine[i]! - slowLine[i]!;
  const signalLine = nanArray(x.length);
  const definedLine = line.slice(slow - 1);
  const smoothed = refEma(definedLine, signal);
  for (let i = 0; i < smoothed.length; i++) signalLine[slow - 1 + i] = smoothed[i]!;
  const first = slow - 1 + signal - 1;
  const out = {
    macd: nanArray(x.length),
    signal: nanArray(x.length),
    histogram: nanArray(x.length),
  };
  for (let i = first; i < x.length; i++) {
    out.macd[i] = line[i]!;
    out.signal[i] = signalLine[i]!;
    out.histogram[i] = line[i]! - signalLine[i]!;
  }
  return out;
}

// ---- Comparison ----

/** Same NaN positions; elsewhere within 1e-9 relative (absolute below magnitude 1). */
function assertMatches(label: string, actual: ArrayLike<number>, expected: number[]): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    const got = actual[i]!;
    const want = expected[i]!;
    if (Number.isNaN(want)) {
      assert.ok(Number.isNaN(got), `${label}[${i}]: expected NaN, got ${got}`);
      continue;
    }
    const error = Math.abs(got - want) / Math.max(Math.abs(want), 1);
    assert.ok(error <= TOLERANCE, `${label}[${i}]: ${got} vs reference ${want}`);
  }
}

function firstDefined(values: ArrayLike<number>): number {
  return Array.from(values).findIndex((v) => !Number.isNaN(v));
}

for (const file of [BTC_FILE, ETH_FILE]) {
  Deno.test({
    name: `[${file}] sma() and ema() match the TA-Lib reference for periods 2 to 200`,
    ignore,
    fn() {
      const x = closes(file);
      for (const period of [2, 3, 9, 20, 50, 200]) {
        const smaValues = sma(x, period);
        const emaValues = ema(x, period);
        assertMatches(`SMA(${period})`, smaValues, refSma(x, period));
        assertMatches(`EMA(${period})`, emaValues, refEma(x, period));
        assert.equal(firstDefined(smaValues), period - 1);
        assert.equal(firstDefined(emaValues), period - 1);
      }
    },
  });

  Deno.test({
    name: `[${file}] rsi() matches the Wilder reference for periods 2 to 50`,
    ignore,
    fn() {
      const x = closes(file);
      for (const period of [2, 6, 14, 21, 50]) {
        const values = rsi(x, period);
        assertMatches(`RSI(${period})`, values, refRsi(x, period));
        assert.equal(firstDefined(values), period);
        assert.ok(values.every((v) => Number.isNaN(v) || (v >= 0 && v <= 100)));
      }
    },
  });

  Deno.test({
    name: `[${file}] macd() matches the TA_MACD reference, all outputs from slow-1+signal-1`,
    ignore,
    fn() {
      const x = closes(file);
      for (const [fast, slow, signal] of [[12, 26, 9], [5, 35, 5], [8, 17, 9], [3, 10, 1]]) {
        const label = `MACD(${fast},${slow},${signal})`;
        const actual = macd(x, fast!, slow!, signal!);
        const expected = refMacd(x, fast!, slow!, signal!);
        assertMatches(`${label}.macd`, actual.macd, expected.macd);
        assertMatches(`${label}.signal`, actual.signal, expected.signal);
        assertMatches(`${label}.histogram`, actual.histogram, expected.histogram);
        const first = slow! - 1 + signal! - 1;
        assert.equal(firstDefined(actual.macd), first);
        assert.equal(firstDefined(actual.signal), first);
        assert.equal(firstDefined(actual.histogram), first);
      }
    },
  });
}

Deno.test({
  name: "values derived by hand from the first BTCUSDT 2022-01 closes",
  ignore,
  fn() {
    const x = closes(BTC_FILE);
    // Closes: 46656.13, 46778.14, 46811.77, 46813.20, 46711.05.
    // SMA(3)[2] = 140246.04 / 3 = 46748.68; EMA(3) seeds there, k = 1/2:
    // EMA(3)[3] = 46748.68 + (46813.20 - 46748.68) / 2 = 46780.94,
    // EMA(3)[4] = 46780.94 + (46711.05 - 46780.94) / 2 = 46745.995.
    assert.deepEqual(x.slice(0, 5), [46656.13, 46778.14, 46811.77, 46813.2, 46711.05]);
    const near = (got: number, want: number) =>
      assert.ok(Math.abs(got - want) < 1e-9, `${got} != ${want}`);
    near(sma(x, 3)[2]!, 46748.68);
    near(ema(x, 3)[3]!, 46780.94);
    near(ema(x, 3)[4]!, 46745.995);
  },
});

Deno.test({
  name: "values equal those TA-Lib 0.4.0 itself printed for the same files",
  ignore,
  fn() {
    // [file, index, RSI(14), EMA(20), MACD(12,26,9) line, signal, histogram]
    // (EMA(20) at index 19 is its SMA seed; MACD at index 33 is its first value.)
    const cases = [
      [BTC_FILE, 14, 56.41254540706103, NaN, NaN, NaN, NaN],
      [BTC_FILE, 19, NaN, 47059.596000000005, NaN, NaN, NaN],
      [BTC_FILE, 33, NaN, NaN, 76.77135825162986, 147.29990979527065, -70.52855154364079],
      [
        BTC_FILE,
        500,
        36.18242126107273,
        39044.78626940957,
        -743.9782558633888,
        -787.6646317918087,
        43.68637592841992,
      ],
      [ETH_FILE, 14, 28.787507654623294, NaN, NaN, NaN, NaN],
      [ETH_FILE, 19, NaN, 2595.1474999999996, NaN, NaN, NaN],
      [ETH_FILE, 33, NaN, NaN, -45.19869384137064, -58.18850782768272, 12.989813986312079],
      [
        ETH_FILE,
        500,
        41.54335406036275,
        2690.7593491741345,
        -6.794176331725339,
        -1.3445462627713411,
        -5.449630068953998,
      ],
    ] as const;
    for (const [file, index, rsi14, ema20, line, signal, histogram] of cases) {
      const x = closes(file);
      const m = macd(x, 12, 26, 9);
      const pairs: [string, number, number][] = [
        ["RSI(14)", rsi(x, 14)[index]!, rsi14],
        ["EMA(20)", ema(x, 20)[index]!, ema20],
        ["MACD", m.macd[index]!, line],
        ["signal", m.signal[index]!, signal],
        ["histogram", m.histogram[index]!, histogram],
      ];
      for (const [label, got, want] of pairs) {
        // TA-Lib's EMA, RSI and MACD arithmetic is reproduced operation for operation.
        if (!Number.isNaN(want)) assert.equal(got, want, `${file} ${label}[${index}]`);
      }
    }
  },
});
