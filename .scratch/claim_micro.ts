import { openPostgres } from "../db/postgres.ts";
import { claimEntries } from "../services/_order_intents.ts";
const db = await openPostgres("postgres://postgres@127.0.0.1:5432/aura_bench_e2e");
const strat = await db.query("SELECT id, user_id FROM strategies ORDER BY id LIMIT 4");
const times: number[] = [];
const payload = JSON.parse(JSON.stringify({ quoteOrderQty: "100.00", clientOrderId: "x", symbol: "BTCUSDT", risk: { positionSizeUsd: 100, takeProfitPercent: 2, stopLossPercent: 1, maxDrawdownPercent: 50 }, trace: { candleCloseTime: 1, klineReceivedAt: 1.2, signalAt: 3.3 }, latency: { candleCloseTime: 1, klineReceivedAt: 1.2, signalAt: 3.3, receivedAt: 4.4, claimAt: 5.5 } }));
for (let i = 0; i < 60; i++) {
  await new Promise((r) => setTimeout(r, Number(Deno.args[0] ?? 50)));
  const n = Number(Deno.args[1] ?? 4);
  const t0 = performance.now();
  await Promise.all(strat.slice(0, n).map((s, k) => claimEntries(db, [{
    clientOrderId: `micro-${crypto.randomUUID().slice(0,20)}`, userId: Number(s.user_id), strategyId: Number(s.id),
    signalId: `sig-${i}-${k}-${crypto.randomUUID()}`, kind: "ENTRY", symbol: "BTCUSDT", isPaper: true, payload,
  } as any])));
  times.push(performance.now() - t0);
}
await db.query("DELETE FROM order_intents WHERE client_order_id LIKE 'micro-%'");
times.sort((a, b) => a - b);
console.log("p50", times[30].toFixed(2), "p90", times[54].toFixed(2), "max", times[59].toFixed(2));
await db.close();
