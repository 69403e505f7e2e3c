import assert from "node:assert/strict";

const CLI = new URL("../cli/backtest.ts", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function backtest(args: string[]): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** Hourly klines oscillating around 100 so the sample strategy trades. */
function klinesCsv(n: number): string {
  const lines = ["open_time,open,high,low,close,volume,close_time"];
  let prev = 100;
  for (let i = 0; i < n; i++) {
    const close = 100 + 8 * Math.sin(i / 6) + 2 * Math.sin(i / 1.7);
    const open = prev;
    const high = Math.max(open, close) + 0.5;
    const low = Math.min(open, close) - 0.5;
    const t = 1_700_000_000_000 + i * 3_600_000;
    lines.push(
      `${t},${open.toFixed(8)},${high.toFixed(8)},${low.toFixed(8)},${close.toFixed(8)},1.5,${
        t + 3_599_999
      }`,
    );
    prev = close;
  }
  return lines.join("\n") + "\n";
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
    takeProfitPercent: 5,
    stopLossPercent: 3,
    maxDrawdownPercent: 50,
  },
};

async function withFiles(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aura_cli_backtest_" });
  try {
    await Deno.writeTextFile(`${dir}/klines.csv`, klinesCsv(300));
    await Deno.writeTextFile(`${dir}/strategy.json`, JSON.stringify(strategy));
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("[cli] backtest --json prints exactly one JSON object with the report fields", async () => {
  await withFiles(async (dir) => {
    const r = await backtest([
      "--data",
      `${dir}/klines.csv`,
      "--strategy",
      `${dir}/strategy.json`,
      "--fee",
      "0.001",
      "--slippage-bps",
      "1",
      "--initial-balance",
      "5000",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split("\n").length, 1);
    const report = JSON.parse(r.stdout);
    for (
      const key of [
        "totalTrades",
        "winningTrades",
        "losingTrades",
        "totalPnl",
        "maxDrawdown",
        "sharpeRatio",
        "winRate",
        "trades",
        "candles",
        "elapsedMs",
      ]
    ) assert.ok(key in report, `missing ${key}`);
    assert.equal(report.candles, 300);
    assert.equal(report.initialBalance, 5000);
    assert.ok(report.totalTrades > 0);
    assert.equal(report.trades.length, report.totalTrades);
    assert.deepEqual(Object.keys(report.trades[0]).sort(), [
      "entryPrice",
      "entryTime",
      "exitPrice",
      "exitTime",
      "fees",
      "pnl",
      "quantity",
      "status",
    ]);
    assert.ok(!("equityCurve" in report));
  });
});

Deno.test("[cli] backtest without --json prints a summary and the trade list", async () => {
  await withFiles(async (dir) => {
    const r = await backtest(["--data", `${dir}/klines.csv`, "--strategy", `${dir}/strategy.json`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /max drawdown/);
    assert.match(r.stdout, /entry time .* status/);
  });
});

const badCases: [string, (dir: string) => string[] | Promise<string[]>][] = [
  [
    "an unreadable data file",
    (dir) => ["--data", `${dir}/missing.csv`, "--strategy", `${dir}/strategy.json`],
  ],
  ["a malformed row", async (dir) => {
    await Deno.writeTextFile(`${dir}/bad.csv`, klinesCsv(5) + "1800000000000,1,2\n");
    return ["--data", `${dir}/bad.csv`, "--strategy", `${dir}/strategy.json`];
  }],
  ["unsorted timestamps", async (dir) => {
    const lines = klinesCsv(5).trim().split("\n");
    [lines[2], lines[3]] = [lines[3]!, lines[2]!];
    await Deno.writeTextFile(`${dir}/unsorted.csv`, lines.join("\n"));
    return ["--data", `${dir}/unsorted.csv`, "--strategy", `${dir}/strategy.json`];
  }],
  ["duplicate timestamps", async (dir) => {
    const lines = klinesCsv(5).trim().split("\n");
    lines.splice(3, 0, lines[3]!);
    await Deno.writeTextFile(`${dir}/dup.csv`, lines.join("\n"));
    return ["--data", `${dir}/dup.csv`, "--strategy", `${dir}/strategy.json`];
  }],
  ["strategy JSON that does not parse", async (dir) => {
    await Deno.writeTextFile(`${dir}/broken.json`, "{ not json");
    return ["--data", `${dir}/klines.csv`, "--strategy", `${dir}/broken.json`];
  }],
  ["invalid strategy rules", async (dir) => {
    const bad = structuredClone(strategy);
    bad.entryConditions[0]!.left.period = 0;
    await Deno.writeTextFile(`${dir}/invalid.json`, JSON.stringify(bad));
    return ["--data", `${dir}/klines.csv`, "--strategy", `${dir}/invalid.json`];
  }],
  [
    "an unknown flag",
    (dir) => ["--data", `${dir}/klines.csv`, "--strategy", `${dir}/strategy.json`, "--turbo"],
  ],
  [
    "a non-numeric --fee",
    (
      dir,
    ) => ["--data", `${dir}/klines.csv`, "--strategy", `${dir}/strategy.json`, "--fee", "cheap"],
  ],
  [
    "a negative --slippage-bps",
    (
      dir,
    ) => [
      "--data",
      `${dir}/klines.csv`,
      "--strategy",
      `${dir}/strategy.json`,
      "--slippage-bps",
      "-1",
    ],
  ],
  [
    "--initial-balance 0",
    (
      dir,
    ) => [
      "--data",
      `${dir}/klines.csv`,
      "--strategy",
      `${dir}/strategy.json`,
      "--initial-balance",
      "0",
    ],
  ],
  ["a missing --strategy", (dir) => ["--data", `${dir}/klines.csv`]],
  [
    "--symbol without --from and --to",
    () => ["--symbol", "BTCUSDT", "--interval", "1h"],
  ],
];

for (const [what, setup] of badCases) {
  Deno.test(`[cli] backtest rejects ${what} with exit 1 and one line on stderr`, async () => {
    await withFiles(async (dir) => {
      const r = await backtest(await setup(dir));
      assert.equal(r.code, 1);
      assert.equal(r.stdout, "");
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /^error: \S/);
      assert.doesNotMatch(r.stderr, /^\s+at /m); // no stack trace
    });
  });
}

Deno.test("[cli] the error for invalid rules names the JSON path", async () => {
  await withFiles(async (dir) => {
    const bad = structuredClone(strategy);
    bad.entryConditions[0]!.left.period = 0;
    await Deno.writeTextFile(`${dir}/invalid.json`, JSON.stringify(bad));
    const r = await backtest(["--data", `${dir}/klines.csv`, "--strategy", `${dir}/invalid.json`]);
    assert.match(r.stderr, /entryConditions\[0\]\.left\.period/);
  });
});

Deno.test("[cli] the example strategies are valid and run", async () => {
  for (const name of ["ema_cross_rsi.json", "rsi_mean_reversion.json", "macd_trend.json"]) {
    const entry = { name };
    await withFiles(async (dir) => {
      const r = await backtest([
        "--data",
        `${dir}/klines.csv`,
        "--strategy",
        new URL(`../examples/${entry.name}`, import.meta.url).pathname,
        "--json",
      ]);
      assert.equal(r.code, 0, `${entry.name}: ${r.stderr}`);
      assert.equal(JSON.parse(r.stdout).candles, 300);
    });
  }
});
