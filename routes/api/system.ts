/**
 * Operations endpoints outside /api/v1: GET /health (readiness of the
 * database, the rate-limit store and whatever the pipeline registered; 503
 * when one fails), GET /health/live (the process answers) and GET /metrics
 * (Prometheus text).
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppDeps, HealthCheck } from "../../app.ts";
import { registerRoute } from "../../services/openapi.ts";

/** How long one readiness check may take before it counts as failed. */
export const HEALTH_CHECK_TIMEOUT_MS = 2_000;

async function run(check: HealthCheck): Promise<{ ok: boolean; detail?: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<{ ok: boolean; detail: string }>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: "timed out" }), HEALTH_CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check(), timeout]);
  } catch {
    return { ok: false, detail: "unreachable" };
  } finally {
    clearTimeout(timer);
  }
}

/** The health response. */
export const healthResponse = z.object({
  status: z.enum(["ok", "degraded"]),
  uptimeMs: z.number(),
  role: z.string(),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string().optional() })),
});

/** The system sub-app (mounted at the root). */
export function systemRoutes(deps: AppDeps): Hono {
  const checks: Record<string, HealthCheck> = {
    database: async () => {
      await deps.db.query("SELECT 1");
      return { ok: true, detail: deps.db.kind };
    },
    cache: async () => {
      await deps.rateLimiter.peek("health");
      return { ok: true, detail: deps.config.REDIS_URL ? "redis" : "kv" };
    },
    ...deps.healthChecks,
  };
  const app = new Hono();
  app.get("/health/live", (c) => c.json({ status: "ok" }));
  app.get("/health", async (c) => {
    const names = Object.keys(checks);
    const results = await Promise.all(names.map((n) => run(checks[n]!)));
    const out = Object.fromEntries(names.map((n, i) => [n, results[i]!]));
    const ok = results.every((r) => r.ok);
    return c.json({
      status: ok ? "ok" : "degraded",
      uptimeMs: deps.clock.now() - deps.startedAt,
      role: deps.config.AURA_ROLE,
      checks: out,
    }, ok ? 200 : 503);
  });
  app.get("/metrics", (c) => {
    deps.metrics.gauge("aura_sse_subscribers", "Open event-stream subscriptions").set(
      deps.events.size,
    );
    deps.metrics.gauge("aura_uptime_seconds", "Seconds since start").set(
      (deps.clock.now() - deps.startedAt) / 1000,
    );
    return c.text(deps.metrics.render(), 200, {
      "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
    });
  });
  registerRoute({
    method: "get",
    path: "/health",
    summary: "Readiness: database, cache and pipeline checks (503 when one fails)",
    response: healthResponse,
    auth: false,
    tag: "system",
  });
  registerRoute({
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics (text format)",
    auth: false,
    tag: "system",
  });
  return app;
}
