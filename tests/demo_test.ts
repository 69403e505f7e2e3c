/**
 * `deno task demo` end to end, in process: simulator replay → AURA (role
 * all) → the demo user logs in over HTTP and the pipeline evaluates candles
 * and the demo strategy's signals become paper trades.
 */
import assert from "node:assert/strict";
import { waitFor } from "../adapters/bus/_wait.ts";
import { runDemo } from "../cli/demo.ts";
import { configureLogging } from "../logger.ts";

configureLogging({ level: "FATAL" });

Deno.test({
  name: "[demo] the demo starts AURA on the simulator, the demo user logs in and it trades",
  // bcrypt's native thread pool and PGlite keep handles the sanitizers cannot see closed.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "aura-demo-test-" });
    const demo = await runDemo({ port: 0, speed: 400, dataDir, warmup: 300, seed: 7 });
    try {
      const login = await fetch(`${demo.url}/api/v1/auth/login`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: demo.username, password: demo.password }),
      });
      assert.equal(login.status, 200, await login.clone().text());
      await login.body?.cancel();
      const engine = demo.aura.engine!;
      assert.equal(engine.health().strategy.strategies, 1);
      await waitFor(() => engine.health().strategy.signals >= 2, "two signals", 60_000);
      // Paper trading: the execution worker turns signals into trades on the paper exchange.
      await waitFor(
        async () => {
          const [row] = await demo.aura.db.query(
            "SELECT COUNT(*)::int AS n FROM trades WHERE status <> 'OPEN'",
          );
          return Number(row?.n) >= 1;
        },
        "a closed paper trade",
        90_000,
      );
      const health = await fetch(`${demo.url}/health`);
      const body = await health.json();
      assert.equal(body.checks.pipeline.ok, true);
      assert.equal(engine.health().ingest?.stats.anomalies, 0);
    } finally {
      await demo.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
