/**
 * GET /api/v1/events: the caller's real-time stream as Server-Sent Events.
 * On connect a `hello` event carries the current health; then every EventHub
 * event of the user (and broadcasts such as prices) is forwarded with its
 * type as the SSE `event:` name; a `: heartbeat` comment every 15 s keeps
 * proxies from closing an idle stream. Closing the connection unsubscribes.
 *
 * Mount: `eventsRoutes(deps)` at `/events` (behind requireAuth).
 *
 * @module
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { AppDeps, HealthCheck } from "../../app.ts";
import type { UserEvent } from "../../services/events.ts";
import { registerRoute } from "../../services/openapi.ts";
import type { ApiEnv } from "./_env.ts";

/** Options of {@link eventsRoutes}. */
export interface EventsOptions {
  /** Interval of heartbeat comments, ms (default 15,000). */
  heartbeatMs?: number;
  /** Events kept for a slow client before the oldest are dropped (default 1,000). */
  maxQueued?: number;
}

async function checkHealth(deps: AppDeps): Promise<Record<string, unknown>> {
  const checks: Record<string, HealthCheck> = {
    database: async () => {
      await deps.db.query("SELECT 1");
      return { ok: true, detail: deps.db.kind };
    },
    ...deps.healthChecks,
  };
  const names = Object.keys(checks);
  const results = await Promise.all(names.map(async (name) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        checks[name]!(),
        new Promise<{ ok: boolean; detail: string }>((resolve) => {
          timer = setTimeout(() => resolve({ ok: false, detail: "timeout" }), 2_000);
        }),
      ]);
    } catch {
      return { ok: false, detail: "failed" };
    } finally {
      clearTimeout(timer);
    }
  }));
  return {
    status: results.every((r) => r.ok) ? "ok" : "degraded",
    checks: Object.fromEntries(names.map((n, i) => [n, results[i]])),
  };
}

/** The per-user SSE stream (mount at /api/v1/events). */
export function eventsRoutes(deps: AppDeps, options: EventsOptions = {}): Hono<ApiEnv> {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxQueued = options.maxQueued ?? 1_000;
  const app = new Hono<ApiEnv>();
  app.get("/", (c) => {
    const userId = c.get("auth").userId;
    c.header("Cache-Control", "no-store");
    c.header("X-Accel-Buffering", "no"); // nginx: do not buffer the stream
    return streamSSE(c, async (stream) => {
      const queue: UserEvent[] = [];
      let wake: (() => void) | null = null;
      let closed = false;
      const unsubscribe = deps.events.subscribe(userId, (event) => {
        queue.push(event);
        if (queue.length > maxQueued) queue.shift();
        wake?.();
      });
      const heartbeat = setInterval(() => {
        stream.write(": heartbeat\n\n").catch(() => {});
      }, heartbeatMs);
      const close = () => {
        closed = true;
        unsubscribe();
        clearInterval(heartbeat);
        wake?.();
      };
      stream.onAbort(close);
      let id = 0;
      try {
        await stream.writeSSE({
          event: "hello",
          id: String(++id),
          data: JSON.stringify({
            userId,
            serverTime: new Date(deps.clock.now()).toISOString(),
            health: await checkHealth(deps),
          }),
        });
        while (!closed) {
          const event = queue.shift();
          if (event === undefined) {
            await new Promise<void>((resolve) => (wake = resolve));
            wake = null;
            continue;
          }
          await stream.writeSSE({
            event: event.type,
            id: String(++id),
            data: JSON.stringify(event.data),
          });
        }
      } finally {
        close();
      }
    });
  });
  return app;
}

registerRoute({
  method: "get",
  path: "/api/v1/events",
  summary:
    "Server-Sent Events: hello (health), price, trade, strategy, backtest_progress, backtest_done, notification; heartbeat every 15 s",
  auth: true,
});
