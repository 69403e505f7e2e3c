/**
 * The HTTP application: health, the /api/v1 API and the pages, composed from
 * the dependencies main.ts opened. Thin: routes validate, call services, map.
 *
 * @module
 */
import { Hono } from "hono";
import type { Config } from "./config.ts";
import type { Db } from "./db/port.ts";
import type { Clock } from "./engine/clock.ts";

/** What the HTTP layer needs from the composition root. */
export interface AppDeps {
  /** Validated configuration. */
  config: Config;
  /** Storage. */
  db: Db;
  /** Time source. */
  clock: Clock;
  /** Process start time (ms), for uptime. */
  startedAt: number;
}

/** Builds the Hono app. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.get("/health", async (c) => {
    const checks: Record<string, { ok: boolean; detail?: string }> = {};
    try {
      await deps.db.query("SELECT 1");
      checks.database = { ok: true, detail: deps.db.kind };
    } catch {
      checks.database = { ok: false, detail: "unreachable" };
    }
    const ok = Object.values(checks).every((x) => x.ok);
    return c.json({
      status: ok ? "ok" : "degraded",
      uptimeMs: deps.clock.now() - deps.startedAt,
      role: deps.config.AURA_ROLE,
      checks,
    }, ok ? 200 : 503);
  });
  return app;
}
