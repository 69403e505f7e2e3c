/**
 * The WebSocket side: market streams (`/ws/<stream>`, `/ws` + SUBSCRIBE,
 * `/stream?streams=a/b` combined) and the WebSocket API at `/ws-api/v3` with
 * `userDataStream.subscribe.signature`, pushing user data events wrapped as
 * `{"subscriptionId":0,"event":{...}}` like the real API.
 *
 * @module
 */

import type { Account } from "./accounts.ts";
import { accountOfKey, checkTimestamp } from "./auth.ts";
import { BinanceError, BinanceMessages, missingParameter } from "./binance_error.ts";
import type { KlineEvent } from "./market.ts";
import { Params } from "./params.ts";
import { hmacSha256Hex, signaturesEqual, wsApiPayload } from "./signing.ts";
import type { UserEvent } from "./user_events.ts";

interface StreamClient {
  socket: WebSocket;
  combined: boolean;
  streams: Set<string>;
  /** Legacy user data streams on this connection: listenKey → API key. */
  listenKeys: Map<string, string>;
}

interface ApiClient {
  socket: WebSocket;
  subscriptions: Map<number, string>;
}

/** What the WebSocket hub needs from the simulator. */
export interface WsContext {
  /** Accounts by API key. */
  accounts: Map<string, Account>;
  /** Server time, ms. */
  now: () => number;
  /** Legacy user data stream keys (`POST /api/v3/userDataStream`): listenKey → API key. */
  listenKeys: Map<string, string>;
}

function send(socket: WebSocket, message: unknown): void {
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

/** Every open WebSocket of the simulator, and the routing of events to them. */
export class WsHub {
  readonly #ctx: WsContext;
  readonly #streams = new Set<StreamClient>();
  readonly #api = new Set<ApiClient>();
  #nextSubscriptionId = 0;

  /** Creates an empty hub. */
  constructor(ctx: WsContext) {
    this.#ctx = ctx;
  }

  /** True when `url` is a WebSocket path this hub serves. */
  static handles(url: URL): boolean {
    return url.pathname === "/ws" || url.pathname.startsWith("/ws/") ||
      url.pathname === "/stream" ||
      url.pathname === "/ws-api/v3";
  }

  /** Upgrades `request` and wires the socket to its role. */
  upgrade(request: Request, url: URL): Response {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Expected a WebSocket upgrade", { status: 426 });
    }
    const { socket, response } = Deno.upgradeWebSocket(request);
    if (url.pathname === "/ws-api/v3") this.#acceptApi(socket);
    else this.#acceptStream(socket, url);
    return response;
  }

  #acceptStream(socket: WebSocket, url: URL): void {
    const combined = url.pathname === "/stream";
    const initial = combined
      ? (url.searchParams.get("streams") ?? "").split("/")
      : [url.pathname.slice("/ws/".length)];
    // ccxt connects to /ws/0, /ws/1 …: a bare number names a connection, not a stream.
    const streams = new Set(initial.filter((s) => s.includes("@")).map((s) => s.toLowerCase()));
    const listenKeys = new Map<string, string>();
    for (const name of initial) {
      const apiKey = this.#ctx.listenKeys.get(name);
      if (apiKey) listenKeys.set(name, apiKey);
    }
    const client: StreamClient = { socket, combined, streams, listenKeys };
    this.#streams.add(client);
    socket.onclose = () => this.#streams.delete(client);
    socket.onerror = () => this.#streams.delete(client);
    socket.onmessage = (event) => this.#onStreamMessage(client, String(event.data));
  }

  #onStreamMessage(client: StreamClient, text: string): void {
    let message: { method?: string; params?: unknown; id?: unknown };
    try {
      message = JSON.parse(text);
    } catch {
      send(client.socket, {
        error: { code: 3, msg: "Invalid JSON: expected value at line 1 column 1" },
      });
      return;
    }
    const id = message.id ?? null;
    const params = Array.isArray(message.params)
      ? message.params.map((p) => String(p).toLowerCase())
      : [];
    switch (message.method) {
      case "SUBSCRIBE":
        for (const p of params) client.streams.add(p);
        send(client.socket, { result: null, id });
        return;
      case "UNSUBSCRIBE":
        for (const p of params) client.streams.delete(p);
        send(client.socket, { result: null, id });
        return;
      case "LIST_SUBSCRIPTIONS":
        send(client.socket, { result: [...client.streams], id });
        return;
      default:
        send(client.socket, {
          error: { code: 2, msg: `Invalid request: unknown variant \`${message.method}\`` },
          id,
        });
    }
  }

  /** Sends a kline event to every connection subscribed to `<symbol>@kline_<interval>`. */
  publishKline(symbol: string, interval: string, event: KlineEvent): void {
    const stream = `${symbol.toLowerCase()}@kline_${interval}`;
    let text: string | undefined;
    let wrapped: string | undefined;
    for (const client of this.#streams) {
      if (!client.streams.has(stream) || client.socket.readyState !== WebSocket.OPEN) continue;
      if (client.combined) client.socket.send(wrapped ??= JSON.stringify({ stream, data: event }));
      else client.socket.send(text ??= JSON.stringify(event));
    }
  }

  #acceptApi(socket: WebSocket): void {
    const client: ApiClient = { socket, subscriptions: new Map() };
    this.#api.add(client);
    socket.onclose = () => this.#api.delete(client);
    socket.onerror = () => this.#api.delete(client);
    socket.onmessage = (event) => void this.#onApiMessage(client, String(event.data));
  }

  async #onApiMessage(client: ApiClient, text: string): Promise<void> {
    let id: unknown = null;
    try {
      const message = JSON.parse(text) as {
        id?: unknown;
        method?: string;
        params?: Record<string, unknown>;
      };
      id = message.id ?? null;
      const result = await this.#apiCall(client, message.method ?? "", message.params ?? {});
      send(client.socket, { id, status: 200, result, rateLimits: this.#rateLimits() });
    } catch (error) {
      const e = error instanceof BinanceError ? error : new BinanceError(-1000, String(error));
      send(client.socket, {
        id,
        status: e.status,
        error: e.toJSON(),
        rateLimits: this.#rateLimits(),
      });
    }
  }

  async #apiCall(
    client: ApiClient,
    method: string,
    raw: Record<string, unknown>,
  ): Promise<unknown> {
    switch (method) {
      case "ping":
        return {};
      case "time":
        return { serverTime: this.#ctx.now() };
      case "userDataStream.subscribe.signature": {
        const apiKey = raw.apiKey === undefined ? null : String(raw.apiKey);
        const account = accountOfKey(apiKey, this.#ctx.accounts);
        const params = new Params(
          new URLSearchParams(Object.entries(raw).map(([k, v]) => [k, String(v)])),
        );
        checkTimestamp(params, this.#ctx.now());
        const signature = params.string("signature");
        if (!signature) throw missingParameter("signature");
        const expected = await hmacSha256Hex(account.secret, wsApiPayload(raw));
        if (!signaturesEqual(expected, signature)) {
          throw new BinanceError(-1022, BinanceMessages.badSignature);
        }
        const subscriptionId = this.#nextSubscriptionId++;
        client.subscriptions.set(subscriptionId, account.apiKey);
        return { subscriptionId };
      }
      case "userDataStream.unsubscribe": {
        const ids = raw.subscriptionId === undefined
          ? [...client.subscriptions.keys()]
          : [Number(raw.subscriptionId)];
        for (const subscriptionId of ids) {
          if (!client.subscriptions.delete(subscriptionId)) continue;
          const event = { e: "eventStreamTerminated", E: this.#ctx.now() };
          send(client.socket, { subscriptionId, event });
        }
        return {};
      }
      case "session.subscriptions":
        return [...client.subscriptions.keys()].map((subscriptionId) => ({ subscriptionId }));
      default:
        throw new BinanceError(-1000, `Unknown method "${method}".`);
    }
  }

  #rateLimits(): unknown[] {
    return [{
      rateLimitType: "REQUEST_WEIGHT",
      interval: "MINUTE",
      intervalNum: 1,
      limit: 6000,
      count: 2,
    }];
  }

  /** Pushes a user data event to every subscription of `apiKey` (WebSocket API and listenKey streams). */
  publishUserEvent(apiKey: string, event: UserEvent): void {
    for (const client of this.#streams) {
      for (const [listenKey, key] of client.listenKeys) {
        if (key !== apiKey || !this.#ctx.listenKeys.has(listenKey)) continue;
        send(client.socket, client.combined ? { stream: listenKey, data: event } : event);
      }
    }
    for (const client of this.#api) {
      for (const [subscriptionId, key] of client.subscriptions) {
        if (key === apiKey) send(client.socket, { subscriptionId, event });
      }
    }
  }

  /** Closes every socket (fault injection and shutdown). */
  closeAll(): void {
    for (const client of [...this.#streams, ...this.#api]) {
      try {
        client.socket.close(1001, "Simulator closed the connection");
      } catch {
        // Already closing.
      }
    }
    this.#streams.clear();
    this.#api.clear();
  }
}
