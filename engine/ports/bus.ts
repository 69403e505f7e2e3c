/**
 * The `Bus` port: how the pipeline's stages (ingest → strategy → execution)
 * pass events, in one process, across Web Workers or across processes.
 *
 * Delivery is at least once. Each consumer group receives every event
 * published after the group first subscribed; within a group, events are
 * load-balanced among its consumers. An event is acknowledged only when the
 * handler resolves: a throw (or a consumer that goes away first) makes it come
 * back later, until `maxAttempts`, after which it is dead-lettered. So every
 * handler must be idempotent: wrap it with `idempotent()` from adapters/bus.
 *
 * Adapters: memory (in process), worker bridge (postMessage), Deno KV queues,
 * Redis Streams; all run adapters/bus/contract_test_suite.ts.
 *
 * @module
 */

import type { AuraEvent, Topic } from "../events.ts";

export type { Topic } from "../events.ts";

/** What a handler learns about the delivery besides the event. */
export interface Delivery {
  /** 1 on the first delivery, 2 on the first redelivery, … */
  readonly attempt: number;
}

/** Handles one event; resolve to acknowledge, throw to have it redelivered. */
export type EventHandler = (event: AuraEvent, delivery: Delivery) => Promise<void> | void;

/** Called once for an event that failed `maxAttempts` times (it is acknowledged afterwards). */
export type DeadLetterHandler = (
  event: AuraEvent,
  failure: { readonly attempts: number; readonly error: unknown },
) => Promise<void> | void;

/** Per-consumer delivery settings. */
export interface SubscribeOptions {
  /** Deliveries before an event is dead-lettered (default 5). */
  maxAttempts?: number;
  /**
   * How long an unacknowledged event waits before it is delivered again, after
   * a handler threw or a consumer went away without acknowledging (default 1000 ms).
   */
  retryDelayMs?: number;
  /**
   * Events this consumer handles at once (default 1). Handlers are still
   * called in delivery order, so a consumer that needs per-key order keeps it
   * by queueing synchronously at the start of its handler (the execution
   * stage's per-strategy lanes); each event is acknowledged when its own
   * handler resolves.
   */
  concurrency?: number;
  /** Told about dead-lettered events (default: they are only acknowledged and recorded by the adapter). */
  onDeadLetter?: DeadLetterHandler;
}

/** Defaults of {@link SubscribeOptions}. */
export const SUBSCRIBE_DEFAULTS: Readonly<Required<Omit<SubscribeOptions, "onDeadLetter">>> = Object
  .freeze({ maxAttempts: 5, retryDelayMs: 1000, concurrency: 1 });

/** One consumer in a group. */
export interface Subscription {
  /**
   * Stops consuming. Events handed to this consumer and not yet acknowledged go
   * back to the group (as after a crash); idempotent.
   */
  close(): Promise<void>;
}

/** The message bus. */
export interface Bus {
  /** Publishes an event on a topic; resolves once the bus holds it (at least once). */
  publish(topic: Topic, event: AuraEvent): Promise<void>;
  /**
   * Adds a consumer to `group` on `topic`; resolves once the group exists, so
   * events published afterwards reach it.
   */
  subscribe(
    topic: Topic,
    group: string,
    handler: EventHandler,
    options?: SubscribeOptions,
  ): Promise<Subscription>;
  /** Closes every subscription and connection; idempotent. */
  close(): Promise<void>;
}
