/**
 * `deno task backtest`: replays klines through a strategy and prints the
 * report (a table, or one JSON object with `--json`). The klines come from a
 * CSV file (`--data`) or from the exchange (`--symbol --interval --from
 * --to`): fetched from BINANCE_REST_URL's `/api/v3/klines` (default live
 * Binance) through the market data service, which caches them in the klines
 * table of the configured database (DATABASE_URL, else the embedded PGlite
 * under AURA_DATA_DIR), so a second run over the same range sends no request.
 *
 * ```sh
 * deno task backtest --data BTCUSDT-1h.csv --strategy examples/ema_cross_rsi.json
 * deno task backtest --data BTCUSDT-1h.csv --strategy s.json --fee 0.001 --slippage-bps 2 --json
 * deno task backtest --symbol BTCUSDT --interval 1h --from 2024-01-01 --to 2024-02-01 --strategy s.json
 * ```
 *
 * `--from` is inclusive and `--to` exclusive (candles opening in [from, to));
 * dates without a time are UTC midnight.
 *
 * Bad input ends with one line on stderr and exit code 1, never a stack trace.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { loadConfig } from "../config.ts";
import { openDb } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { INTERVAL_MS } from "../engine/candle.ts";
import { parseKlinesCsv, runBacktest } from "../engine/backtest/mod.ts";
import type { BacktestReport, CandleSeries } from "../engine/backtest/mod.ts";
import { seriesFromCandles } from "../engine/backtest/series.ts";
import { systemClock } from "../engine/clock.ts";
import { parseStrategy, type StrategyDefinition } from "../engine/strategy/mod.ts";
import { MarketData } from "../services/market_data.ts";

const USAGE = "usage: deno task backtest (--data <klines.csv> | --symbol BTCUSDT --interval 1h " +
  "--from 2024-01-01 --to 2024-02-01) --strategy <strategy.json> " +
  "[--fee 0.001] [--slippage-bps 0] [--initial-balance 10000] [--json]";

/** A failure to report as one line (the message is already user-facing). */
class CliError extends Error {}

/** Klines to fetch from the exchange (or the cache): open times in [from, to). */
interface FetchSource {
  symbol: string;
  interval: string;
  from: number;
  to: number;
}

/** Parsed command-line flags. */
interface Flags {
  source: { data: string } | FetchSource;
  strategy: string;
  fee: number;
  slippageBps: number;
  initialBalance: number;
  json: boolean;
}

function parseFlags(args: string[]): Flags | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        data: { type: "string" },
        strategy: { type: "string" },
        fee: { type: "string" },
        "slippage-bps": { type: "string" },
        "initial-balance": { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        symbol: { type: "string" },
        interval: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
      },
    }));
  } catch (e) {
    throw new CliError(`${firstLine(e)} (${USAGE})`);
  }
  if (values.help) return "help";
  const source = sourceOf(values);
  if (values.strategy === undefined) throw new CliError(`--strategy is required (${USAGE})`);
  return {
    source,
    strategy: values.strategy,
    fee: numberFlag("fee", values.fee, 0.001, (v) => v >= 0 && v < 1, "in [0, 1)"),
    slippageBps: numberFlag(
      "slippage-bps",
      values["slippage-bps"],
      0,
      (v) => v >= 0 && v < 10_000,
      "in [0, 10000)",
    ),
    initialBalance: numberFlag(
      "initial-balance",
      values["initial-balance"],
      10_000,
      (v) => v > 0,
      "above 0",
    ),
    json: values.json ?? false,
  };
}

const FETCH_FLAGS = ["symbol", "interval", "from", "to"] as const;

/** `--data`, or the four fetch flags, validated before anything is read or fetched. */
function sourceOf(
  values:
    & { data?: string | undefined }
    & { [K in typeof FETCH_FLAGS[number]]?: string | undefined },
): Flags["source"] {
  const given = FETCH_FLAGS.filter((flag) => values[flag] !== undefined);
  if (values.data !== undefined) {
    if (given.length > 0) {
      throw new CliError(`--data cannot be combined with --${given[0]}: pass one source`);
    }
    return { data: values.data };
  }
  if (given.length === 0) {
    throw new CliError(`--data or --symbol/--interval/--from/--to is required (${USAGE})`);
  }
  const missing = FETCH_FLAGS.find((flag) => values[flag] === undefined);
  if (missing) throw new CliError(`--${missing} is required with --${given[0]} (${USAGE})`);
  const symbol = values.symbol!.toUpperCase();
  if (!/^[A-Z0-9]{2,20}$/.test(symbol)) {
    throw new CliError(`--symbol "${values.symbol}" is not a symbol such as BTCUSDT`);
  }
  const interval = values.interval!;
  if (INTERVAL_MS[interval] === undefined) {
    throw new CliError(
      `--interval "${interval}" is not one of ${Object.keys(INTERVAL_MS).join(", ")}`,
    );
  }
  const from = dateFlag("from", values.from!);
  const to = dateFlag("to", values.to!);
  if (from >= to) {
    throw new CliError(`--from "${values.from}" must be before --to "${values.to}"`);
  }
  return { symbol, interval, from, to };
}

/** `2024-01-01` (UTC midnight) or an ISO time (UTC unless it names an offset) → Unix ms. */
function dateFlag(name: string, raw: string): number {
  const match =
    /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?))?(Z|[+-]\d{2}:\d{2})?$/
      .exec(raw.trim());
  const ms = match ? Date.parse(`${match[1]}T${match[2] ?? "00:00"}${match[3] ?? "Z"}`) : NaN;
  // Date.parse rolls 2024-02-31 over to March 2: a day that does not round-trip is invalid.
  const rolledOver = match !== null && match[3] === undefined && Number.isFinite(ms) &&
    new Date(ms).toISOString().slice(0, 10) !== match[1];
  if (!Number.isFinite(ms) || rolledOver) {
    throw new CliError(`--${name} "${raw}" is not a date such as 2024-01-01 or 2024-01-01T12:00Z`);
  }
  return ms;
}

function numberFlag(
  name: string,
  raw: string | undefined,
  fallback: number,
  ok: (v: number) => boolean,
  range: string,
): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(v) || !ok(v)) {
    throw new CliError(`--${name} "${raw}" must be a number ${range}`);
  }
  return v;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new CliError(`Cannot read ${what} "${path}": ${firstLine(e)}`);
  }
}

async function loadStrategy(path: string): Promise<StrategyDefinition> {
  const text = await readText(path, "strategy");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CliError(`Cannot read strategy "${path}": invalid JSON: ${firstLine(e)}`);
  }
  return parseStrategy(json);
}

/** Typical spacing of the candles, to warn when the strategy names another interval. */
function spacingMs(series: CandleSeries): number {
  const n = Math.min(series.length, 1000);
  const gaps: number[] = [];
  for (let i = 1; i < n; i++) gaps.push(series.openTime[i]! - series.openTime[i - 1]!);
  gaps.sort((a, b) => a - b);
  return gaps[gaps.length >> 1] ?? 0;
}

function progressBar(): (fraction: number) => void {
  const start = performance.now();
  const show = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  let drawn = false;
  return (fraction) => {
    if (!show || (performance.now() - start < 1000 && !drawn)) return;
    drawn = true;
    const width = 30;
    const full = Math.round(fraction * width);
    const bar = `\r[${"#".repeat(full)}${" ".repeat(width - full)}] ${
      (fraction * 100).toFixed(0)
    }%`;
    Deno.stderr.writeSync(encoder.encode(fraction >= 1 ? `${bar}\n` : bar));
  };
}

async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args);
  if (flags === "help") {
    console.log(USAGE);
    return;
  }
  const definition = await loadStrategy(flags.strategy);
  const source = flags.source;
  let series: CandleSeries;
  if ("data" in source) {
    series = parseKlinesCsv(await readText(source.data, "klines"));
    if (series.length === 0) {
      throw new CliError(`Cannot run backtest: "${source.data}" holds no candles`);
    }
  } else {
    if (source.symbol !== definition.symbol) {
      console.error(
        `warning: backtesting "${source.symbol}" but the strategy trades "${definition.symbol}"`,
      );
    }
    series = await fetchSeries(source);
    if (series.length === 0) {
      throw new CliError(
        `Cannot run backtest: the exchange has no "${source.symbol}" ${source.interval} candles ` +
          `from ${day(source.from)} to ${day(source.to)}`,
      );
    }
  }
  const spacing = spacingMs(series);
  if (spacing > 0 && spacing !== INTERVAL_MS[definition.interval]) {
    const name = Object.entries(INTERVAL_MS).find(([, ms]) => ms === spacing)?.[0];
    const apart = name ?? `${spacing} ms`;
    console.error(
      `warning: the candles are ${apart} apart but the strategy's interval is "${definition.interval}"`,
    );
  }
  const started = performance.now();
  const report = runBacktest(definition, series, {
    feeRate: flags.fee,
    slippageBps: flags.slippageBps,
    initialBalance: flags.initialBalance,
    onProgress: progressBar(),
  });
  const elapsedMs = performance.now() - started;
  if (flags.json) console.log(JSON.stringify(toJson(report, elapsedMs)));
  else printReport(definition, report, elapsedMs);
}

/**
 * Candles of `source` from the klines cache, fetching what it lacks from
 * BINANCE_REST_URL; the database is migrated first, so a fresh AURA_DATA_DIR works.
 */
async function fetchSeries(source: FetchSource): Promise<CandleSeries> {
  const config = loadConfig();
  const db = await openDb({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.AURA_DATA_DIR,
    poolSize: 2,
  });
  try {
    await migrate(db);
    const market = new MarketData({ db, clock: systemClock, restUrl: config.BINANCE_REST_URL });
    const klines = await market.getHistory(source.symbol, source.interval, source.from, source.to);
    // Number(decimal string) is exactly what the CSV parser yields for the same text.
    return seriesFromCandles(klines.map((k) => ({
      openTime: k.openTime,
      closeTime: k.closeTime,
      open: Number(k.open),
      high: Number(k.high),
      low: Number(k.low),
      close: Number(k.close),
      volume: Number(k.volume),
    })));
  } finally {
    await db.close();
  }
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T00:00", "");

/** The report as one JSON object: the result fields, `candles`, `elapsedMs`, an equity summary. */
function toJson(report: BacktestReport, elapsedMs: number) {
  const { equityCurve, ...rest } = report;
  let min = Infinity, max = -Infinity;
  for (const e of equityCurve.equity) {
    if (e < min) min = e;
    if (e > max) max = e;
  }
  return {
    ...rest,
    elapsedMs: Math.round(elapsedMs * 1000) / 1000,
    equity: { points: equityCurve.equity.length, min, max, final: report.finalEquity },
  };
}

const time = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");
const money = (v: number) => v.toFixed(2);
const MAX_TRADES_SHOWN = 50;

function printReport(def: StrategyDefinition, r: BacktestReport, elapsedMs: number): void {
  const rows: [string, string][] = [
    ["strategy", `${def.name} (${def.symbol} ${def.interval})`],
    ["candles", `${r.candles} in ${elapsedMs.toFixed(1)} ms`],
    ["trades", `${r.totalTrades} (${r.winningTrades} won, ${r.losingTrades} lost)`],
    ["win rate", `${(r.winRate * 100).toFixed(1)} %`],
    ["total P&L", `${money(r.totalPnl)} USDT (net of fees)`],
    ["final equity", `${money(r.finalEquity)} USDT (from ${money(r.initialBalance)})`],
    ["max drawdown", `${r.maxDrawdown.toFixed(2)} %`],
    ["Sharpe ratio", r.sharpeRatio.toFixed(3)],
    ["halted", r.haltedAt === null ? "no" : `at ${time(r.haltedAt)} (drawdown limit)`],
  ];
  if (r.openPosition) {
    const p = r.openPosition;
    rows.push([
      "open position",
      `${+p.quantity.toFixed(8)} @ ${+p.entryPrice.toFixed(8)} since ${time(p.entryTime)}`,
    ]);
  }
  if (r.insufficientCashEntries > 0) {
    rows.push(["skipped entries", `${r.insufficientCashEntries} (insufficient cash)`]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  if (r.trades.length === 0) return;
  console.log("");
  const header = ["entry time", "entry", "exit time", "exit", "quantity", "status", "pnl", "fees"];
  const lines = r.trades.slice(0, MAX_TRADES_SHOWN).map((t) => [
    time(t.entryTime),
    String(+t.entryPrice.toFixed(8)),
    time(t.exitTime),
    String(+t.exitPrice.toFixed(8)),
    String(+t.quantity.toFixed(8)),
    t.status,
    money(t.pnl),
    money(t.fees),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) =>
    cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  console.log(format(header));
  for (const line of lines) console.log(format(line));
  if (r.trades.length > MAX_TRADES_SHOWN) {
    console.log(`… ${r.trades.length - MAX_TRADES_SHOWN} more trades (use --json for all)`);
  }
}

function firstLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.split("\n")[0]!.trim();
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    // Every failure is one line: the message, never the stack.
    console.error(`error: ${firstLine(e)}`);
    Deno.exit(1);
  }
}
