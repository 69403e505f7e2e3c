/**
 * POST /api/v1/auth/register, /login, /refresh, /logout. Each session answer
 * carries the tokens in the JSON body (API clients) and as cookies (browser).
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import type { AppDeps } from "../../app.ts";
import { AuraError } from "../../engine/errors.ts";
import { AccessTokens } from "../../services/auth/jwt.ts";
import { RefreshTokens } from "../../services/auth/refresh.ts";
import { AuthService, type Session } from "../../services/auth/auth_service.ts";
import {
  clearSessionCookies,
  COOKIE,
  readCookie,
  setSessionCookies,
} from "../../services/auth/session_cookies.ts";
import { registerRoute } from "../../services/openapi.ts";
import type { ApiEnv } from "./_env.ts";
import { checkCsrf, clientIp } from "./_middleware.ts";
import { parseJsonBody, validate } from "./_validate.ts";

/** Username rule: 3–50 of letters, digits, `_`, `.`, `-`. */
export const usernameSchema = z.string().regex(
  /^[a-zA-Z0-9_.-]{3,50}$/,
  "must be 3-50 characters of letters, digits, _ . -",
);

/** POST /auth/register body. */
export const registerBody = z.object({
  username: usernameSchema,
  email: z.email().max(100),
  password: z.string().min(1).max(128),
}).strict();

/** POST /auth/login body (`username` may also be the email). */
export const loginBody = z.object({
  // Postgres refuses NUL in text: reject it here, as bad input, not as a database failure.
  username: z.string().min(1).max(100).refine(
    (v) => !v.includes("\u0000"),
    "must not contain NUL characters",
  ),
  password: z.string().min(1).max(128),
}).strict();

/** POST /auth/refresh and /auth/logout body; the token may come from the cookie instead. */
export const refreshBody = z.object({ refreshToken: z.string().min(1).max(200).optional() })
  .strict();

const userSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  email: z.string(),
  tradingMode: z.enum(["paper", "live"]),
});

/** A session answer. */
export const sessionResponse = z.object({
  user: userSchema,
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number().int(),
});

/** Builds the auth service from the app's dependencies. */
export function createAuthService(deps: AppDeps): AuthService {
  return new AuthService({
    db: deps.db,
    clock: deps.clock,
    limiter: deps.rateLimiter,
    limitsEnabled: deps.config.RATE_LIMIT_ENABLED,
    registrationsPerHour: deps.config.REGISTRATIONS_PER_HOUR_PER_IP,
    access: accessTokensFor(deps),
    refresh: new RefreshTokens({
      db: deps.db,
      clock: deps.clock,
      ttlSeconds: deps.config.REFRESH_TOKEN_TTL_SECONDS,
    }),
  });
}

/** The access token issuer/verifier configured for this app. */
export function accessTokensFor(deps: AppDeps): AccessTokens {
  return new AccessTokens({
    keys: deps.keys.jwt,
    clock: deps.clock,
    issuer: deps.config.JWT_ISSUER,
    audience: deps.config.JWT_AUDIENCE,
    ttlSeconds: deps.config.ACCESS_TOKEN_TTL_SECONDS,
  });
}

// Empty bodies are allowed on refresh/logout (the browser sends the cookie).
async function optionalBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new AuraError("API_004", "Request body must be valid JSON");
  }
}

/** The refresh token from the body, or from the cookie (then CSRF-checked). */
async function presentedRefreshToken(c: Context): Promise<string | undefined> {
  const body = validate(refreshBody, await optionalBody(c), "API_004", "Request body");
  if (body.refreshToken) return body.refreshToken;
  const cookie = readCookie(c, COOKIE.refresh);
  if (cookie) checkCsrf(c);
  return cookie;
}

/** The /auth sub-app. */
export function authRoutes(deps: AppDeps): Hono<ApiEnv> {
  const auth = createAuthService(deps);
  const secure = deps.config.COOKIE_SECURE;
  const answer = (c: Context, session: Session, status: 200 | 201) => {
    setSessionCookies(c, {
      accessToken: session.accessToken,
      accessTtlSeconds: session.expiresIn,
      refreshToken: session.refreshToken,
      refreshMaxAgeSeconds: deps.config.REFRESH_TOKEN_TTL_SECONDS,
    }, secure);
    const { refreshExpiresAt: _, ...body } = session;
    return c.json(body, status);
  };

  const app = new Hono<ApiEnv>();
  app.post("/register", async (c) => {
    const body = await parseJsonBody(c, registerBody);
    return answer(c, await auth.register(body, clientIp(c)), 201);
  });
  app.post("/login", async (c) => {
    const body = await parseJsonBody(c, loginBody);
    return answer(c, await auth.login(body, clientIp(c)), 200);
  });
  app.post("/refresh", async (c) => {
    const token = await presentedRefreshToken(c);
    if (!token) throw new AuraError("AUTH_002", "Refresh token is missing");
    return answer(c, await auth.refresh(token), 200);
  });
  app.post("/logout", async (c) => {
    await auth.logout(await presentedRefreshToken(c), clientIp(c));
    clearSessionCookies(c, secure);
    return c.body(null, 204);
  });

  const base = "/api/v1/auth";
  registerRoute({
    method: "post",
    path: `${base}/register`,
    summary: "Create an account and open a session",
    body: registerBody,
    response: sessionResponse,
    status: 201,
    auth: false,
  });
  registerRoute({
    method: "post",
    path: `${base}/login`,
    summary: "Open a session (5 failures per 15 minutes per IP and username, then 429)",
    body: loginBody,
    response: sessionResponse,
    auth: false,
  });
  registerRoute({
    method: "post",
    path: `${base}/refresh`,
    summary: "Rotate the refresh token (body or aura_refresh cookie); reuse revokes the family",
    body: refreshBody,
    response: sessionResponse,
    auth: false,
  });
  registerRoute({
    method: "post",
    path: `${base}/logout`,
    summary: "Revoke the session's refresh token family and clear the cookies",
    body: refreshBody,
    status: 204,
    auth: false,
  });
  return app;
}
