/**
 * The browser's way to call /api/v1: cookies carry the session (never
 * localStorage), the `aura_csrf` cookie is echoed as `X-CSRF-Token` on writes,
 * an expired access token is refreshed once, and errors come back as
 * {@link ApiError} with the API's code and per-field issues.
 *
 * @module
 */

/** One validation problem, as the API reports it. */
export interface FieldIssue {
  /** JSON path, e.g. `riskParams.positionSizeUsd`. */
  path: string;
  /** What is wrong. */
  message: string;
}

/** An error answered by the API (`{ error: { code, message, details } }`) or the network. */
export class ApiError extends Error {
  /** The API's error code (`AUTH_001`, …) or `NETWORK` when the server could not be reached. */
  readonly code: string;
  /** HTTP status (0 for network failures). */
  readonly status: number;
  /** Validation issues, when any. */
  readonly issues: FieldIssue[];

  /** Creates the error. */
  constructor(code: string, message: string, status: number, issues: FieldIssue[] = []) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.issues = issues;
  }

  /** The message of the issue at `path` (or under it), if any. */
  issueAt(path: string): string | undefined {
    return this.issues.find((i) => i.path === path || i.path.startsWith(`${path}.`))?.message;
  }
}

/** Reads a cookie visible to scripts (only `aura_csrf` is; the session cookies are HttpOnly). */
export function readCookie(name: string): string | undefined {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return undefined;
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") {
    const csrf = readCookie("aura_csrf");
    if (csrf) headers["X-CSRF-Token"] = csrf;
  }
  return await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? null : JSON.stringify(body),
  });
}

/**
 * Calls the API and returns the parsed JSON body.
 *
 * @throws {ApiError} on any non-2xx answer or network failure.
 * @example
 * ```ts
 * const strategy = await api<{ id: number }>("POST", "/api/v1/strategies", definition);
 * ```
 */
export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await send(method, path, body);
    if (res.status === 401 && !path.startsWith("/api/v1/auth/")) {
      // The access cookie is short-lived: refresh once, then retry the call.
      const refreshed = await send("POST", "/api/v1/auth/refresh");
      if (refreshed.ok) res = await send(method, path, body);
    }
  } catch {
    throw new ApiError("NETWORK", "Cannot reach the AURA server; check your connection", 0);
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string; details?: unknown } })
      ?.error;
    const issues = (err?.details as { issues?: FieldIssue[] } | undefined)?.issues ?? [];
    throw new ApiError(
      err?.code ?? `HTTP_${res.status}`,
      err?.message ?? `The server answered ${res.status}`,
      res.status,
      issues,
    );
  }
  return json as T;
}
