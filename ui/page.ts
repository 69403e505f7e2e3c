/**
 * What every page handler receives and returns.
 *
 * @module
 */
import type { Context } from "hono";
import type { JSX } from "preact";
import type { UserRecord } from "../db/users.ts";
import type { AuthInfo } from "../routes/api/_env.ts";
import type { PortfolioRouteDeps } from "../routes/api/portfolio.ts";
import type { PipelineHealth } from "./health.ts";

export type { PipelineHealth } from "./health.ts";

/**
 * What the pages need: the app's own dependencies (so pages read through the
 * very services and repositories the API uses — e.g. the portfolio service
 * of the same `deps`), plus two optional hooks.
 */
export interface PagesDeps extends PortfolioRouteDeps {
  /** The cookie-session user, or null (default: the API's `authenticateRequest`). */
  authenticate?: (c: Context) => Promise<AuthInfo | null> | AuthInfo | null;
  /** Pipeline health for the first paint (default: derived from `healthChecks`). */
  pipelineHealth?: () => Promise<PipelineHealth> | PipelineHealth;
}

/** One request to a page, after authentication. */
export interface PageContext {
  /** Dependencies. */
  deps: PagesDeps;
  /** The signed-in user. */
  user: UserRecord;
  /** Request URL. */
  url: URL;
  /** Path parameters. */
  params: Record<string, string>;
}

/** What a page handler returns: a page to render, or a status-only answer. */
export type PageResult =
  | { title: string; body: JSX.Element; status?: number }
  | { redirect: string }
  | { notFound: true };
