/**
 * AURA_ROLE wiring of main.ts: `web` serves HTTP without an engine, `engine`
 * runs the pipeline with only a health endpoint, `all` runs both.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../config.ts";
import { configureLogging } from "../logger.ts";
import { startAura } from "../main.ts";
import { waitFor } from "../adapters/bus/_wait.ts";
import { busyStrategy } from "../engine/live/_test_market.ts";

configureLogging({ level: "FATAL" });

async function withAura(
  env: Record<string, string>,
  fn: (aura: Awaited<ReturnType<typeof startAura>>) => Promise<void>,
) {
  const dataDir = await Deno.makeTempDir({ prefix: "aura-roles-" });
  const aura = await startAura(loadConfig({
    AURA_DATA_DIR: dataDir,
    PORT: "0",
    AURA_MARKET_DATA: "none",
    LOG_LEVEL: "FATAL",
    ...env,
  }));
  try {
    await fn(aura);
  } finally {
    await aura.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
}

Deno.test({
  name: "[roles] web serves the UI and API without an engine; engine serves only /health",
  // PGlite and bcrypt keep handles the sanitizers cannot see closed.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withAura({ AURA_ROLE: "web" }, async (aura) => {
      assert.equal(aura.engine, null);
      const health = await (await fetch(`${aura.url}/health`)).json();
      assert.equal(health.role, "web");
      assert.equal(health.checks.pipeline, undefined);
      const login = await fetch(`${aura.url}/login`);
      assert.equal(login.status, 200);
      await login.body?.cancel();
    });
    await withAura({ AURA_ROLE: "engine", AURA_HEALTH_PORT: "0" }, async (aura) => {
      assert.ok(aura.engine);
      const res = await fetch(`${aura.url}/health`);
      const health = await res.json();
      assert.equal(res.status, 200);
      assert.equal(health.bus, "memory");
      assert.equal(health.ingest, null, "AURA_MARKET_DATA=none");
      assert.equal(health.strategy.strategies, 0);
      const api = await fetch(`${aura.url}/api/v1/strategies`);
      assert.equal(api.status, 404, "no API in the engine role");
      await api.body?.cancel();
    });
    await withAura({ AURA_ROLE: "engine" }, (aura) => {
      assert.equal(aura.url, null, "no HTTP at all without AURA_HEALTH_PORT");
      return Promise.resolve();
    });
  },
});

Deno.test({
  name: "[roles] all runs HTTP and the engine; /health reports the pipeline",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withAura({ AURA_ROLE: "all" }, async (aura) => {
      assert.ok(aura.engine);
      const health = await (await fetch(`${aura.url}/health`)).json();
      assert.equal(health.checks.pipeline.ok, true);
      assert.match(health.checks.pipeline.detail, /bus memory, 0 strategies/);

      // The API's strategy changes reach the engine through the hook main.ts wires.
      const headers = { "Content-Type": "application/json" };
      const register = await fetch(`${aura.url}/api/v1/auth/register`, {
        method: "POST",
        headers,
        body: JSON.stringify({
          username: "roles",
          email: "roles@example.com",
          password: "correct horse 42 battery",
        }),
      });
      assert.equal(register.status, 201, await register.clone().text());
      const { accessToken } = await register.json();
      const auth = { ...headers, Authorization: `Bearer ${accessToken}` };
      const created = await fetch(`${aura.url}/api/v1/strategies`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify(busyStrategy()),
      });
      assert.equal(created.status, 201, await created.clone().text());
      const { id } = await created.json();
      const activated = await fetch(`${aura.url}/api/v1/strategies/${id}/activate`, {
        method: "POST",
        headers: auth,
      });
      assert.equal(activated.status, 200, await activated.clone().text());
      await activated.body?.cancel();
      await waitFor(() => aura.engine!.health().strategy.strategies === 1, "strategy running");
      const deactivated = await fetch(`${aura.url}/api/v1/strategies/${id}/deactivate`, {
        method: "POST",
        headers: auth,
      });
      await deactivated.body?.cancel();
      await waitFor(() => aura.engine!.health().strategy.strategies === 0, "strategy stopped");
    });
  },
});
