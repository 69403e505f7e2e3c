/**
 * The /api/v1 plumbing every route relies on: authentication (`requireAuth`,
 * `authenticateRequest` for pages), the CSRF check for cookie sessions, rate
 * limiting per caller and endpoint, and the one error mapper (`errorHandler`)
 * turning anything thrown into `{ error: { code, message, details? } }`.
 *
 * @module
 */
import type { Context, ErrorHandler, MiddlewareHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { getConnInfo } from "hono/deno";
import { routePath } from "hono/route";
import { z } from "zod";
import { AuraError } from "../../engine/errors.ts";
import { createLogger } from "../../logger.ts";
import type { AccessTokens } from "../../services/auth/jwt.ts";
import { COOKIE, readCookie } from "../../services/auth/session_cookies.ts";
import type { RateLimiter } from "../../services/rate_limit.ts";
import type { ApiEnv, AuthInfo } from "./_env.ts";
import { issuesOf } from "./_validate.ts";

const log = createLogger("api");

const VERIFIER = "auraAccessTokens";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Makes the token verifier available to {@link requireAuth} and
 * {@link authenticateRequest}; app.ts installs it first on every request.
 */
export function installSession(access: AccessTokens): MiddlewareHandler {
  return async (c, next) => {
    c.set(VERIFIER as never, access as never);
    await next();
  };
}

type Resolved = { auth: AuthInfo } | { error: AuraError };

async function resolveAuth(c: Context): Promise<Resolved> {
  const access = c.get(VERIFIER as never) as AccessTokens | undefined;
  if (!access) throw new Error("installSession() is missing in front of the API");
  const header = c.req.header("authorization");
  let token: string | undefined;
  let via: AuthInfo["via"];
  if (header !== undefined) {
    const m = /^Bearer ([A-Za-z0-9_\-.]{1,4096})$/.exec(header.trim());
    if (!m) return { error: new AuraError("AUTH_002", "Token is invalid or expired") };
    token = m[1]!;
    via = "bearer";
  } else {
    token = readCookie(c, COOKIE.access);
    via = "cookie";
  }
  if (!token) return { error: new AuraError("AUTH_002", "Authentication required") };
  try {
    const claims = await access.verify(token);
    return { auth: { userId: claims.userId, username: claims.username, via } };
  } catch (error) {
    return {
      error: error instanceof AuraError
        ? error
        : new AuraError("AUTH_002", "Token is invalid or expired"),
    };
  }
}

/**
 * The caller of this request from the Bearer header or the `aura_access`
 * cookie, or null (missing, invalid or expired). Never throws: pages use it to
 * find the session user and redirect to the login page themselves.
 */
export async function authenticateRequest(c: Context): Promise<AuthInfo | null> {
  const resolved = await resolveAuth(c);
  return "auth" in resolved ? resolved.auth : null;
}

function sameString(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Double-submit CSRF check: for a cookie session, a write must carry
 * `X-CSRF-Token` equal to the `aura_csrf` cookie.
 *
 * @throws {AuraError} AUTH_003.
 */
export function checkCsrf(c: Context): void {
  const cookie = readCookie(c, COOKIE.csrf);
  const header = c.req.header("x-csrf-token");
  if (!cookie || !header || !sameString(cookie, header)) {
    throw new AuraError("AUTH_003", "CSRF token is missing or does not match");
  }
}

/**
 * Requires a valid session: sets `c.get("auth")`, or answers 401 AUTH_002.
 * Cookie-authenticated writes also need the CSRF header (403 AUTH_003).
 */
export const requireAuth: MiddlewareHandler<ApiEnv> = async (c, next) => {
  const resolved = await resolveAuth(c);
  if ("error" in resolved) throw resolved.error;
  if (resolved.auth.via === "cookie" && UNSAFE.has(c.req.method)) checkCsrf(c);
  c.set("auth", resolved.auth);
  await next();
};

/** The client's IP address (the socket peer; "local" for in-process requests). */
export function clientIp(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "local";
  } catch {
    return "local";
  }
}

/**
 * Rate limit per caller (user id when authenticated, else IP) and endpoint
 * (method + route pattern): `perMinute` requests per minute, then 429 API_003
 * with Retry-After.
 */
export function rateLimit(
  limiter: RateLimiter,
  options: { perMinute: number; enabled: boolean },
): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (!options.enabled) return await next();
    const auth = c.get("auth") as AuthInfo | undefined;
    const who = auth ? `user:${auth.userId}` : `ip:${clientIp(c)}`;
    const key = `api:${who}:${c.req.method} ${routePath(c, -1)}`;
    const decision = await limiter.hit(key, options.perMinute, 60_000);
    if (!decision.allowed) {
      throw new AuraError("API_003", "Too many requests; slow down", {
        retryAfterSeconds: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
      });
    }
    await next();
  };
}

function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/**
 * The one error mapper: AuraError → its status and code; zod and JSON errors →
 * 400 API_004; anything else → 500 SYS_001 "Internal error" (logged, never
 * leaked: no stack, no SQL).
 */
export const errorHandler: ErrorHandler = (err, c) => {
  if (err instanceof AuraError) {
    const retry = (err.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
    if (err.code === "API_003" && retry) c.header("Retry-After", String(retry));
    if (err.status >= 500) {
      log.error("Request failed", {
        requestId: c.get("requestId" as never),
        method: c.req.method,
        path: c.req.path,
        code: err.code,
        error: err.cause ?? err,
      });
    }
    return c.json(errorBody(err.code, err.message, err.details), err.status as 400);
  }
  if (err instanceof z.ZodError) {
    const issues = issuesOf(err);
    return c.json(
      errorBody(
        "API_004",
        `Request is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
        {
          issues,
        },
      ),
      400,
    );
  }
  if (err instanceof SyntaxError) {
    return c.json(errorBody("API_004", "Request body must be valid JSON"), 400);
  }
  if (err instanceof HTTPException && err.status < 500) {
    if (err.status === 413) {
      return c.json(errorBody("API_004", "Request body is too large"), 413);
    }
    const code = err.status === 401 ? "AUTH_002" : err.status === 404 ? "API_005" : "API_004";
    return c.json(errorBody(code, "Request was rejected"), err.status);
  }
  log.error("Unhandled error", {
    requestId: c.get("requestId" as never),
    method: c.req.method,
    path: c.req.path,
    error: err,
  });
  return c.json(errorBody("SYS_001", "Internal error"), 500);
};

/** Unknown routes: 404 API_005 as JSON. */
export const notFoundHandler: NotFoundHandler = (c) =>
  c.json(errorBody("API_005", `No route for ${c.req.method} ${c.req.path.slice(0, 200)}`), 404);
