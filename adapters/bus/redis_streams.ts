/**
 * The {@link Bus} on Redis Streams, for stages in several processes: one
 * stream per topic, one Redis consumer group per bus group.
 *
 * Publish is `XADD <prefix>:<topic> MAXLEN ~ n`. Each subscription owns a
 * connection (a blocking `XREADGROUP` would stall everyone sharing it), reads
 * with `XREADGROUP … BLOCK`, runs the handler and `XACK`s only after it
 * resolved. What a dead or failing consumer left pending is taken over with
 * `XAUTOCLAIM` once idle longer than `retryDelayMs`; a live consumer touches
 * its in-flight entry (`XCLAIM … JUSTID`) so a slow handler is not mistaken
 * for a dead one. Failed `maxAttempts` times → copied to `<prefix>:<topic>:dead`
 * and acknowledged.
 *
 * @module
 */

import { Redis } from "ioredis";
import { AuraError } from "../../engine/errors.ts";
import { type AuraEvent, parseEvent, type Topic } from "../../engine/events.ts";
import {
  type Bus,
  type EventHandler,
  SUBSCRIBE_DEFAULTS,
  type SubscribeOptions,
  type Subscription,
} from "../../engine/ports/bus.ts";

/** Options of a {@link RedisStreamsBus}. */
export interface RedisStreamsBusOptions {
  /** Redis URL, e.g. `redis://127.0.0.1:6379/0`. */
  url: string;
  /** Key prefix of the streams (default `aura:bus`). */
  prefix?: string;
  /** Approximate cap of each stream (default 100,000 entries). */
  maxLen?: number;
  /** Entries fetched per read (default 16). */
  batchSize?: number;
  /** Longest `XREADGROUP` block, ms (default 1000). */
  blockMs?: number;
  /** Told about failures the bus recovers from by itself (lost connection, …). */
  onError?: (error: unknown) => void;
}

type StreamEntry = [id: string, fields: string[] | null];

/** A bus on Redis Streams consumer groups. */
export class RedisStreamsBus implements Bus {
  readonly #options: Required<Omit<RedisStreamsBusOptions, "onError">> & RedisStreamsBusOptions;
  readonly #publisher: Redis;
  readonly #consumers = new Set<StreamConsumer>();
  #closed = false;

  /** Connects the publishing connection (consumers get their own). */
  constructor(options: RedisStreamsBusOptions) {
    this.#options = {
      prefix: "aura:bus",
      maxLen: 100_000,
      batchSize: 16,
      blockMs: 1000,
      ...options,
    };
    // Concurrent publishes share round trips; consumers block, so they never pipeline.
    this.#publisher = connect(options.url, true);
  }

  /** The stream key of a topic (and, with `dead`, of its dead letters). */
  streamKey(topic: Topic, dead = false): string {
    return `${this.#options.prefix}:${topic}${dead ? ":dead" : ""}`;
  }

  /** `XADD`s the event; resolves once Redis stored it. */
  async publish(topic: Topic, event: AuraEvent): Promise<void> {
    this.#assertOpen(`publish "${event.id}" on "${topic}"`);
    try {
      await this.#publisher.xadd(
        this.streamKey(topic),
        "MAXLEN",
        "~",
        this.#options.maxLen,
        "*",
        "event",
        JSON.stringify(event),
      );
    } catch (error) {
      throw brokerError(`Cannot publish "${event.id}" on "${topic}"`, error);
    }
  }

  /** Creates the group when missing (from the stream's end) and starts a consumer. */
  async subscribe(
    topic: Topic,
    group: string,
    handler: EventHandler,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    this.#assertOpen(`subscribe "${group}" to "${topic}"`);
    const key = this.streamKey(topic);
    await ensureGroup(this.#publisher, key, group);
    const consumer = new StreamConsumer({
      connection: connect(this.#options.url),
      control: this.#publisher,
      key,
      deadKey: this.streamKey(topic, true),
      group,
      handler,
      options: { ...SUBSCRIBE_DEFAULTS, ...options },
      bus: this.#options,
      onClosed: () => this.#consumers.delete(consumer),
    });
    this.#consumers.add(consumer);
    consumer.start();
    return consumer;
  }

  /** Stops every consumer and closes every connection; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#consumers].map((c) => c.close()));
    await this.#publisher.quit().catch(() => this.#publisher.disconnect());
  }

  #assertOpen(action: string): void {
    if (this.#closed) throw new AuraError("SYS_003", `Cannot ${action}: the Redis bus is closed`);
  }
}

function connect(url: string, pipelined = false): Redis {
  // Fail commands fast while disconnected instead of queueing them forever.
  return new Redis(url, { maxRetriesPerRequest: 2, enableAutoPipelining: pipelined });
}

async function ensureGroup(redis: Redis, key: string, group: string): Promise<void> {
  try {
    await redis.xgroup("CREATE", key, group, "$", "MKSTREAM");
  } catch (error) {
    if (!String(error).includes("BUSYGROUP")) {
      throw brokerError(`Cannot create consumer group "${group}" on "${key}"`, error);
    }
  }
}

function brokerError(action: string, error: unknown): AuraError {
  const reason = error instanceof Error ? error.message : String(error);
  return new AuraError("SYS_003", `${action}: ${reason}`);
}

interface ConsumerSetup {
  connection: Redis;
  /** The bus's shared connection, for housekeeping after `connection` is gone. */
  control: Redis;
  key: string;
  deadKey: string;
  group: string;
  handler: EventHandler;
  options: typeof SUBSCRIBE_DEFAULTS & SubscribeOptions;
  bus: RedisStreamsBusOptions & { batchSize: number; blockMs: number };
  onClosed: () => void;
}

/**
 * One consumer of a group, with its own connection and read loop. With
 * `concurrency` 1 it handles one entry at a time on its own connection; with
 * more, it keeps up to that many handlers running (started in stream order)
 * and acknowledges and heartbeats them on the bus's shared connection, since
 * its own is mostly parked in a blocking read.
 */
class StreamConsumer implements Subscription {
  readonly #s: ConsumerSetup;
  readonly #name = `consumer-${crypto.randomUUID()}`;
  readonly #inFlight = new Map<string, Promise<void>>();
  #closed = false;
  #loop: Promise<void> = Promise.resolve();
  #claimCursor = "0-0";
  #nextClaimAt = 0;
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(setup: ConsumerSetup) {
    this.#s = setup;
  }

  get #windowed(): boolean {
    return this.#s.options.concurrency > 1;
  }

  start(): void {
    this.#loop = this.#run();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#s.onClosed();
    clearInterval(this.#heartbeat);
    // Dropping the connection aborts the blocking read; unacknowledged entries
    // stay pending in the group for another consumer to claim.
    this.#s.connection.disconnect();
    // A handler that never returns (a hung consumer) must not hang close().
    if (this.#inFlight.size > 0) return;
    await this.#loop;
    await this.#forget().catch((error) => this.#s.bus.onError?.(error));
  }

  /** Removes this consumer's name from the group when it holds nothing, so names don't pile up. */
  async #forget(): Promise<void> {
    const { control, key, group } = this.#s;
    // DELCONSUMER drops the consumer's pending entries: only when there are none.
    const pending = await control.xpending(key, group, "-", "+", 1, this.#name) as unknown[];
    if (pending.length === 0) await control.xgroup("DELCONSUMER", key, group, this.#name);
  }

  async #run(): Promise<void> {
    const { connection, key, group, bus, options } = this.#s;
    const blockMs = Math.max(20, Math.min(bus.blockMs, Math.floor(options.retryDelayMs / 2)));
    while (!this.#closed) {
      try {
        await this.#room();
        if (this.#closed) return;
        if (performance.now() >= this.#nextClaimAt) await this.#claimStale();
        const count = Math.min(bus.batchSize, options.concurrency - this.#inFlight.size);
        if (count <= 0) continue;
        const reply = await connection.xreadgroup(
          "GROUP",
          group,
          this.#name,
          "COUNT",
          count,
          "BLOCK",
          blockMs,
          "STREAMS",
          key,
          ">",
        ) as [string, StreamEntry[]][] | null;
        for (const entry of reply?.[0]?.[1] ?? []) {
          if (this.#closed) return;
          await this.#start(entry, 1);
        }
      } catch (error) {
        if (this.#closed) return;
        // The stream or group was deleted (e.g. FLUSHDB): recreate it and read on.
        const recreated = String(error).includes("NOGROUP") &&
          await ensureGroup(connection, key, group).then(() => true, () => false);
        if (!recreated) {
          bus.onError?.(error);
          // Temporary (connection lost, failover): retry shortly rather than stop consuming.
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    }
  }

  /** Waits until a handler slot is free. */
  async #room(): Promise<void> {
    while (!this.#closed && this.#inFlight.size >= this.#s.options.concurrency) {
      await Promise.race(this.#inFlight.values());
    }
  }

  /** Handles an entry: inline with one slot, else in the window (after waiting for room). */
  async #start(entry: StreamEntry, attempt: number): Promise<void> {
    if (!this.#windowed) return await this.#handle(entry, attempt);
    await this.#room();
    if (this.#closed) return;
    const id = entry[0];
    const running = this.#handle(entry, attempt).finally(() => this.#inFlight.delete(id));
    this.#inFlight.set(id, running);
    this.#heartbeat ??= setInterval(() => this.#touch(), this.#touchEveryMs());
  }

  #touchEveryMs(): number {
    return Math.max(10, Math.floor(this.#s.options.retryDelayMs / 3));
  }

  /** Resets the idle time of every entry being handled, without counting a delivery. */
  #touch(ids = [...this.#inFlight.keys()]): void {
    const { control, connection, key, group } = this.#s;
    if (ids.length === 0) return;
    const via = this.#windowed ? control : connection;
    via.xclaim(key, group, this.#name, 0, ...ids, "JUSTID").catch(() => {});
  }

  async #claimStale(): Promise<void> {
    const { connection, key, group, bus, options } = this.#s;
    this.#nextClaimAt = performance.now() + options.retryDelayMs / 2;
    const [cursor, entries] = await connection.xautoclaim(
      key,
      group,
      this.#name,
      options.retryDelayMs,
      this.#claimCursor,
      "COUNT",
      bus.batchSize,
    ) as [string, StreamEntry[]];
    this.#claimCursor = cursor;
    for (const entry of entries) {
      if (this.#closed) return;
      if (this.#inFlight.has(entry[0])) continue; // ours, still being handled
      const pending = await connection.xpending(key, group, entry[0], entry[0], 1) as [
        string,
        string,
        number,
        number,
      ][];
      await this.#start(entry, pending[0]?.[3] ?? 1);
    }
  }

  async #handle([id, fields]: StreamEntry, attempt: number): Promise<void> {
    const { connection, control, key, deadKey, group, handler, options } = this.#s;
    const via = this.#windowed ? control : connection;
    const raw = fields?.[fields.indexOf("event") + 1];
    if (raw === undefined) return void await via.xack(key, group, id); // trimmed away
    let event: AuraEvent;
    try {
      event = parseEvent(JSON.parse(raw));
    } catch (error) {
      // Poison: it will never parse, so retrying is pointless.
      await via.xadd(deadKey, "*", "event", raw, "error", String(error), "group", group);
      return void await via.xack(key, group, id);
    }
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    if (!this.#windowed) {
      heartbeat = setInterval(() => this.#touch([id]), this.#touchEveryMs());
      this.#inFlight.set(id, Promise.resolve());
    }
    let failure: { error: unknown } | null = null;
    try {
      await handler(event, { attempt });
    } catch (error) {
      failure = { error };
    } finally {
      clearInterval(heartbeat);
      if (!this.#windowed) this.#inFlight.delete(id);
    }
    if (this.#closed) return;
    if (failure && attempt < options.maxAttempts) return; // stays pending: claimed again later
    if (failure) {
      await via.xadd(deadKey, "*", "event", raw, "error", String(failure.error), "group", group);
      await (async () => await options.onDeadLetter?.(event, { attempts: attempt, ...failure }))()
        .catch(() => {});
    }
    // Not awaited: a connection runs commands in order, so with one slot the ack reaches
    // Redis before the next read, without a round trip per event. A lost ack means a redelivery.
    via.xack(key, group, id).catch((error) => this.#s.bus.onError?.(error));
  }
}
