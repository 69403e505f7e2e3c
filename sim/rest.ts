/**
 * The REST side of the simulator: Binance's spot endpoints under /api/v3
 * (plus a few /sapi/v1 stubs), answering in Binance's exact JSON, error codes,
 * HTTP statuses and weight headers, with fault injection in front.
 *
 * @module
 */

import type { Account } from "./accounts.ts";
import { accountOfKey, authenticate } from "./auth.ts";
import { BinanceError } from "./binance_error.ts";
import type { Faults } from "./faults.ts";
import type { MatchingEngine } from "./matching.ts";
import { Params } from "./params.ts";
import { ROUTES } from "./routes.ts";

/** One logged REST request. */
export interface RequestLogEntry {
  /** HTTP method. */
  method: string;
  /** URL path, e.g. `/api/v3/order`. */
  path: string;
  /** newClientOrderId / listClientOrderId / origClientOrderId, when sent. */
  clientOrderId?: string;
}

/** What the REST handlers share with the rest of the simulator. */
export interface RestContext {
  /** The matching engine (and its market). */
  engine: MatchingEngine;
  /** Accounts by API key. */
  accounts: Map<string, Account>;
  /** Listed symbols. */
  symbols: ReadonlySet<string>;
  /** Fault injection settings. */
  faults: Faults;
  /** Server time (wall clock plus skew), ms. */
  now: () => number;
  /** Every REST request, in arrival order. */
  requestLog: RequestLogEntry[];
  /** Legacy user data stream keys: listenKey → API key. */
  listenKeys: Map<string, string>;
}

/** What a route handler receives. */
export interface RouteInput {
  /** Shared simulator state. */
  ctx: RestContext;
  /** Merged query and body parameters. */
  params: Params;
  /** The authenticated account (signed routes only). */
  account: Account;
}

/** A REST endpoint: handler, whether it is signed, its weight, whether it is an order request. */
export interface Route {
  /** Produces the JSON body (throw BinanceError for errors). */
  handle: (input: RouteInput) => unknown;
  /** Needs X-MBX-APIKEY and a signature. */
  signed: boolean;
  /** Needs X-MBX-APIKEY only (USER_STREAM endpoints). */
  keyed?: boolean;
  /** Request weight added to X-MBX-USED-WEIGHT-1M. */
  weight: number;
  /** Counts as an order request (fault rates and order-count headers apply). */
  order: boolean;
}

const JSON_HEADERS = { "content-type": "application/json;charset=UTF-8" };
const RETRY_AFTER_SECONDS = 1;

/** Handles one REST request. */
export class RestHandler {
  readonly #ctx: RestContext;
  #weightMinute = 0;
  #weight = 0;
  #orderCount10s = 0;
  #orderWindow = 0;
  #orderCountDay = 0;

  /** Creates the handler over shared state. */
  constructor(ctx: RestContext) {
    this.#ctx = ctx;
  }

  /** Answers `request` (never throws). */
  async handle(request: Request, url: URL): Promise<Response> {
    const ctx = this.#ctx;
    const route = ROUTES[`${request.method} ${url.pathname}`];
    const rawQuery = url.search.slice(1);
    const rawBody = request.method === "GET" ? "" : await request.text();
    const merged = new URLSearchParams(rawQuery);
    for (const [key, value] of new URLSearchParams(rawBody)) merged.append(key, value);
    const clientOrderId = merged.get("newClientOrderId") ?? merged.get("listClientOrderId") ??
      merged.get("origClientOrderId") ?? undefined;
    ctx.requestLog.push({
      method: request.method,
      path: url.pathname,
      ...(clientOrderId ? { clientOrderId } : {}),
    });
    if (ctx.faults.latencyMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, ctx.faults.latencyMs));
    }
    if (!route) {
      return new Response("<html><body><h2>404 Not found</h2></body></html>", { status: 404 });
    }
    const headers = this.#usage(route);
    const verdict = ctx.faults.verdict(route.order);
    try {
      if (verdict === "ban") {
        const until = ctx.now() + 60_000;
        throw new BinanceError(
          -1003,
          `Way too many requests; IP(127.0.0.1) banned until ${until}. Please use the websocket for live updates to avoid bans.`,
          418,
          { "retry-after": "60" },
        );
      }
      if (verdict === "rate-limit") {
        throw new BinanceError(
          -1003,
          "Too many requests; current limit of IP(127.0.0.1) request weight per minute is 6000. Please use WebSocket Streams for live updates to avoid polling the API.",
          429,
          { "retry-after": String(RETRY_AFTER_SECONDS) },
        );
      }
      const params = new Params(merged);
      const account = route.keyed
        ? accountOfKey(request.headers.get("x-mbx-apikey"), ctx.accounts)
        : route.signed
        ? await authenticate(
          request.headers.get("x-mbx-apikey"),
          ctx.accounts,
          params,
          rawQuery,
          rawBody,
          ctx.now(),
        )
        : (undefined as unknown as Account); // Public handlers never read the account.
      if (route.order && !account.restrictions.enableSpotAndMarginTrading) {
        throw new BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", 401);
      }
      if (verdict === "fail-before") {
        throw new BinanceError(
          -1001,
          "Internal error; unable to process your request. Please try again.",
          500,
        );
      }
      const body = route.handle({ ctx, params, account });
      if (verdict === "fail-after") {
        throw new BinanceError(
          -1007,
          "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
          503,
        );
      }
      return new Response(JSON.stringify(body), {
        status: 200,
        headers: { ...JSON_HEADERS, ...headers },
      });
    } catch (error) {
      if (error instanceof BinanceError) {
        return new Response(JSON.stringify(error), {
          status: error.status,
          headers: { ...JSON_HEADERS, ...headers, ...error.headers },
        });
      }
      const message = error instanceof Error ? error.message : String(error);
      return new Response(
        JSON.stringify({
          code: -1000,
          msg: `An unknown error occurred while processing the request. ${message}`,
        }),
        {
          status: 500,
          headers: { ...JSON_HEADERS, ...headers },
        },
      );
    }
  }

  #usage(route: Route): Record<string, string> {
    const now = this.#ctx.now();
    const minute = Math.floor(now / 60_000);
    if (minute !== this.#weightMinute) {
      this.#weightMinute = minute;
      this.#weight = 0;
    }
    this.#weight += route.weight;
    const headers: Record<string, string> = {
      "x-mbx-used-weight-1m": String(this.#weight),
      "x-mbx-used-weight": String(this.#weight),
    };
    if (route.order) {
      const window = Math.floor(now / 10_000);
      if (window !== this.#orderWindow) {
        this.#orderWindow = window;
        this.#orderCount10s = 0;
      }
      this.#orderCount10s++;
      this.#orderCountDay++;
      headers["x-mbx-order-count-10s"] = String(this.#orderCount10s);
      headers["x-mbx-order-count-1d"] = String(this.#orderCountDay);
    }
    return headers;
  }
}
