/**
 * `deno task sim`: runs the Binance-compatible simulator and feeds it candles.
 *
 * ```sh
 * deno task sim --port 9443 --data ../shared/data/klines/BTCUSDT-1m-2025-05-20_2025-08-17.csv \
 *   --symbol BTCUSDT --interval 1m --speed 600 --seed 42 --account KEY:SECRET:USDT=10000
 * ```
 *
 * `--symbol`, `--interval` and `--data` repeat to run several markets at once
 * (paired by position). Without `--data` a market is a seeded random walk. `--speed` is candles
 * per second; `--warmup N` pushes the first N candles at once so
 * `/api/v3/klines` has history before the replay starts; `--rebase` shifts
 * CSV candle times so the replay starts at the current time.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { INTERVAL_MS } from "../engine/candle.ts";
import { AuraError, ErrorCode } from "../engine/errors.ts";
import { randomWalk } from "./random_walk.ts";
import { driveCandles, parseKlineCsv, startReplay } from "./replay.ts";
import type { Replay } from "./replay.ts";
import { START_PRICES, startSimulator } from "./server.ts";
import { KNOWN_SYMBOLS } from "./symbols.ts";

/** Parses `KEY:SECRET:USDT=10000,BTC=0.5` into an account. */
export function parseAccount(
  spec: string,
): { apiKey: string; secret: string; balances: Record<string, string> } {
  const [apiKey, secret, balanceList = ""] = spec.split(":");
  if (!apiKey || !secret) {
    throw new AuraError(
      ErrorCode.VALIDATION_FAILED,
      `Cannot read --account "${spec}": expected KEY:SECRET:ASSET=AMOUNT,…`,
    );
  }
  const balances: Record<string, string> = {};
  for (const pair of balanceList.split(",").filter(Boolean)) {
    const [asset, amount] = pair.split("=");
    if (!asset || !amount || !/^\d+(\.\d+)?$/.test(amount)) {
      throw new AuraError(
        ErrorCode.VALIDATION_FAILED,
        `Cannot read balance "${pair}" of --account: expected ASSET=AMOUNT`,
      );
    }
    balances[asset.toUpperCase()] = amount;
  }
  return { apiKey, secret, balances };
}

/** One replayed or generated market of the CLI. */
interface MarketSpec {
  symbol: string;
  interval: string;
  data: string | undefined;
}

/** Pairs repeated `--symbol`, `--interval` and `--data` flags by position (a single value applies to all). */
export function marketSpecs(symbols: string[], intervals: string[], data: string[]): MarketSpec[] {
  const count = Math.max(symbols.length, intervals.length, data.length, 1);
  const pick = (values: string[], i: number, fallback: string | undefined, flag: string) => {
    if (values.length === 0) return fallback;
    if (values.length === 1) return values[0];
    if (values.length !== count) {
      throw new AuraError(
        ErrorCode.VALIDATION_FAILED,
        `Cannot pair --${flag}: give it once or ${count} times (one per market)`,
      );
    }
    return values[i];
  };
  return Array.from({ length: count }, (_, i) => ({
    symbol: pick(symbols, i, "BTCUSDT", "symbol")!.toUpperCase(),
    interval: pick(intervals, i, "1m", "interval")!,
    data: pick(data, i, undefined, "data"),
  }));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string", default: "9443" },
      hostname: { type: "string", default: "127.0.0.1" },
      data: { type: "string", multiple: true, default: [] },
      symbol: { type: "string", multiple: true, default: [] },
      interval: { type: "string", multiple: true, default: [] },
      speed: { type: "string", default: "1" },
      seed: { type: "string", default: "42" },
      warmup: { type: "string", default: "0" },
      rebase: { type: "boolean", default: false },
      account: { type: "string", multiple: true, default: [] },
      "fee-rate": { type: "string", default: "0.001" },
      "commission-asset": { type: "string", default: "quote" },
      "kline-updates": { type: "string", default: "0" },
    },
  });
  const markets = marketSpecs(values.symbol, values.interval, values.data);
  const sim = await startSimulator({
    port: Number(values.port),
    hostname: values.hostname,
    seed: Number(values.seed),
    feeRate: Number(values["fee-rate"]),
    commissionAsset: values["commission-asset"] === "base" || values["commission-asset"] === "bnb"
      ? values["commission-asset"]
      : "quote",
    klineUpdates: Number(values["kline-updates"]),
    symbols: [...new Set([...Object.keys(KNOWN_SYMBOLS), ...markets.map((m) => m.symbol)])],
  });
  for (const spec of values.account) {
    const account = parseAccount(spec);
    sim.addAccount(account.apiKey, account.secret, account.balances);
  }
  const warmup = Number(values.warmup);
  const replays: Replay[] = [];
  for (const [i, market] of markets.entries()) {
    const timing = {
      symbol: market.symbol,
      interval: market.interval,
      speed: Number(values.speed),
      warmup,
      ...(values.rebase ? { rebaseTo: Date.now() } : {}),
      onEnd: () => console.log(`Replay of ${market.symbol} ${market.interval} finished`),
    };
    if (market.data) {
      const candles = parseKlineCsv(await Deno.readTextFile(market.data));
      replays.push(await startReplay(sim, { ...timing, candles }));
      continue;
    }
    const source = randomWalk({
      symbol: market.symbol,
      interval: market.interval,
      startPrice: Number(START_PRICES[market.symbol] ?? 100),
      // Warm-up candles end now, so the walk continues from the present.
      startTime: Date.now() - warmup * (INTERVAL_MS[market.interval] ?? 60_000),
      seed: Number(values.seed) + i,
    });
    for (let n = 0; n < warmup; n++) {
      sim.pushCandle(market.symbol, source.next().value!, market.interval);
    }
    replays.push(driveCandles(sim, source, Infinity, timing));
  }
  console.log(
    `AURA Binance simulator: REST ${sim.url}/api/v3, streams ${sim.wsUrl}/ws, WebSocket API ${sim.wsUrl}/ws-api/v3`,
  );
  for (const market of markets) {
    const from = market.data ?? `random walk (seed ${values.seed})`;
    console.log(
      `Market ${market.symbol} ${market.interval} from ${from} at ${values.speed} candles/s`,
    );
  }
  const shutdown = async () => {
    for (const replay of replays) replay.stop();
    await sim.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", shutdown);
  Deno.addSignalListener("SIGTERM", shutdown);
}

if (import.meta.main) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(1);
  });
}
