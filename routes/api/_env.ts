/**
 * The Hono environment shared by every /api/v1 sub-app: what the middleware
 * puts on the context.
 *
 * @module
 */

/** The authenticated caller, set by the auth middleware. */
export interface AuthInfo {
  /** User id; every query is scoped by it. */
  userId: number;
  /** Username (display only). */
  username: string;
  /** How the request authenticated: a Bearer header or the session cookie. */
  via: "bearer" | "cookie";
}

/** Hono `Env` for API sub-apps: `c.get("auth")` after `requireAuth`. */
export type ApiEnv = {
  Variables: {
    /** The caller (only on authenticated routes). */
    auth: AuthInfo;
    /** Per-request id, echoed as `X-Request-Id`. */
    requestId: string;
  };
};
