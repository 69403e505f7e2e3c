/**
 * The {@link Bus} on Deno KV queues: durable without a server, at ~50 ms a
 * hop (PLATFORM.md), for a single-machine deployment without Redis.
 *
 * A KV database has one queue, so every message names its topic and group.
 * `publish` enqueues one copy per group registered for the topic (groups are
 * keys in KV), in one atomic commit. The listener hands a copy to an idle
 * local consumer of its group and acknowledges it (returns from the queue
 * handler) only once that consumer is done: handled, re-enqueued with a delay
 * after a failure, or dead-lettered under `[prefix, "dead", topic, group, id]`.
 * Copies for a group with no consumer here are re-enqueued for another
 * listener (after 250 ms, backing off to 30 s). A copy being handled when the bus closes is left
 * unacknowledged, and KV hands it out again once its own lease on it expires.
 * KV has one queue per database, so listeners on the same file take each
 * other's copies: with groups split over two handles, 20 events took 2–4 s
 * (bounces). Keep every consumer of a KV bus in one isolate (one `KvBus`);
 * between workers use the memory bus with the worker bridge; across processes
 * KV is far too slow (PLATFORM.md: ~60 s), use Redis Streams.
 *
 * @module
 */

import { Fifo } from "./_fifo.ts";
import { type ChainLink, ChainReorderer } from "./_kv_order.ts";
import { AuraError } from "../../engine/errors.ts";
import { type AuraEvent, parseEvent, type Topic } from "../../engine/events.ts";
import {
  type Bus,
  type EventHandler,
  SUBSCRIBE_DEFAULTS,
  type SubscribeOptions,
  type Subscription,
} from "../../engine/ports/bus.ts";

interface QueueMessage {
  readonly bus: string;
  readonly topic: Topic;
  readonly group: string;
  readonly event: unknown;
  /** Deliveries so far. */
  readonly attempts: number;
  /** Place in the publisher's chain for this group; null on redeliveries (no order owed). */
  readonly link: ChainLink | null;
  /** Times it came to a listener without a consumer for its group. */
  readonly bounces?: number;
}

interface Pending {
  readonly message: QueueMessage;
  readonly done: () => void;
}

interface Consumer {
  readonly handler: EventHandler;
  readonly options: typeof SUBSCRIBE_DEFAULTS & SubscribeOptions;
  /** Copies handed to it and not yet done, in delivery order (at most `options.concurrency`). */
  readonly inFlight: Set<Pending>;
  closed: boolean;
}

interface LocalGroup {
  readonly queue: Fifo<Pending>;
  readonly reorder: ChainReorderer<Pending>;
  consumers: Consumer[];
  next: number;
  /** Whether a gap-timeout release is scheduled. */
  gapTimer: boolean;
}

// A copy whose group has no consumer in this process waits before another try: 250 ms,
// doubling up to 30 s, so a group nobody consumes any more costs little.
const BOUNCE_DELAY_MS = 250;
const MAX_BOUNCE_DELAY_MS = 30_000;
// How long a copy waits for a predecessor that may never come (it went to another listener).
const GAP_TIMEOUT_MS = 500;

/** A bus on a Deno KV database's queue. */
export class KvBus implements Bus {
  readonly #kv: Deno.Kv;
  readonly #prefix: string;
  readonly #groups = new Map<string, LocalGroup>();
  #listening: Promise<void> | null = null;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #publisherId = crypto.randomUUID();
  // Last sequence number sent to each topic/group, to link the next copy to it.
  readonly #lastSent = new Map<string, number>();
  #sequence = 0;
  #publishing: Promise<void> = Promise.resolve();
  #closed = false;

  /**
   * Opens (or creates) the KV database at `path` (`":memory:"` for a private
   * one). The queue is read from the first `subscribe` on: a bus that only
   * publishes never takes copies meant for consumers elsewhere.
   */
  static async open(path = ":memory:", options: { prefix?: string } = {}): Promise<KvBus> {
    return new KvBus(await Deno.openKv(path), options.prefix ?? "aura_bus");
  }

  private constructor(kv: Deno.Kv, prefix: string) {
    this.#kv = kv;
    this.#prefix = prefix;
  }

  /** Enqueues one copy of the event per group registered on the topic, atomically. */
  publish(topic: Topic, event: AuraEvent): Promise<void> {
    if (this.#closed) return Promise.reject(closedError(`publish "${event.id}" on "${topic}"`));
    // One publish at a time keeps each group's chain of links in publish order.
    const run = this.#publishing.then(() => this.#enqueueCopies(topic, event));
    this.#publishing = run.catch(() => {});
    return run;
  }

  async #enqueueCopies(topic: Topic, event: AuraEvent): Promise<void> {
    const atomic = this.#kv.atomic();
    const seq = this.#sequence++;
    const sent: string[] = [];
    for await (const entry of this.#kv.list({ prefix: [this.#prefix, "groups", topic] })) {
      const group = String(entry.key.at(-1));
      const key = `${topic}\u0000${group}`;
      const link = { from: this.#publisherId, seq, prev: this.#lastSent.get(key) ?? -1 };
      atomic.enqueue({ bus: this.#prefix, topic, group, event, attempts: 0, link } as QueueMessage);
      sent.push(key);
    }
    const result = await atomic.commit();
    if (!result.ok) throw new AuraError("SYS_003", `Cannot publish "${event.id}" on "${topic}"`);
    for (const key of sent) this.#lastSent.set(key, seq);
  }

  /** Registers the group in KV (so publishers see it) and adds a local consumer. */
  async subscribe(
    topic: Topic,
    group: string,
    handler: EventHandler,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    this.#assertOpen(`subscribe "${group}" to "${topic}"`);
    await this.#kv.set([this.#prefix, "groups", topic, group], true);
    this.#listening ??= this.#kv.listenQueue((message) => this.#receive(message as QueueMessage));
    const local = this.#group(topic, group);
    const consumer: Consumer = {
      handler,
      options: { ...SUBSCRIBE_DEFAULTS, ...options },
      inFlight: new Set(),
      closed: false,
    };
    local.consumers.push(consumer);
    this.#dispatch(local);
    return { close: () => this.#leave(local, consumer) };
  }

  /** Stops consuming and closes the database; unacknowledged copies stay in KV. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    for (const local of this.#groups.values()) {
      for (const consumer of local.consumers) consumer.closed = true;
      local.consumers = [];
    }
    this.#kv.close();
    await this.#listening?.catch(() => {});
  }

  #group(topic: Topic, group: string): LocalGroup {
    const key = `${topic}\u0000${group}`;
    let local = this.#groups.get(key);
    if (!local) {
      local = {
        queue: new Fifo(),
        reorder: new ChainReorderer(GAP_TIMEOUT_MS),
        consumers: [],
        next: 0,
        gapTimer: false,
      };
      this.#groups.set(key, local);
    }
    return local;
  }

  #receive(message: QueueMessage): Promise<void> | void {
    if (this.#closed) return new Promise(() => {}); // never acknowledged: KV keeps it
    const local = this.#group(message.topic, message.group);
    if (message.bus !== this.#prefix || local.consumers.length === 0) {
      const bounces = (message.bounces ?? 0) + 1;
      const delay = Math.min(MAX_BOUNCE_DELAY_MS, BOUNCE_DELAY_MS * 2 ** (bounces - 1));
      return this.#requeue({ ...message, bounces }, delay);
    }
    return new Promise<void>((done) => {
      const pending = { message, done };
      const ready = message.link ? local.reorder.add(pending, message.link, Date.now()) : [pending];
      for (const item of ready) local.queue.push(item);
      this.#dispatch(local);
      this.#scheduleGapRelease(local);
    });
  }

  #scheduleGapRelease(local: LocalGroup): void {
    const deadline = local.reorder.nextDeadline();
    if (deadline === null || local.gapTimer) return;
    local.gapTimer = true;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      local.gapTimer = false;
      for (const item of local.reorder.release(Date.now())) local.queue.push(item);
      this.#dispatch(local);
      this.#scheduleGapRelease(local);
    }, Math.max(1, deadline - Date.now()));
    this.#timers.add(timer);
  }

  async #leave(local: LocalGroup, consumer: Consumer): Promise<void> {
    if (consumer.closed) return;
    consumer.closed = true;
    local.consumers = local.consumers.filter((c) => c !== consumer);
    for (const abandoned of [...consumer.inFlight].reverse()) local.queue.unshift(abandoned);
    consumer.inFlight.clear();
    if (local.consumers.length > 0) return this.#dispatch(local);
    // Nobody left here: give the copies back to KV for another listener.
    const waiting = [...local.queue.drain(), ...local.reorder.drain()];
    await Promise.all(waiting.map(async (p) => {
      await this.#requeue({ ...p.message, link: null }, 0);
      p.done();
    }));
  }

  #dispatch(local: LocalGroup): void {
    while (local.queue.length > 0) {
      const count = local.consumers.length;
      let consumer: Consumer | undefined;
      for (let i = 0; i < count && !consumer; i++) {
        const candidate = local.consumers[(local.next + i) % count]!;
        if (candidate.inFlight.size < candidate.options.concurrency) {
          consumer = candidate;
          local.next = (local.next + i + 1) % count;
        }
      }
      if (!consumer) return;
      const pending = local.queue.shift()!;
      consumer.inFlight.add(pending);
      void this.#deliver(local, consumer, pending);
    }
  }

  async #deliver(local: LocalGroup, consumer: Consumer, pending: Pending): Promise<void> {
    const { message } = pending;
    const attempts = message.attempts + 1;
    let event: AuraEvent | null = null;
    let failure: { error: unknown } | null = null;
    try {
      event = parseEvent(message.event);
      await consumer.handler(event, { attempt: attempts });
    } catch (error) {
      failure = { error };
    }
    if (!consumer.inFlight.has(pending) || this.#closed) return; // handed back in #leave
    consumer.inFlight.delete(pending);
    try {
      const { maxAttempts, retryDelayMs, onDeadLetter } = consumer.options;
      // An event that does not parse will never succeed: dead-letter it at once.
      if (failure && (attempts >= maxAttempts || event === null)) {
        const { topic, group } = message;
        const id = event?.id ?? crypto.randomUUID();
        const error = String(failure.error);
        await this.#kv.set([this.#prefix, "dead", topic, group, id], { ...message, error });
        if (event) await (async () => await onDeadLetter?.(event, { attempts, ...failure }))();
      } else if (failure) {
        await this.#requeue({ ...message, attempts, link: null }, retryDelayMs);
      }
    } catch {
      // The dead-letter hook or KV failed; acknowledging anyway keeps the group moving.
    } finally {
      pending.done();
      this.#dispatch(local);
    }
  }

  async #requeue(message: QueueMessage, delay: number): Promise<void> {
    if (this.#closed) return new Promise(() => {});
    await this.#kv.enqueue(message, { delay });
  }

  #assertOpen(action: string): void {
    if (this.#closed) throw closedError(action);
  }
}

function closedError(action: string): AuraError {
  return new AuraError("SYS_003", `Cannot ${action}: the KV bus is closed`);
}
