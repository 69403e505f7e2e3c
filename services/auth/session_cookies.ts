/**
 * Browser sessions: the tokens also travel as cookies so no token ever sits in
 * localStorage. `aura_access` (HttpOnly, Path=/), `aura_refresh` (HttpOnly,
 * Path=/api/v1/auth: sent only to the auth endpoints) and `aura_csrf` (readable
 * by the page's script, echoed in `X-CSRF-Token` on writes: double submit).
 * All SameSite=Strict; Secure over TLS or when COOKIE_SECURE=true.
 *
 * @module
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { base64Url } from "./refresh.ts";

/** Cookie names. */
export const COOKIE = {
  access: "aura_access",
  refresh: "aura_refresh",
  csrf: "aura_csrf",
} as const;

/** Path of the refresh cookie. */
export const REFRESH_COOKIE_PATH = "/api/v1/auth";

/** Whether cookies must be Secure for this request. */
export function isSecureRequest(c: Context, forceSecure: boolean): boolean {
  return forceSecure || new URL(c.req.url).protocol === "https:";
}

/** Sets the three session cookies. */
export function setSessionCookies(
  c: Context,
  session: {
    accessToken: string;
    accessTtlSeconds: number;
    refreshToken: string;
    refreshMaxAgeSeconds: number;
  },
  forceSecure: boolean,
): void {
  const secure = isSecureRequest(c, forceSecure);
  const refreshMaxAge = session.refreshMaxAgeSeconds;
  setCookie(c, COOKIE.access, session.accessToken, {
    httpOnly: true,
    sameSite: "Strict",
    path: "/",
    secure,
    maxAge: session.accessTtlSeconds,
  });
  setCookie(c, COOKIE.refresh, session.refreshToken, {
    httpOnly: true,
    sameSite: "Strict",
    path: REFRESH_COOKIE_PATH,
    secure,
    maxAge: refreshMaxAge,
  });
  setCookie(c, COOKIE.csrf, base64Url(crypto.getRandomValues(new Uint8Array(24))), {
    httpOnly: false,
    sameSite: "Strict",
    path: "/",
    secure,
    maxAge: refreshMaxAge,
  });
}

/** Clears the session cookies (logout). */
export function clearSessionCookies(c: Context, forceSecure: boolean): void {
  const secure = isSecureRequest(c, forceSecure);
  deleteCookie(c, COOKIE.access, { path: "/", secure });
  deleteCookie(c, COOKIE.refresh, { path: REFRESH_COOKIE_PATH, secure });
  deleteCookie(c, COOKIE.csrf, { path: "/", secure });
}

/** Reads a session cookie. */
export function readCookie(
  c: Context,
  name: typeof COOKIE[keyof typeof COOKIE],
): string | undefined {
  return getCookie(c, name);
}
