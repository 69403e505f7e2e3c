/**
 * Prints the simulator's throughput: signed REST orders, public reads, and
 * candle pushes (with roll-ups and resting OCO lists). `deno run -A sim/bench.ts`
 *
 * Figures depend on the machine and its load; they are printed, never asserted.
 *
 * @module
 */

import { createHmac } from "node:crypto";
import { startSimulator } from "./server.ts";

async function rate(
  label: string,
  n: number,
  step: (i: number) => Promise<void> | void,
): Promise<void> {
  for (let i = 0; i < Math.min(200, n); i++) await step(i); // warm-up
  const started = performance.now();
  for (let i = 0; i < n; i++) await step(i);
  const seconds = (performance.now() - started) / 1000;
  console.log(`${label.padEnd(44)} ${(n / seconds).toFixed(0).padStart(7)} /s`);
}

const sim = await startSimulator({ port: 0 });
sim.addAccount("bench", "secret", { USDT: "1000000000", BTC: "1000" });
const signedFetch = (method: string, path: string, params: string) => {
  const query = `${params}&timestamp=${Date.now()}`;
  const signature = createHmac("sha256", "secret").update(query).digest("hex");
  const headers = { "X-MBX-APIKEY": "bench", "Content-Type": "application/x-www-form-urlencoded" };
  return method === "GET"
    ? fetch(`${sim.url}${path}?${query}&signature=${signature}`, { headers })
    : fetch(`${sim.url}${path}`, { method, headers, body: `${query}&signature=${signature}` });
};

try {
  await rate(
    "GET /api/v3/time",
    2000,
    async () => void await (await fetch(`${sim.url}/api/v3/time`)).text(),
  );
  await rate("GET /api/v3/account (signed)", 2000, async () => {
    await (await signedFetch("GET", "/api/v3/account", "omitZeroBalances=true")).text();
  });
  await rate("POST /api/v3/order MARKET (signed, FULL)", 2000, async () => {
    await (await signedFetch(
      "POST",
      "/api/v3/order",
      "symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=10",
    ))
      .text();
  });
  await rate("POST /api/v3/orderList/oco (signed)", 1000, async () => {
    const params =
      "symbol=BTCUSDT&side=SELL&quantity=0.0001&aboveType=LIMIT_MAKER&abovePrice=90000" +
      "&belowType=STOP_LOSS_LIMIT&belowStopPrice=30000&belowPrice=29000&belowTimeInForce=GTC";
    await (await signedFetch("POST", "/api/v3/orderList/oco", params)).text();
  });
  await rate("pushCandle (1m, roll-ups, open OCO lists)", 5000, (i) => {
    const openTime = Date.UTC(2025, 0, 1) + i * 60_000;
    sim.pushCandle("BTCUSDT", {
      openTime,
      closeTime: openTime + 59_999,
      open: "60000.00",
      high: "60100.00",
      low: "59900.00",
      close: "60000.00",
      volume: "1.5",
    });
  });
} finally {
  await sim.close();
}
