/**
 * `deno task demo`: AURA trading on your machine with no internet and no
 * keys. It starts the Binance simulator replaying real BTCUSDT 1m candles
 * from ../shared/data/klines (a seeded random walk when that folder is
 * absent), starts AURA (role all, embedded storage, paper trading) pointed
 * at the simulator, creates the user `demo` with an active strategy that
 * trades often, and prints the URL and the password. Ctrl-C stops it all.
 *
 * ```sh
 * deno task demo --speed 120 --port 8000
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { loadConfig } from "../config.ts";
import { createStrategy, setStrategyActive } from "../db/strategies.ts";
import { createUser, findUserByLogin } from "../db/users.ts";
import { INTERVAL_MS } from "../engine/candle.ts";
import type { EngineDeps } from "../engine_host.ts";
import { configureLogging } from "../logger.ts";
import { type Aura, startAura } from "../main.ts";
import { hashPassword } from "../services/auth/passwords.ts";
import { randomWalk } from "../sim/random_walk.ts";
import { driveCandles, parseKlineCsv, type Replay } from "../sim/replay.ts";
import { type Simulator, startSimulator } from "../sim/server.ts";

/** The strategy the demo user gets: a fast EMA cross with tight take-profit and stop-loss. */
export const DEMO_STRATEGY = {
  name: "Demo: EMA 5/13 cross",
  symbol: "BTCUSDT",
  interval: "1m",
  entryConditions: [{
    left: { indicator: "EMA", period: 5 },
    op: "crosses_above",
    right: { indicator: "EMA", period: 13 },
  }],
  exitConditions: [{ left: { indicator: "RSI", period: 7 }, op: ">", right: { value: 72 } }],
  riskParams: {
    positionSizeUsd: 500,
    takeProfitPercent: 0.3,
    stopLossPercent: 0.25,
    maxDrawdownPercent: 50,
  },
};

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** HTTP port of AURA (0 = any free one). */
  port: number;
  /** Replay speed, candles per second. */
  speed: number;
  /** Data directory (default: a new temporary one). */
  dataDir?: string;
  /** Kline CSV to replay (default: the BTCUSDT 1m file of ../shared/data/klines, if present). */
  csv?: string | URL | null;
  /** Candles pushed before AURA starts, so warm-up history exists (default 600). */
  warmup?: number;
  /** Seed of the random walk used without a CSV. */
  seed?: number;
  /** Starts the execution worker (default: none, AURA then shows signals only). */
  startExecution?: EngineDeps["startExecution"];
}

/** A running demo. */
export interface Demo {
  /** AURA's URL. */
  url: string;
  /** Demo user name. */
  username: string;
  /** Its password (random per data directory). */
  password: string;
  /** Where the market comes from. */
  market: string;
  /** The simulator. */
  sim: Simulator;
  /** AURA. */
  aura: Aura;
  /** The replay. */
  replay: Replay;
  /** Stops the replay, AURA and the simulator. */
  stop(): Promise<void>;
}

const DEFAULT_CSV = new URL(
  "../../shared/data/klines/BTCUSDT-1m-2025-05-20_2025-08-17.csv",
  import.meta.url,
);

async function exists(path: string | URL): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Starts the simulator, the replay and AURA; see the module doc. */
export async function runDemo(options: DemoOptions): Promise<Demo> {
  const csv = options.csv === undefined
    ? ((await exists(DEFAULT_CSV)) ? DEFAULT_CSV : null)
    : options.csv;
  const warmup = options.warmup ?? 600;
  const sim = await startSimulator({ port: 0 });
  const candles = csv ? parseKlineCsv(await Deno.readTextFile(csv)) : null;
  const source = candles ? candles[Symbol.iterator]() : randomWalk({
    symbol: "BTCUSDT",
    interval: "1m",
    startPrice: 60_000,
    startTime: Date.now() - warmup * INTERVAL_MS["1m"]! - 3_600_000 * 24 * 30,
    seed: options.seed ?? 42,
    volatility: 0.003,
  });
  // History first: the strategy warms up from it through REST.
  for (let i = 0; i < warmup; i++) {
    const next = source.next();
    if (next.done) break;
    sim.pushCandle("BTCUSDT", next.value, "1m");
  }
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "aura-demo-" });
  const config = loadConfig({
    AURA_ROLE: "all",
    AURA_DATA_DIR: dataDir,
    PORT: String(options.port),
    HOST: "127.0.0.1",
    BINANCE_REST_URL: sim.url,
    BINANCE_WS_URL: sim.wsUrl,
    AURA_MARKET_DATA: "binance",
    AURA_BUS: "memory",
    LOG_LEVEL: Deno.env.get("LOG_LEVEL") ?? "WARN",
    RATE_LIMIT_ENABLED: "false",
  });
  let aura: Aura;
  try {
    aura = await startAura(config, { startExecution: options.startExecution });
  } catch (error) {
    await sim.close();
    throw error;
  }
  const { username, password } = await ensureDemoUser(aura);
  const replay = driveCandles(sim, source, candles ? candles.length - warmup : Infinity, {
    symbol: "BTCUSDT",
    interval: "1m",
    speed: options.speed,
  });
  let stopped = false;
  return {
    url: aura.url!,
    username,
    password,
    market: csv ? `replay of ${csv instanceof URL ? csv.pathname : csv}` : "seeded random walk",
    sim,
    aura,
    replay,
    async stop() {
      if (stopped) return;
      stopped = true;
      replay.stop();
      await aura.stop();
      await sim.close();
    },
  };
}

/** Creates (or reuses) the demo user with a new password and one active demo strategy. */
async function ensureDemoUser(aura: Aura): Promise<{ username: string; password: string }> {
  const username = "demo";
  const password = `demo-${crypto.randomUUID().slice(0, 8)}`;
  const passwordHash = await hashPassword(password);
  let user = await findUserByLogin(aura.db, username);
  if (user) {
    await aura.db.query("UPDATE users SET password_hash = $2 WHERE id = $1", [
      user.id,
      passwordHash,
    ]);
  } else {
    user = await createUser(aura.db, { username, email: "demo@aura.local", passwordHash });
  }
  const [existing] = await aura.db.query(
    "SELECT id FROM strategies WHERE user_id = $1 AND name = $2",
    [user.id, DEMO_STRATEGY.name],
  );
  const id = existing
    ? Number(existing.id)
    : (await createStrategy(aura.db, user.id, DEMO_STRATEGY)).id;
  await setStrategyActive(aura.db, user.id, id, true);
  await aura.engine?.onStrategyChanged(id, user.id);
  return { username, password };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string", default: "8000" },
      speed: { type: "string", default: "60" },
      "data-dir": { type: "string" },
      data: { type: "string" },
      seed: { type: "string", default: "42" },
    },
  });
  configureLogging({ level: "WARN" });
  console.log("Starting the AURA demo (simulator + AURA) ...");
  const demo = await runDemo({
    port: Number(values.port),
    speed: Number(values.speed),
    seed: Number(values.seed),
    ...(values["data-dir"] ? { dataDir: values["data-dir"] } : {}),
    ...(values.data ? { csv: values.data } : {}),
  });
  console.log(
    [
      "",
      `  AURA is running: ${demo.url}`,
      `  Log in as "${demo.username}" with password "${demo.password}"`,
      `  Market: BTCUSDT 1m, ${demo.market}, ${values.speed} candles/s (simulator at ${demo.sim.url})`,
      `  Strategy: "${DEMO_STRATEGY.name}" (active, paper trading)`,
      "  Press Ctrl-C to stop.",
      "",
    ].join("\n"),
  );
  const shutdown = async () => {
    console.log("Stopping the demo ...");
    await demo.stop();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", shutdown);
  Deno.addSignalListener("SIGTERM", shutdown);
}

if (import.meta.main) {
  main().catch((error) => {
    console.error(
      `The demo could not start: ${error instanceof Error ? error.message : String(error)}`,
    );
    Deno.exit(1);
  });
}
