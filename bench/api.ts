/**
 * HTTP API latency under a constant request rate: the real app served by
 * `Deno.serve` on 127.0.0.1 (in a Worker, so the load generator does not
 * share its event loop), one user with 3 strategies and 1,000 trades, and an
 * open-loop generator sending 500 requests/s for ~10 s per endpoint.
 * Latency is measured from each request's scheduled send time, so a stalled
 * server is not hidden by a stalled client (coordinated omission). Target:
 * p99 ≤ 20 ms.
 *
 * Storage: a fresh database on the local Postgres (the production setup,
 * DATABASE_URL) when it answers, else embedded PGlite; `--db pglite` forces
 * PGlite (WASM on the server's thread: ~2 ms per query here, so it saturates
 * well below 500 requests/s).
 *
 * `deno run -A bench/api.ts [--rate 500] [--seconds 10] [--db postgres|pglite]`
 *
 * @module
 */
import { createTestApp, registerUser } from "../tests/helpers/api.ts";
import { type DbKind, freshDb } from "../tests/helpers/db.ts";
import { postgresAvailable } from "../tests/helpers/services.ts";
import { createStrategy } from "../db/strategies.ts";
import { closeTrade, insertOpenTrade } from "../db/trades.ts";

/** Figures of one endpoint run. */
interface RunFigures {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  achievedRps: number;
  errors: number;
}

const ENDPOINTS = ["/api/v1/settings", "/api/v1/portfolio/overview", "/api/v1/strategies"];
const MAX_IN_FLIGHT = 256;

// ---------------------------------------------------------------------------
// Server side (runs inside the Worker).

async function serveSeededApp(kind: DbKind): Promise<{ url: string; token: string }> {
  const { db } = await freshDb(kind);
  // The limiter stays on the path (in-memory KV), with a budget the load cannot exhaust.
  const t = await createTestApp({ db, env: { RATE_LIMIT_PER_MINUTE: "1000000" } });
  const user = await registerUser(t.app, "bench_user");
  const strategyIds: number[] = [];
  for (const symbol of ["BTCUSDT", "ETHUSDT", "SOLUSDT"]) {
    const s = await createStrategy(t.db, user.userId, {
      name: `Bench ${symbol}`,
      symbol,
      interval: "1h",
      entryConditions: [],
      exitConditions: [],
      riskParams: { positionSizeUsd: 100, takeProfitPercent: 2, stopLossPercent: 1 },
    });
    strategyIds.push(s.id);
  }
  const start = Date.UTC(2026, 0, 1);
  await t.db.transaction(async (tx) => {
    for (let i = 0; i < 1_000; i++) {
      const price = 60_000 + (i % 97) * 10;
      const trade = await insertOpenTrade(tx, {
        userId: user.userId,
        strategyId: strategyIds[i % 3]!,
        symbol: ["BTCUSDT", "ETHUSDT", "SOLUSDT"][i % 3]!,
        isPaper: true,
        signalId: `bench:${i}:ENTRY`,
        clientOrderIdEntry: `bench-entry-${i}`,
        binanceOrderIdEntry: String(100_000 + i),
        entryPrice: String(price),
        quantity: "0.00166",
        entryFee: "0.0996",
        entryTimestamp: new Date(start + i * 3_600_000),
      });
      // All but the last 5 are closed, alternating take-profit and stop-loss.
      if (i < 995) {
        const win = i % 3 !== 0;
        const exit = win ? price * 1.02 : price * 0.99;
        await closeTrade(tx, trade.id, {
          status: win ? "CLOSED_TP" : "CLOSED_SL",
          exitPrice: exit.toFixed(2),
          exitTimestamp: new Date(start + i * 3_600_000 + 1_800_000),
          pnl: ((exit - price) * 0.00166).toFixed(8),
          exitFee: "0.1",
        });
      }
    }
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    t.app.fetch,
  );
  const addr = server.addr as Deno.NetAddr;
  return { url: `http://127.0.0.1:${addr.port}`, token: user.accessToken };
}

// ---------------------------------------------------------------------------
// Load generator (main thread).

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function constantRate(
  url: string,
  token: string,
  rate: number,
  durationMs: number,
): Promise<RunFigures> {
  const latencies: number[] = [];
  let errors = 0;
  let inFlight = 0;
  let sent = 0;
  const total = Math.round((rate * durationMs) / 1000);
  const started = performance.now();
  const pending: Promise<void>[] = [];
  const fire = (scheduledAt: number) => {
    inFlight++;
    pending.push(
      fetch(url, { headers: { Authorization: `Bearer ${token}` } })
        .then(async (res) => {
          await res.arrayBuffer();
          if (res.status !== 200) errors++;
          latencies.push(performance.now() - scheduledAt);
        })
        .catch(() => {
          errors++;
        })
        .finally(() => {
          inFlight--;
        }),
    );
  };
  while (sent < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - started) * rate) / 1000) + 1);
    while (sent < due) {
      const scheduledAt = started + (sent * 1000) / rate;
      // Bounded: past MAX_IN_FLIGHT the request is counted as an error, not queued.
      if (inFlight >= MAX_IN_FLIGHT) errors++;
      else fire(scheduledAt);
      sent++;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(pending);
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? NaN,
    achievedRps: (latencies.length * 1000) / elapsed,
    errors,
  };
}

/**
 * Runs the benchmark; figures keyed `<endpoint> p50 ms`, `p99 ms`, ... .
 * `budgetMs` bounds the measured seconds per endpoint (default 10 s).
 */
export async function benchApi(
  budgetMs = 10_000,
  rate = 500,
  kind: DbKind = postgresAvailable ? "postgres" : "pglite",
): Promise<Record<string, number>> {
  const worker = new Worker(`${import.meta.url}?kind=${kind}`, { type: "module" });
  try {
    const ready = await new Promise<{ url: string; token: string }>((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(e.message));
    });
    const figures: Record<string, number> = {
      [`postgres storage (1 = yes, 0 = pglite)`]: kind === "postgres" ? 1 : 0,
    };
    // Unknown user vs wrong password: both should cost one bcrypt verification.
    const login = async (username: string) => {
      const started = performance.now();
      const res = await fetch(`${ready.url}/api/v1/auth/login`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username, password: "not the password 1" }),
      });
      await res.body?.cancel();
      return performance.now() - started;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 4; i++) {
      known.push(await login("bench_user"));
      unknown.push(await login(`nobody_${i}`));
    }
    figures["login wrong password median ms"] = round(median(known));
    figures["login unknown user median ms"] = round(median(unknown));
    for (const path of ENDPOINTS) {
      // Warm-up: JIT, connection pool, PGlite caches.
      await constantRate(ready.url + path, ready.token, rate, 1_000);
      const f = await constantRate(ready.url + path, ready.token, rate, budgetMs);
      const name = path.replace("/api/v1/", "GET ");
      figures[`${name} p50 ms`] = round(f.p50Ms);
      figures[`${name} p99 ms`] = round(f.p99Ms);
      figures[`${name} max ms`] = round(f.maxMs);
      figures[`${name} achieved req/s`] = round(f.achievedRps);
      figures[`${name} errors`] = f.errors;
    }
    return figures;
  } finally {
    worker.terminate();
  }
}

const round = (v: number) => Math.round(v * 100) / 100;
const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);

const inWorker = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !==
    "undefined" &&
  globalThis instanceof
    (globalThis as unknown as { WorkerGlobalScope: new () => unknown }).WorkerGlobalScope;

if (inWorker) {
  const kind = new URL(import.meta.url).searchParams.get("kind") === "pglite"
    ? "pglite"
    : "postgres";
  const ready = await serveSeededApp(kind);
  (globalThis as unknown as { postMessage(v: unknown): void }).postMessage(ready);
} else if (import.meta.main) {
  const arg = (name: string, fallback: number) => {
    const i = Deno.args.indexOf(`--${name}`);
    return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
  };
  const dbFlag = Deno.args.indexOf("--db");
  const kind = dbFlag >= 0 ? Deno.args[dbFlag + 1] as DbKind : undefined;
  const figures = await benchApi(arg("seconds", 10) * 1000, arg("rate", 500), kind);
  for (const [k, v] of Object.entries(figures)) console.log(`api ${k}: ${v}`);
}
