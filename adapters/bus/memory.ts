/**
 * The in-process {@link Bus}: the default when every stage runs in one
 * process (and, behind the worker bridge, when stages run in Web Workers).
 * Nothing survives a restart; durability comes from the KV and Redis adapters.
 *
 * @module
 */

import { AuraError } from "../../engine/errors.ts";
import type { AuraEvent, Topic } from "../../engine/events.ts";
import {
  type Bus,
  type EventHandler,
  SUBSCRIBE_DEFAULTS,
  type SubscribeOptions,
  type Subscription,
} from "../../engine/ports/bus.ts";
import { Fifo } from "./_fifo.ts";

interface Entry {
  readonly event: AuraEvent;
  attempts: number;
}

interface Consumer {
  readonly handler: EventHandler;
  readonly options: Required<Omit<SubscribeOptions, "onDeadLetter">> & SubscribeOptions;
  /** Deliveries not yet acknowledged, in delivery order (at most `options.concurrency`). */
  readonly inFlight: Set<Entry>;
  closed: boolean;
}

interface Group {
  readonly queue: Fifo<Entry>;
  consumers: Consumer[];
  next: number;
}

/**
 * An in-memory bus with consumer groups, acknowledgement on handler
 * resolution, delayed redelivery and dead-lettering.
 *
 * @example
 * ```ts
 * const bus = new MemoryBus();
 * await bus.subscribe("klines", "strategy", (event) => runner.onEvent(event));
 * await bus.publish("klines", klineClosed(kline, clock.now()));
 * ```
 */
export class MemoryBus implements Bus {
  readonly #topics = new Map<Topic, Map<string, Group>>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #closed = false;

  /** Queues the event for every group of the topic (events with no group are dropped). */
  publish(topic: Topic, event: AuraEvent): Promise<void> {
    if (this.#closed) return refused(`publish "${event.id}" on "${topic}"`);
    for (const group of this.#topics.get(topic)?.values() ?? []) {
      group.queue.push({ event, attempts: 0 });
      this.#dispatch(group);
    }
    return Promise.resolve();
  }

  /** Adds a consumer to the group (created on first use, kept while the bus lives). */
  subscribe(
    topic: Topic,
    groupName: string,
    handler: EventHandler,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    if (this.#closed) return refused(`subscribe "${groupName}" to "${topic}"`);
    let groups = this.#topics.get(topic);
    if (!groups) this.#topics.set(topic, groups = new Map());
    let group = groups.get(groupName);
    if (!group) groups.set(groupName, group = { queue: new Fifo(), consumers: [], next: 0 });
    const consumer: Consumer = {
      handler,
      options: { ...SUBSCRIBE_DEFAULTS, ...options },
      inFlight: new Set(),
      closed: false,
    };
    group.consumers.push(consumer);
    this.#dispatch(group);
    const owner = group;
    return Promise.resolve({ close: () => Promise.resolve(this.#leave(owner, consumer)) });
  }

  /** Drops every group and pending retry; idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const groups of this.#topics.values()) {
      for (const group of groups.values()) {
        for (const consumer of group.consumers) consumer.closed = true;
        group.consumers = [];
        group.queue.drain();
      }
    }
    return Promise.resolve();
  }

  #leave(group: Group, consumer: Consumer): void {
    if (consumer.closed) return;
    consumer.closed = true;
    group.consumers = group.consumers.filter((c) => c !== consumer);
    // Unacknowledged work goes back to the group at once, as after a crash.
    for (const entry of [...consumer.inFlight].reverse()) group.queue.unshift(entry);
    consumer.inFlight.clear();
    this.#dispatch(group);
  }

  #dispatch(group: Group): void {
    while (group.queue.length > 0) {
      const consumer = this.#idleConsumer(group);
      if (!consumer) return;
      const entry = group.queue.shift()!;
      consumer.inFlight.add(entry);
      void this.#deliver(group, consumer, entry);
    }
  }

  #idleConsumer(group: Group): Consumer | undefined {
    const count = group.consumers.length;
    for (let i = 0; i < count; i++) {
      const consumer = group.consumers[(group.next + i) % count]!;
      if (consumer.inFlight.size < consumer.options.concurrency) {
        group.next = (group.next + i + 1) % count;
        return consumer;
      }
    }
    return undefined;
  }

  async #deliver(group: Group, consumer: Consumer, entry: Entry): Promise<void> {
    entry.attempts++;
    let failure: { error: unknown } | null = null;
    try {
      // Never run a handler inside the publisher's call stack.
      await Promise.resolve();
      await consumer.handler(entry.event, { attempt: entry.attempts });
    } catch (error) {
      failure = { error };
    }
    // Closed meanwhile: the entry was handed back to the group in #leave.
    if (!consumer.inFlight.has(entry) || this.#closed) return;
    consumer.inFlight.delete(entry);
    if (failure) await this.#fail(group, consumer, entry, failure.error);
    this.#dispatch(group);
  }

  async #fail(group: Group, consumer: Consumer, entry: Entry, error: unknown): Promise<void> {
    const { maxAttempts, retryDelayMs, onDeadLetter } = consumer.options;
    if (entry.attempts >= maxAttempts) {
      // A failing dead-letter hook must not stall the group: the event is dropped either way.
      await (async () => await onDeadLetter?.(entry.event, { attempts: entry.attempts, error }))()
        .catch(() => {});
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      group.queue.push(entry);
      this.#dispatch(group);
    }, retryDelayMs);
    this.#timers.add(timer);
  }
}

function refused(action: string): Promise<never> {
  return Promise.reject(new AuraError("SYS_003", `Cannot ${action}: the memory bus is closed`));
}
