/**
 * What every page handler receives and returns.
 *
 * @module
 */
import type { JSX } from "preact";
import type { Db } from "../db/port.ts";
import type { UserRecord } from "../db/users.ts";
import type { Clock } from "../engine/clock.ts";
import type { AuthInfo } from "../routes/api/_env.ts";

/** Pipeline health as the dashboard shows it. */
export interface PipelineHealth {
  /** Whether the market-data stream is connected. */
  marketData: "connected" | "disconnected" | "unknown";
  /** Close time (ms) of the last candle received, if any. */
  lastCandleTime: number | null;
  /** Exchange status: reachable, degraded, down, or unknown. */
  exchange: "ok" | "degraded" | "down" | "unknown";
  /** Free-text detail (e.g. the last error), never secrets. */
  detail?: string | undefined;
}

/** What the pages need from the composition root. */
export interface PagesDeps {
  /** Storage; pages read through the repositories the API uses. */
  db: Db;
  /** Time source (today's P&L, relative times). */
  clock: Clock;
  /** The cookie-session user, or null (part A's `authenticateRequest`). */
  authenticate(c: import("hono").Context): Promise<AuthInfo | null> | AuthInfo | null;
  /** Current pipeline health for the first paint (the SSE stream updates it). */
  health?: () => Promise<PipelineHealth> | PipelineHealth;
  /** Latest price of a symbol as a decimal string (live feed or last cached close). */
  latestPrice?: (symbol: string) => Promise<string | null> | string | null;
  /** Starting paper balance in USDT (config AURA_PAPER_BALANCE_USDT). */
  paperBalanceUsd?: number;
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
