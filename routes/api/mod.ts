/**
 * The /api/v1 API: public auth endpoints and the OpenAPI document, and every
 * resource behind `requireAuth` plus per-user rate limits. Each resource is a
 * Hono<ApiEnv> sub-app built by a `*Routes(deps)` factory.
 *
 * @module
 */
import { Hono } from "hono";
import type { AppDeps } from "../../app.ts";
import { buildOpenApi } from "../../services/openapi.ts";
import type { ApiEnv } from "./_env.ts";
import { rateLimit, requireAuth } from "./_middleware.ts";
import { authRoutes } from "./auth.ts";
import { eventsRoutes } from "./events.ts";
import { portfolioRoutes, tradesRoutes } from "./portfolio.ts";
import { settingsRoutes } from "./settings.ts";
import { backtestsRoutes, strategiesRoutes } from "./strategies.ts";

/** Sub-apps mounted behind authentication, by path under /api/v1. */
export type ProtectedRoutes = Record<string, Hono<ApiEnv>>;

/** Builds the /api/v1 app (mounted by app.ts). */
export function apiRoutes(deps: AppDeps): Hono<ApiEnv> {
  const limits = {
    perMinute: deps.config.RATE_LIMIT_PER_MINUTE,
    enabled: deps.config.RATE_LIMIT_ENABLED,
  };
  const api = new Hono<ApiEnv>();

  api.use("/auth/*", rateLimit(deps.rateLimiter, limits));
  api.route("/auth", authRoutes(deps));
  api.get("/openapi.json", (c) => c.json(buildOpenApi()));

  const protectedRoutes: ProtectedRoutes = {
    "/settings": settingsRoutes(deps),
    "/strategies": strategiesRoutes(deps),
    "/backtests": backtestsRoutes(deps),
    "/portfolio": portfolioRoutes(deps),
    "/trades": tradesRoutes(deps),
    "/events": eventsRoutes(deps),
  };
  for (const [path, sub] of Object.entries(protectedRoutes)) {
    api.use(`${path}/*`, requireAuth, rateLimit(deps.rateLimiter, limits));
    api.route(path, sub);
  }
  return api;
}
