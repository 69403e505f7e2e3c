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
import { createPostgresDatabase } from "./helpers/db.ts";
import { REDIS_TEST_URL, skipWithoutPostgres, skipWithoutRedis } from "./helpers/services.ts";

configureLogging({ level: (Deno.env.get("ROLES_LOG") ?? "FATAL") as "FATAL" });

async function withAura(
  env: Record<string, string>,
  fn: (aura: Awaited<ReturnType<typeof startAura>>) => Promise<void>,
) {
  const dataDir = await Deno.makeTempDir({ prefix: "aura-roles-" });
  const aura = await startAura(loadConfig({
    AURA_DATA_DIR: dataDir,
    PORT: "0",
    AURA_MARKET_DATA: "none",
    LOG_LEVEL: Deno.env.get("ROLES_LOG") ?? "FATAL",
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
      const auth = await registerThrough(aura.url!, "roles");
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

/** Registers a user through the API and returns its bearer headers. */
async function registerThrough(url: string, name: string): Promise<Record<string, string>> {
  const headers = { "Content-Type": "application/json" };
  const register = await fetch(`${url}/api/v1/auth/register`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      username: name,
      email: `${name}@example.com`,
      password: "correct horse 42 battery",
    }),
  });
  assert.equal(register.status, 201, await register.clone().text());
  const { accessToken } = await register.json();
  return { ...headers, Authorization: `Bearer ${accessToken}` };
}

Deno.test({
  name:
    "[roles] a web process and an engine process on one Postgres and Redis: what the web API activates, the engine runs at once",
  ignore: skipWithoutPostgres() || skipWithoutRedis(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const database = await createPostgresDatabase();
    const shared = {
      DATABASE_URL: database.url,
      REDIS_URL: REDIS_TEST_URL,
      AURA_BUS_PREFIX: `aura:test:${crypto.randomUUID().slice(0, 8)}`,
      // No history to warm up from: refused at once.
      BINANCE_REST_URL: "http://127.0.0.1:9",
    };
    try {
      await withAura({ ...shared, AURA_ROLE: "engine" }, async (engine) => {
        await withAura({ ...shared, AURA_ROLE: "web" }, async (web) => {
          assert.equal(web.engine, null);
          const auth = await registerThrough(web.url!, "split");
          const created = await fetch(`${web.url}/api/v1/strategies`, {
            method: "POST",
            headers: auth,
            body: JSON.stringify(busyStrategy()),
          });
          assert.equal(created.status, 201, await created.clone().text());
          const { id } = await created.json();
          const post = async (path: string) => {
            const res = await fetch(`${web.url}/api/v1/strategies/${id}/${path}`, {
              method: "POST",
              headers: auth,
            });
            assert.equal(res.status, 200, await res.clone().text());
            await res.body?.cancel();
          };
          // The engine re-reads every strategy only once a minute: this is the announcement.
          await post("activate");
          await waitFor(() => engine.engine!.health().strategy.strategies === 1, "started", 10_000);
          await post("deactivate");
          await waitFor(() => engine.engine!.health().strategy.strategies === 0, "stopped", 10_000);
        });
      });
    } finally {
      await database.drop();
    }
  },
});
