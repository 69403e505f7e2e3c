/**
 * The HTTP application: health, metrics, the /api/v1 API and the pages,
 * composed from the dependencies main.ts opened. Thin: routes validate, call
 * services, map. Every response carries the security headers; every error is
 * `{ error: { code, message } }` (see routes/api/_middleware.ts).
 *
 * @module
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { routePath } from "hono/route";
import type { Config } from "./config.ts";
import type { Db } from "./db/port.ts";
import type { Clock } from "./engine/clock.ts";
import type { Exchange } from "./engine/ports/exchange.ts";
import type { EventHub } from "./services/events.ts";
import type { JwtKeys } from "./services/auth/jwt.ts";
import type { MasterKeys } from "./services/secrets.ts";
import type { RateLimiter } from "./services/rate_limit.ts";
import type { MetricsRegistry } from "./services/metrics.ts";
import type { KeyValidator } from "./services/api_keys.ts";
import { apiRoutes } from "./routes/api/mod.ts";
import { errorHandler, installSession, notFoundHandler } from "./routes/api/_middleware.ts";
import { createPages, type PipelineHealth } from "./routes/mod.tsx";
import { accessTokensFor } from "./routes/api/auth.ts";
import { systemRoutes } from "./routes/api/system.ts";

/** One readiness check: resolves `{ ok }` (with an optional detail); a throw counts as not ok. */
export type HealthCheck = () => Promise<{ ok: boolean; detail?: string }>;

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
  /** Per-user event fan-out behind SSE. */
  events: EventHub;
  /** Key material: `jwt` signs/verifies access tokens, `master` encrypts exchange secrets. */
  keys: { jwt: JwtKeys; master: MasterKeys };
  /** Rate limit counters (Redis or Deno KV). */
  rateLimiter: RateLimiter;
  /** The /metrics registry; other modules add their gauges and counters to it. */
  metrics: MetricsRegistry;
  /** Validates Binance keys against the exchange (default: ccxt against BINANCE_REST_URL). */
  keyValidator?: KeyValidator;
  /** Extra readiness checks shown by /health (the pipeline adds market data, bus, ...). */
  healthChecks?: Record<string, HealthCheck>;
  /** The exchange of a user in their current trading mode (portfolio balances, manual close). */
  exchangeFactory?: (userId: number) => Promise<Exchange>;
  /** Pipeline health for the pages' first paint (the SSE stream updates it). */
  pipelineHealth?: () => Promise<PipelineHealth> | PipelineHealth;
  /** Latest price of a symbol as a decimal string, for the pages' first paint. */
  latestPrice?: (symbol: string) => Promise<string | null> | string | null;
}

/** Largest accepted request body. */
export const BODY_LIMIT_BYTES = 64 * 1024;

// 'self' scripts only (the islands bundle); inline styles are allowed because
// server-rendered components set style attributes.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Builds the Hono app. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const requests = deps.metrics.counter(
    "http_requests_total",
    "HTTP requests by method, route and status",
    ["method", "route", "status"],
  );
  const durations = deps.metrics.histogram(
    "http_request_duration_seconds",
    "HTTP request duration by route",
    ["method", "route"],
  );

  app.use("*", async (c, next) => {
    // A caller's (or proxy's) id is kept when it is short and plain, so logs correlate.
    const incoming = c.req.header("x-request-id");
    const id = incoming && /^[A-Za-z0-9._-]{1,64}$/.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId" as never, id as never);
    await next();
    c.res.headers.set("X-Request-Id", id);
  });
  app.use("*", async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const pattern = routePath(c, -1);
    const route = status === 404 && pattern.endsWith("*") ? "unmatched" : pattern;
    requests.inc({ method: c.req.method, route, status: String(status) });
    durations.observe((performance.now() - started) / 1000, { method: c.req.method, route });
  });
  app.use("*", async (c, next) => {
    await next();
    const h = c.res.headers;
    h.set("Content-Security-Policy", CSP);
    h.set("X-Content-Type-Options", "nosniff");
    h.set("X-Frame-Options", "DENY");
    h.set("Referrer-Policy", "strict-origin-when-cross-origin");
    h.set("Cross-Origin-Opener-Policy", "same-origin");
    if (new URL(c.req.url).protocol === "https:") {
      h.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    }
    if (c.req.path.startsWith("/api/") && !h.has("Cache-Control")) {
      h.set("Cache-Control", "no-store");
    }
  });
  const origins = deps.config.CORS_ORIGINS.split(",").map((o) => o.trim()).filter(Boolean);
  if (origins.length) {
    app.use("/api/*", cors({ origin: origins, credentials: true, maxAge: 600 }));
  }
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: BODY_LIMIT_BYTES,
      onError: (c) =>
        c.json({
          error: {
            code: "API_004",
            message: `Request body is larger than ${BODY_LIMIT_BYTES} bytes`,
          },
        }, 413),
    }),
  );
  app.use("*", installSession(accessTokensFor(deps)));

  app.route("/", systemRoutes(deps));
  app.route("/api/v1", apiRoutes(deps));
  app.route("/", createPages(deps));

  app.onError(errorHandler);
  app.notFound(notFoundHandler);
  return app;
}
