/**
 * The Binance kline stream client: ONE combined-stream WebSocket carrying
 * every (symbol, interval) that active strategies need, subscribed and
 * unsubscribed by reference count with `SUBSCRIBE`/`UNSUBSCRIBE` messages.
 *
 * Guarantees: `onKline` sees each closed candle (`k.x === true`) of a stream
 * exactly once and in order, across reconnects — after every (re)connect, and
 * whenever a live candle skips ahead, the gap is fetched through REST
 * `GET /api/v3/klines` first. Unsound candles are logged (WARN) and withheld.
 *
 * Connection care: reconnects with exponential backoff and jitter; reconnects
 * before Binance's 24-hour cut and at once on a `serverShutdown` event; ping
 * frames are answered with pongs by the WebSocket implementation itself.
 *
 * @module
 */

import { INTERVAL_MS, type KlineData } from "../../engine/candle.ts";
import { type Clock, preciseNow } from "../../engine/clock.ts";
import { ClosedCandleTracker, streamKey } from "../../engine/ingest/tracker.ts";
import { klineStreamName, SubscriptionCounts } from "../../engine/ingest/subscriptions.ts";
import type { KlineAnomaly } from "../../engine/ingest/validate.ts";
import { createLogger, type Logger } from "../../logger.ts";
import { fetchClosedKlines } from "./rest_klines.ts";

/** Options of {@link BinanceKlineStream}. */
export interface KlineStreamOptions {
  /** WebSocket base, e.g. `wss://stream.binance.com:9443` (the client adds `/stream`). */
  wsUrl: string;
  /** REST base for backfill, e.g. `https://api.binance.com`. */
  restUrl: string;
  /** Time source (receive stamps, "is this candle closed yet"). */
  clock: Clock;
  /** Close-to-close move, in percent, beyond which a candle is withheld as a price jump. */
  jumpThresholdPercent: number;
  /** Each sound closed candle, once, in order per stream; awaited before the next one. */
  onKline: (kline: KlineData, receivedAt: number) => void | Promise<void>;
  /** Every kline update (open or closed): the live price. */
  onPrice?: (symbol: string, price: string, at: number) => void;
  /** A withheld candle (already logged at WARN). */
  onAnomaly?: (kline: KlineData, anomaly: KlineAnomaly) => void;
  /** Reconnect delays: first and largest, ms (defaults 500 and 60,000). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Uniform [0, 1) source for the jitter (default Math.random). */
  random?: () => number;
  /** Reconnect after this long on one connection (default 23 h 50 min; Binance cuts at 24 h). */
  maxConnectionMs?: number;
  /** HTTP client for backfill (default global fetch). */
  fetch?: typeof fetch;
  /** Logger (default service "ingest"). */
  logger?: Logger;
}

/** Counters for health and tests. */
export interface KlineStreamStats {
  /** Successful connections (the first included). */
  connects: number;
  /** Closed candles handed to `onKline`. */
  published: number;
  /** Of those, candles that came through REST backfill. */
  backfilled: number;
  /** Copies dropped (same open time seen again). */
  duplicates: number;
  /** Candles older than the last published one. */
  outOfOrder: number;
  /** Candles withheld as unsound. */
  anomalies: number;
  /** Backfills that failed after retries (a gap may remain). */
  backfillFailures: number;
}

const DAY_MINUS_10_MIN = 24 * 3_600_000 - 600_000;

/** The kline stream client; see the module doc. */
export class BinanceKlineStream {
  readonly #o: KlineStreamOptions;
  readonly #log: Logger;
  readonly #counts = new SubscriptionCounts();
  readonly #tracker: ClosedCandleTracker;
  readonly #chains = new Map<string, Promise<void>>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #sleepers = new Set<() => void>();
  #socket: WebSocket | null = null;
  #socketStreams = new Set<string>();
  #pending: { subscribe: Set<string>; unsubscribe: Set<string> } | null = null;
  #attempt = 0;
  // Set when we close on purpose (rotation, announced shutdown): reconnect without waiting.
  #immediate = false;
  #nextId = 1;
  #closed = false;
  #socketClosed: Promise<void> = Promise.resolve();
  readonly stats: KlineStreamStats = {
    connects: 0,
    published: 0,
    backfilled: 0,
    duplicates: 0,
    outOfOrder: 0,
    anomalies: 0,
    backfillFailures: 0,
  };

  /** Creates the client; it connects on the first subscription. */
  constructor(options: KlineStreamOptions) {
    this.#o = options;
    this.#log = options.logger ?? createLogger("ingest");
    this.#tracker = new ClosedCandleTracker(options.jumpThresholdPercent);
  }

  /** True while the WebSocket is open. */
  get connected(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  /** The streams currently held, as Binance names them. */
  get streams(): string[] {
    return this.#counts.names();
  }

  /** Adds a holder of (symbol, interval); the first one subscribes the stream. */
  subscribe(symbol: string, interval: string): void {
    if (this.#closed || !this.#counts.add(symbol, interval)) return;
    this.#change("subscribe", klineStreamName(symbol, interval));
  }

  /** Removes a holder; the last one unsubscribes the stream and forgets its position. */
  unsubscribe(symbol: string, interval: string): void {
    if (this.#closed || !this.#counts.remove(symbol, interval)) return;
    this.#tracker.forget(symbol.toUpperCase(), interval);
    this.#change("unsubscribe", klineStreamName(symbol, interval));
  }

  /** Closes the socket and waits for in-flight candles; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    // Wake retry waits so in-flight tasks finish (they see #closed and stop).
    for (const wake of this.#sleepers) wake();
    this.#socket?.close(1000, "AURA is stopping");
    await this.#socketClosed;
    await Promise.allSettled([...this.#chains.values()]);
  }

  #change(kind: "subscribe" | "unsubscribe", name: string): void {
    if (this.#socket === null) {
      this.#connect();
      return;
    }
    if (this.#socket.readyState !== WebSocket.OPEN) return; // reconciled on open
    // Batch changes made in one turn into one message (Binance allows 5 messages/s).
    if (this.#pending === null) {
      this.#pending = { subscribe: new Set(), unsubscribe: new Set() };
      queueMicrotask(() => this.#sync());
    }
    const other = kind === "subscribe" ? "unsubscribe" : "subscribe";
    this.#pending[other].delete(name);
    this.#pending[kind].add(name);
  }

  /** Makes the server's stream set equal the held one. */
  #sync(): void {
    this.#pending = null;
    const socket = this.#socket;
    if (socket?.readyState !== WebSocket.OPEN) return;
    const wanted = new Set(this.#counts.names());
    const add = [...wanted].filter((s) => !this.#socketStreams.has(s));
    const drop = [...this.#socketStreams].filter((s) => !wanted.has(s));
    if (add.length) {
      socket.send(JSON.stringify({ method: "SUBSCRIBE", params: add, id: this.#nextId++ }));
    }
    if (drop.length) {
      socket.send(JSON.stringify({ method: "UNSUBSCRIBE", params: drop, id: this.#nextId++ }));
    }
    this.#socketStreams = wanted;
  }

  #connect(): void {
    if (this.#closed || this.#socket !== null) return;
    const names = this.#counts.names();
    const url = new URL("/stream", this.#o.wsUrl.replace(/\/+$/, "") + "/");
    if (names.length) url.search = `streams=${names.join("/")}`;
    const socket = new WebSocket(url);
    this.#socket = socket;
    this.#socketStreams = new Set(names);
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#socketClosed = promise;
    let rotate: ReturnType<typeof setTimeout> | undefined;
    socket.onopen = () => {
      this.stats.connects++;
      this.#log.info("Kline stream connected", { streams: names.length, attempt: this.#attempt });
      rotate = this.#timer(() => {
        this.#log.info("Kline stream reconnecting before the 24-hour cut");
        this.#immediate = true;
        socket.close(1000, "Rotating before the 24-hour limit");
      }, this.#o.maxConnectionMs ?? DAY_MINUS_10_MIN);
      this.#sync();
      this.#backfillAll();
    };
    socket.onmessage = (event) => this.#onMessage(socket, String(event.data));
    socket.onerror = () => {}; // followed by onclose, where the reconnect happens
    socket.onclose = (event) => {
      if (rotate !== undefined) this.#clearTimer(rotate);
      if (this.#socket === socket) this.#socket = null;
      resolve();
      if (this.#closed) return;
      const delay = this.#immediate ? 0 : this.#delay();
      this.#immediate = false;
      this.#log.warn("Kline stream disconnected, reconnecting", {
        code: event.code,
        reason: event.reason,
        delayMs: Math.round(delay),
      });
      this.#timer(() => this.#connect(), delay);
    };
  }

  #delay(): number {
    const initial = this.#o.backoff?.initialMs ?? 500;
    const max = this.#o.backoff?.maxMs ?? 60_000;
    const ceiling = Math.min(max, initial * 2 ** this.#attempt++);
    // "Equal jitter": never less than half the step, so a crowd of clients spreads out.
    return ceiling / 2 + (this.#o.random ?? Math.random)() * ceiling / 2;
  }

  #onMessage(socket: WebSocket, text: string): void {
    let message: { stream?: string; data?: Record<string, unknown>; e?: unknown };
    try {
      message = JSON.parse(text);
    } catch {
      this.#log.warn("Kline stream sent a message that is not JSON", { text: text.slice(0, 200) });
      return;
    }
    const data = (message.data ?? message) as Record<string, unknown>;
    if (data.e === "serverShutdown") {
      this.#log.warn("Kline stream server is shutting down, reconnecting now");
      this.#attempt = 0;
      this.#immediate = true;
      socket.close(1000, "Server shutdown announced");
      return;
    }
    if (data.e !== "kline") return; // subscription acknowledgements and the like
    const k = data.k as Record<string, unknown> | undefined;
    if (!k) return;
    this.#attempt = 0; // a healthy connection resets the backoff
    const receivedAt = preciseNow(this.#o.clock);
    const kline: KlineData = {
      symbol: String(k.s ?? data.s).toUpperCase(),
      interval: String(k.i),
      openTime: Number(k.t),
      closeTime: Number(k.T),
      open: String(k.o),
      high: String(k.h),
      low: String(k.l),
      close: String(k.c),
      volume: String(k.v),
    };
    this.#o.onPrice?.(kline.symbol, kline.close, Math.floor(receivedAt));
    if (k.x !== true) return;
    if (this.#counts.holders(kline.symbol, kline.interval) === 0) return; // unsubscribed meanwhile
    this.#enqueue(kline.symbol, kline.interval, async () => {
      const gap = this.#tracker.gapBefore(kline);
      if (gap) await this.#backfill(kline.symbol, kline.interval, gap[0], gap[1]);
      await this.#admit(kline, receivedAt, false);
    });
  }

  #backfillAll(): void {
    for (const { symbol, interval } of this.#counts.streams()) {
      this.#enqueue(symbol, interval, async () => {
        const last = this.#tracker.lastOpenTime(symbol, interval);
        const step = INTERVAL_MS[interval];
        if (last === null || step === undefined) return;
        await this.#backfill(symbol, interval, last + step, undefined);
      });
    }
  }

  async #backfill(symbol: string, interval: string, from: number, to: number | undefined) {
    for (let attempt = 1; !this.#closed; attempt++) {
      try {
        const klines = await fetchClosedKlines({
          restUrl: this.#o.restUrl,
          symbol,
          interval,
          from,
          ...(to !== undefined ? { to } : {}),
          now: this.#o.clock.now(),
          ...(this.#o.fetch ? { fetch: this.#o.fetch } : {}),
        });
        const receivedAt = preciseNow(this.#o.clock);
        for (const kline of klines) await this.#admit(kline, receivedAt, true);
        return;
      } catch (error) {
        if (attempt >= 3) {
          this.stats.backfillFailures++;
          this.#log.error("Kline backfill failed; candles may be missing", {
            symbol,
            interval,
            from,
            error: error instanceof Error ? error.message : String(error),
          });
          return;
        }
        await this.#sleep(250 * attempt);
      }
    }
  }

  async #admit(kline: KlineData, receivedAt: number, backfilled: boolean): Promise<void> {
    if (this.#counts.holders(kline.symbol, kline.interval) === 0) return;
    const admission = this.#tracker.admit(kline);
    switch (admission.verdict) {
      case "publish":
        this.stats.published++;
        if (backfilled) this.stats.backfilled++;
        try {
          await this.#o.onKline(kline, receivedAt);
        } catch (error) {
          this.#log.error("Could not publish a closed kline", {
            symbol: kline.symbol,
            interval: kline.interval,
            openTime: kline.openTime,
            error: error instanceof Error ? error.message : String(error),
          });
        }
        return;
      case "duplicate":
        this.stats.duplicates++;
        return;
      case "out_of_order":
        this.stats.outOfOrder++;
        this.#log.warn("Kline out of order withheld", {
          symbol: kline.symbol,
          interval: kline.interval,
          openTime: kline.openTime,
          lastOpenTime: admission.lastOpenTime,
        });
        return;
      case "anomaly":
        this.stats.anomalies++;
        this.#log.warn("Kline anomaly withheld", {
          symbol: kline.symbol,
          interval: kline.interval,
          openTime: kline.openTime,
          kind: admission.anomaly.kind,
          detail: admission.anomaly.detail,
        });
        this.#o.onAnomaly?.(kline, admission.anomaly);
    }
  }

  /** Runs `task` after every earlier task of the same stream (order is per stream). */
  #enqueue(symbol: string, interval: string, task: () => Promise<void>): void {
    const key = streamKey(symbol, interval);
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => (this.#closed ? undefined : task())).catch((error) => {
      this.#log.error("Kline stream task failed", { stream: key, error: String(error) });
    });
    this.#chains.set(key, next);
    void next.then(() => {
      if (this.#chains.get(key) === next) this.#chains.delete(key);
    });
  }

  #timer(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        this.#sleepers.delete(wake);
        resolve();
      };
      this.#sleepers.add(wake);
      this.#timer(wake, ms);
    });
  }

  #clearTimer(timer: ReturnType<typeof setTimeout>): void {
    clearTimeout(timer);
    this.#timers.delete(timer);
  }
}
