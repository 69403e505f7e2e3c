/**
 * Backtest throughput: full backtests (runner + fill model + equity curve) in
 * candles per second on the real BTCUSDT 1m file (129,600 candles), or a seeded
 * random walk of the same length when the data folder is absent; and the CSV
 * parse rate on the same file, separately.
 *
 * Strategy: EMA(12) crosses above EMA(26) and RSI(14) < 70 to enter, MACD
 * histogram crosses below 0 to exit, TP 2 % / SL 1 %.
 *
 * Run: `deno run -A bench/backtest.ts`. Prints lines like `backtest.run [M candles/s]: 11.2`
 * (millions of candles per second over about one second of repeated runs, after
 * a warm-up), by the wall clock and per second of process CPU time.
 *
 * @module
 */

import process from "node:process";
import { parseKlinesCsv, runBacktest } from "../engine/backtest/mod.ts";
import { parseStrategy } from "../engine/strategy/mod.ts";

const DATA_FILE = new URL(
  "../../shared/data/klines/BTCUSDT-1m-2025-05-20_2025-08-17.csv",
  import.meta.url,
);
const SYNTHETIC_LENGTH = 129_600;

const STRATEGY = parseStrategy({
  name: "bench: EMA cross + RSI, MACD exit",
  symbol: "BTCUSDT",
  interval: "1m",
  entryConditions: [
    {
      left: { indicator: "EMA", period: 12 },
      op: "crosses_above",
      right: { indicator: "EMA", period: 26 },
    },
    { left: { indicator: "RSI", period: 14 }, op: "<", right: { value: 70 } },
  ],
  exitConditions: [
    { left: { indicator: "MACD", output: "histogram" }, op: "crosses_below", right: { value: 0 } },
  ],
  riskParams: {
    positionSizeUsd: 1000,
    takeProfitPercent: 2,
    stopLossPercent: 1,
    maxDrawdownPercent: 100,
  },
});

/** The real 1m CSV text, or a synthetic one in the same format when the folder is absent. */
async function loadCsv(): Promise<{ text: string; source: string }> {
  try {
    return {
      text: await Deno.readTextFile(DATA_FILE),
      source: "BTCUSDT-1m-2025-05-20_2025-08-17.csv",
    };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    const lines = ["open_time,open,high,low,close,volume,close_time"];
    let price = 100_000;
    let seed = 42;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    for (let i = 0; i < SYNTHETIC_LENGTH; i++) {
      const open = price;
      price *= 1 + (next() - 0.5) * 0.002; // LCG walk: the same every run
      const high = Math.max(open, price) * (1 + next() * 0.0005);
      const low = Math.min(open, price) * (1 - next() * 0.0005);
      const t = 1_747_699_200_000 + i * 60_000;
      const f = (v: number) => v.toFixed(8);
      lines.push(
        `${t},${f(open)},${f(high)},${f(low)},${f(price)},${f(next() * 10)},${t + 59_999}`,
      );
    }
    return { text: lines.join("\n") + "\n", source: "synthetic random walk (data folder absent)" };
  }
}

/** Items per second of `pass` (which handles `items` items): wall clock and process CPU time. */
interface Rate {
  wall: number;
  cpu: number;
}

/**
 * Runs `pass` for about `budgetMs` after a warm-up of at least 30 runs and half
 * that time (the CSV parser reached its final optimised code only after ~20 runs here,
 * and on a loaded machine half a second of wall clock is only a few runs).
 */
function measure(pass: () => unknown, items: number, budgetMs: number): Rate {
  const warmUntil = performance.now() + budgetMs / 2;
  for (let i = 0; i < 30 || performance.now() < warmUntil; i++) pass();
  let runs = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < budgetMs) {
    pass();
    runs++;
    elapsed = performance.now() - start;
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    wall: (runs * items) / (elapsed / 1000),
    cpu: (runs * items) / ((cpu.user + cpu.system) / 1e6),
  };
}

/**
 * Measures the full backtest and the CSV parser for about `budgetMs` each and
 * returns millions of candles (rows) per second, by the wall clock and per
 * second of process CPU time (steadier on a shared machine).
 */
export async function benchBacktest(budgetMs = 1000): Promise<Record<string, number>> {
  const { text } = await loadCsv();
  const series = parseKlinesCsv(text);
  let trades = 0;
  const run = measure(
    () => (trades = runBacktest(STRATEGY, series).totalTrades),
    series.length,
    budgetMs,
  );
  if (trades === 0) {
    throw new Error("bench strategy made no trades: the figure would be meaningless");
  }
  const parse = measure(() => parseKlinesCsv(text), series.length, budgetMs);
  return {
    "backtest.run [M candles/s]": run.wall / 1e6,
    "backtest.run per CPU second [M candles/s]": run.cpu / 1e6,
    "backtest.csv_parse [M rows/s]": parse.wall / 1e6,
    "backtest.csv_parse per CPU second [M rows/s]": parse.cpu / 1e6,
  };
}

if (import.meta.main) {
  const { text, source } = await loadCsv();
  const series = parseKlinesCsv(text);
  const report = runBacktest(STRATEGY, series);
  console.log(
    `backtest on ${series.length} candles from ${source} (${(text.length / 1e6).toFixed(1)} MB); ` +
      `${report.totalTrades} trades per run`,
  );
  for (const [name, millionsPerSecond] of Object.entries(await benchBacktest())) {
    console.log(`${name}: ${millionsPerSecond.toFixed(2)}`);
  }
}
