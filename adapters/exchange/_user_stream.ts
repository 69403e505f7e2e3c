/**
 * Binance's user data stream over the WebSocket API: one connection to
 * `/ws-api/v3`, one `userDataStream.subscribe.signature` request (apiKey,
 * timestamp, recvWindow and an HMAC-SHA256 signature over those parameters
 * sorted by name, exactly as REST signs its query), then `executionReport`,
 * `listStatus`, … pushed as `{"subscriptionId":N,"event":{...}}`. Binance
 * retired listenKeys for this; the secret never leaves the process, only the
 * signature computed from it does.
 *
 * The connection is crash-only: any close, error, refused subscription,
 * missing acknowledgement or `eventStreamTerminated` ends in one path —
 * reconnect after an exponential, jittered backoff and subscribe again.
 * `onLive(true)` fires after every acknowledged subscription (the adapter
 * runs one REST poll there to catch what happened while disconnected) and
 * `onLive(false)` on every loss (the adapter falls back to polling). The
 * events become the port's order events in `_user_events.ts`.
 *
 * @module
 */

import type { Json } from "./_binance_json.ts";

/** Live Binance spot WebSocket API. */
export const LIVE_WS_API_URL = "wss://ws-api.binance.com:443/ws-api/v3";
/** Spot testnet WebSocket API. */
export const TESTNET_WS_API_URL = "wss://ws-api.testnet.binance.vision/ws-api/v3";

/** Options of {@link UserDataStream}. */
export interface UserDataStreamOptions {
  /** Full WebSocket API URL, e.g. {@link LIVE_WS_API_URL} or `ws://127.0.0.1:PORT/ws-api/v3`. */
  url: string;
  /** API key (sent in the clear, as Binance requires). */
  apiKey: string;
  /** API secret (used only as the HMAC key). */
  secret: string;
  /** Request timestamp in the exchange's time, ms (the REST client's clock-offset-corrected nonce). */
  timestamp: () => number;
  /** recvWindow, ms (default 5,000). */
  recvWindowMs?: number;
  /** Receives each user data event (the `event` object of a push). */
  onEvent: (event: Json) => void;
  /** Told when the subscription becomes live (true) or is lost (false). */
  onLive: (live: boolean) => void;
  /** First reconnect delay, ms (default 500); doubles per failed attempt. */
  initialDelayMs?: number;
  /** Largest reconnect delay, ms (default 30,000). */
  maxDelayMs?: number;
  /** How long to wait for the answer to a subscription or ping, ms (default 10,000). */
  subscribeTimeoutMs?: number;
  /**
   * Period of the WebSocket API `ping` request while live, ms (default 30,000;
   * 0: never). An unanswered ping drops the socket: a half-open connection
   * would otherwise look live and deliver nothing.
   */
  heartbeatMs?: number;
  /** Opens the socket (default `new WebSocket(url)`); tests wrap it to see what is sent. */
  connect?: (url: string) => WebSocket;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
}

const encoder = new TextEncoder();

/** Hex HMAC-SHA256 of the WebSocket API's signature payload (params sorted by name). */
export async function signWsApiParams(
  secret: string,
  params: Record<string, string | number>,
): Promise<string> {
  const payload = Object.keys(params).sort().map((key) => `${key}=${params[key]}`).join("&");
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(payload)));
  return Array.from(signature, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** One self-healing user data stream subscription (see the module doc). */
export class UserDataStream {
  readonly #o: UserDataStreamOptions;
  #socket: WebSocket | undefined;
  #socketClosed: Promise<void> = Promise.resolve();
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #ackTimer: ReturnType<typeof setTimeout> | undefined;
  #heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  /** The request awaiting its answer on the current socket. */
  #pending: { id: string; method: string } | undefined;
  #nextId = 0;
  #failures = 0;
  #live = false;
  #started = false;
  #stopped = false;

  /** Creates a stopped stream; {@link start} connects. */
  constructor(options: UserDataStreamOptions) {
    this.#o = options;
  }

  /** True while a subscription is acknowledged and its socket open. */
  get live(): boolean {
    return this.#live;
  }

  /** Connects and subscribes; idempotent. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#open();
  }

  /** Closes the socket and cancels reconnection; idempotent, resolves once the socket is closed. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clearTimers();
    const socket = this.#socket;
    this.#socket = undefined;
    this.#setLive(false);
    if (socket) {
      try {
        socket.close(1000, "Client closed the stream");
      } catch {
        // Already closing.
      }
    }
    await this.#socketClosed;
  }

  #open(): void {
    if (this.#stopped) return;
    let socket: WebSocket;
    try {
      socket = (this.#o.connect ?? ((url) => new WebSocket(url)))(this.#o.url);
    } catch {
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;
    const closed = Promise.withResolvers<void>();
    this.#socketClosed = closed.promise;
    socket.onopen = () => void this.#subscribe(socket);
    socket.onmessage = (message) => this.#onMessage(socket, String(message.data));
    // An error is always followed by close, which owns the recovery.
    socket.onerror = () => {};
    socket.onclose = () => {
      closed.resolve();
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#pending = undefined;
      this.#clearTimers();
      this.#setLive(false);
      this.#failures++;
      this.#scheduleReconnect();
    };
  }

  async #subscribe(socket: WebSocket): Promise<void> {
    const params: Record<string, string | number> = {
      apiKey: this.#o.apiKey,
      recvWindow: this.#o.recvWindowMs ?? 5_000,
      timestamp: this.#o.timestamp(),
    };
    const signature = await signWsApiParams(this.#o.secret, params);
    if (socket !== this.#socket || socket.readyState !== WebSocket.OPEN) return;
    this.#request(socket, "userDataStream.subscribe.signature", { ...params, signature });
  }

  /** Sends one request and drops the socket when it goes unanswered. */
  #request(socket: WebSocket, method: string, params?: Record<string, unknown>): void {
    const id = `aura-uds-${++this.#nextId}`;
    this.#pending = { id, method };
    socket.send(JSON.stringify(params ? { id, method, params } : { id, method }));
    this.#ackTimer = setTimeout(() => {
      this.#ackTimer = undefined;
      this.#drop(socket);
    }, this.#o.subscribeTimeoutMs ?? 10_000);
  }

  #scheduleHeartbeat(socket: WebSocket): void {
    const period = this.#o.heartbeatMs ?? 30_000;
    if (!(period > 0)) return;
    this.#heartbeatTimer = setTimeout(() => {
      this.#heartbeatTimer = undefined;
      if (socket === this.#socket && socket.readyState === WebSocket.OPEN) {
        this.#request(socket, "ping");
      }
    }, period);
  }

  #onMessage(socket: WebSocket, text: string): void {
    if (socket !== this.#socket) return;
    let message: Json;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    const pending = this.#pending;
    if (pending !== undefined && message.id === pending.id) {
      this.#pending = undefined;
      this.#clearAckTimer();
      if (message.status === 200) {
        this.#scheduleHeartbeat(socket);
        if (pending.method === "ping") return;
        this.#failures = 0;
        this.#setLive(true);
      } else {
        // Refused (bad key, signature, timestamp): retry later; polling covers the gap.
        this.#drop(socket);
      }
      return;
    }
    const event = message.event as Json | undefined;
    if (!event || typeof event !== "object" || !this.#live) return;
    if (event.e === "eventStreamTerminated") {
      this.#drop(socket);
      return;
    }
    try {
      this.#o.onEvent(event);
    } catch {
      // A consumer's failure must not take the stream down.
    }
  }

  #drop(socket: WebSocket): void {
    try {
      socket.close(4000, "Resubscribing");
    } catch {
      // Already closing; onclose reconnects.
    }
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#reconnectTimer !== undefined) return;
    const initial = this.#o.initialDelayMs ?? 500;
    const max = this.#o.maxDelayMs ?? 30_000;
    const base = Math.min(max, initial * 2 ** Math.max(0, this.#failures - 1));
    const delay = base * (0.5 + 0.5 * (this.#o.random ?? Math.random)());
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#open();
    }, delay);
  }

  #setLive(live: boolean): void {
    if (this.#live === live) return;
    this.#live = live;
    this.#o.onLive(live);
  }

  #clearAckTimer(): void {
    if (this.#ackTimer !== undefined) clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
  }

  #clearTimers(): void {
    this.#clearAckTimer();
    if (this.#heartbeatTimer !== undefined) clearTimeout(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
  }
}
