/**
 * `deno task backtest --symbol --interval --from --to`: the CLI fetches the
 * klines from a simulator standing in for Binance (BINANCE_REST_URL), caches
 * them in the embedded database under a temporary AURA_DATA_DIR, and reports
 * exactly what the same candles give from a CSV file. Bad flags end with one
 * line and exit 1 before anything is fetched.
 */
import assert from "node:assert/strict";
import type { SimCandle } from "../sim/market.ts";
import { type Simulator, startSimulator } from "../sim/server.ts";

const CLI = new URL("../cli/backtest.ts", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;
const HOUR = 3_600_000;
const START = Date.UTC(2024, 0, 1);
/** More than one 1,000-candle page, so the fetch paginates. */
const CANDLES = 1_200;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function backtest(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    // An empty DATABASE_URL counts as unset: the embedded PGlite under AURA_DATA_DIR is used.
    env: { NO_COLOR: "1", DATABASE_URL: "", ...env },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** Hourly candles from 2024-01-01 oscillating around 42,000 so the strategy trades. */
function hourlyCandles(): SimCandle[] {
  const candles: SimCandle[] = [];
  let previous = 42_000;
  for (let i = 0; i < CANDLES; i++) {
    const close = 42_000 + 900 * Math.sin(i / 6) + 250 * Math.sin(i / 1.7);
    const open = previous;
    const openTime = START + i * HOUR;
    candles.push({
      openTime,
      closeTime: openTime + HOUR - 1,
      open: open.toFixed(2),
      high: (Math.max(open, close) + 40).toFixed(2),
      low: (Math.min(open, close) - 40).toFixed(2),
      close: close.toFixed(2),
      volume: "12.5",
    });
    previous = close;
  }
  return candles;
}

function toCsv(candles: SimCandle[]): string {
  const rows = candles.map((c) =>
    [c.openTime, c.open, c.high, c.low, c.close, c.volume, c.closeTime].join(",")
  );
  return ["open_time,open,high,low,close,volume,close_time", ...rows].join("\n") + "\n";
}

const strategy = {
  name: "EMA cross",
  symbol: "BTCUSDT",
  interval: "1h",
  entryConditions: [
    {
      left: { indicator: "EMA", period: 3 },
      op: "crosses_above",
      right: { indicator: "EMA", period: 8 },
    },
  ],
  exitConditions: [{ left: { indicator: "RSI", period: 5 }, op: ">", right: { value: 75 } }],
  riskParams: {
    positionSizeUsd: 1000,
    takeProfitPercent: 3,
    stopLossPercent: 2,
    maxDrawdownPercent: 50,
  },
};

interface Rig {
  sim: Simulator;
  dir: string;
  candles: SimCandle[];
}

async function withRig(body: (rig: Rig) => Promise<void>): Promise<void> {
  const sim = await startSimulator();
  const dir = await Deno.makeTempDir({ prefix: "aura_cli_fetch_" });
  const candles = hourlyCandles();
  for (const candle of candles) sim.pushCandle("BTCUSDT", candle, "1h");
  await Deno.writeTextFile(`${dir}/strategy.json`, JSON.stringify(strategy));
  try {
    await body({ sim, dir, candles });
  } finally {
    await sim.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const klineRequests = (sim: Simulator) =>
  sim.requestLog.filter((r) => r.path === "/api/v3/klines").length;

/** The report without its run time, the one field that differs between two runs. */
function report(run: Run): Record<string, unknown> {
  assert.equal(run.code, 0, run.stderr);
  const { elapsedMs, ...rest } = JSON.parse(run.stdout);
  assert.equal(typeof elapsedMs, "number");
  return rest;
}

Deno.test("[cli] backtest --symbol fetches the klines, matches the CSV run, then serves them from the cache", () =>
  withRig(async ({ sim, dir, candles }) => {
    const fetchArgs = [
      "--symbol",
      "BTCUSDT",
      "--interval",
      "1h",
      "--from",
      "2024-01-01",
      "--to",
      "2024-02-20",
      "--strategy",
      `${dir}/strategy.json`,
      "--json",
    ];
    const env = { BINANCE_REST_URL: sim.url, AURA_DATA_DIR: `${dir}/data` };
    const fetched = report(await backtest(fetchArgs, env));
    const pages = klineRequests(sim);
    assert.ok(pages >= 2, `paginated fetch, got ${pages} request(s)`);

    // 2024-01-01 .. 2024-02-20 (exclusive) is 50 days of hourly candles.
    const inRange = candles.slice(0, 50 * 24);
    await Deno.writeTextFile(`${dir}/klines.csv`, toCsv(inRange));
    const fromCsv = report(
      await backtest([
        "--data",
        `${dir}/klines.csv`,
        "--strategy",
        `${dir}/strategy.json`,
        "--json",
      ]),
    );
    assert.equal(fetched.candles, inRange.length);
    assert.ok((fetched.totalTrades as number) > 0, "the strategy traded");
    assert.deepEqual(fetched, fromCsv);

    const cached = report(await backtest(fetchArgs, env));
    assert.equal(klineRequests(sim), pages, "the second run sent no klines request");
    assert.deepEqual(cached, fetched);
  }));

Deno.test("[cli] backtest --symbol with an unreachable exchange fails with one line", () =>
  withRig(async ({ dir }) => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const r = await backtest(
      [
        "--symbol",
        "BTCUSDT",
        "--interval",
        "1h",
        "--from",
        "2024-01-01",
        "--to",
        "2024-01-02",
        "--strategy",
        `${dir}/strategy.json`,
      ],
      { BINANCE_REST_URL: `http://127.0.0.1:${port}`, AURA_DATA_DIR: `${dir}/data` },
    );
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr.trimEnd(), /^error: Cannot load "BTCUSDT" 1h klines from the exchange/);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  }));

const badFlags: [string, string[], RegExp][] = [
  [
    "--from after --to",
    ["--symbol", "BTCUSDT", "--interval", "1h", "--from", "2024-02-01", "--to", "2024-01-01"],
    /--from "2024-02-01" must be before --to "2024-01-01"/,
  ],
  [
    "an unknown interval",
    ["--symbol", "BTCUSDT", "--interval", "7m", "--from", "2024-01-01", "--to", "2024-02-01"],
    /--interval "7m" is not one of/,
  ],
  [
    "a missing --symbol",
    ["--interval", "1h", "--from", "2024-01-01", "--to", "2024-02-01"],
    /--symbol is required/,
  ],
  [
    "an impossible date",
    ["--symbol", "BTCUSDT", "--interval", "1h", "--from", "2024-02-31", "--to", "2024-04-01"],
    /--from "2024-02-31" is not a date/,
  ],
  [
    "--data together with --symbol",
    ["--data", "k.csv", "--symbol", "BTCUSDT"],
    /--data cannot be combined with --symbol/,
  ],
];

for (const [what, args, message] of badFlags) {
  Deno.test(`[cli] backtest rejects ${what} with exit 1 and one line on stderr`, async () => {
    // The strategy file does not exist: flags are checked before anything is read or fetched.
    const r = await backtest([...args, "--strategy", "missing.json"], {
      BINANCE_REST_URL: "http://127.0.0.1:9",
    });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^error: /);
    assert.match(lines[0]!, message);
  });
}
