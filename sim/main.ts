/**
 * `deno task sim`: runs the Binance-compatible simulator and feeds it candles.
 *
 * ```sh
 * deno task sim --port 9443 --data ../shared/data/klines/BTCUSDT-1m-2025-05-20_2025-08-17.csv \
 *   --symbol BTCUSDT --interval 1m --speed 600 --seed 42 --account KEY:SECRET:USDT=10000
 * ```
 *
 * Without `--data` the market is a seeded random walk. `--speed` is candles
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
import { startSimulator } from "./server.ts";

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

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string", default: "9443" },
      hostname: { type: "string", default: "127.0.0.1" },
      data: { type: "string" },
      symbol: { type: "string", default: "BTCUSDT" },
      interval: { type: "string", default: "1m" },
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
  const symbol = values.symbol.toUpperCase();
  const commissionAsset = values["commission-asset"] === "base" ? "base" : "quote";
  const sim = await startSimulator({
    port: Number(values.port),
    hostname: values.hostname,
    seed: Number(values.seed),
    feeRate: Number(values["fee-rate"]),
    commissionAsset,
    klineUpdates: Number(values["kline-updates"]),
  });
  for (const spec of values.account) {
    const account = parseAccount(spec);
    sim.addAccount(account.apiKey, account.secret, account.balances);
  }
  const candles = values.data ? parseKlineCsv(await Deno.readTextFile(values.data)) : undefined;
  const source = randomWalk({
    symbol,
    interval: values.interval,
    startPrice: symbol === "BTCUSDT" ? 60_000 : 100,
    // Warm-up candles end now, so the walk continues from the present.
    startTime: Date.now() - Number(values.warmup) * (INTERVAL_MS[values.interval] ?? 60_000),
    seed: Number(values.seed),
  });
  const timing = {
    symbol,
    interval: values.interval,
    speed: Number(values.speed),
    warmup: Number(values.warmup),
    ...(values.rebase ? { rebaseTo: Date.now() } : {}),
    onEnd: () => console.log(`Replay finished: ${candles?.length ?? 0} candles pushed`),
  };
  let replay: Replay;
  if (candles) replay = await startReplay(sim, { ...timing, candles });
  else {
    for (let i = 0; i < timing.warmup; i++) {
      sim.pushCandle(symbol, source.next().value!, values.interval);
    }
    replay = driveCandles(sim, source, Infinity, timing);
  }
  console.log(
    `AURA Binance simulator: REST ${sim.url}/api/v3, streams ${sim.wsUrl}/ws, WebSocket API ${sim.wsUrl}/ws-api/v3`,
  );
  console.log(
    `Market ${symbol} ${values.interval} from ${
      values.data ?? `random walk (seed ${values.seed})`
    } at ${values.speed} candles/s`,
  );
  const shutdown = async () => {
    replay.stop();
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
