/**
 * Carries bus traffic between the main thread and Deno Web Workers with
 * `postMessage` (lossless; `BroadcastChannel` drops messages in bursts, see
 * PLATFORM.md). The main thread owns the real {@link Bus} and serves it to
 * each worker with {@link serveBus}; inside the worker a {@link PortBus}
 * implements the same port over `self`.
 *
 * A delivery is acknowledged to the real bus only when the worker reports its
 * handler resolved; a worker that dies (or whose host is closed) leaves its
 * deliveries unacknowledged, so the real bus hands them to another consumer.
 *
 * @module
 */

import { AuraError } from "../../engine/errors.ts";
import { type AuraEvent, parseEvent, type Topic, trustEvent } from "../../engine/events.ts";
import type { Bus, EventHandler, SubscribeOptions, Subscription } from "../../engine/ports/bus.ts";

/** What both ends need from a `Worker`, a worker's `self` or a `MessagePort`. */
export interface MessagePortLike {
  /** Sends a structured-cloneable message. */
  postMessage(message: unknown): void;
  /** Listens for messages. */
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  /** Stops listening. */
  removeEventListener(type: "message", listener: (event: MessageEvent) => void): void;
}

type WireOptions = Omit<SubscribeOptions, "onDeadLetter"> & { deadLetters: boolean };

/** Messages from a {@link PortBus} to the host. */
type ToHost =
  | { kind: "publish"; rid: number; topic: Topic; event: unknown }
  | {
    kind: "subscribe";
    rid: number;
    sid: number;
    topic: Topic;
    group: string;
    options: WireOptions;
  }
  | { kind: "unsubscribe"; rid: number; sid: number }
  | { kind: "settled"; did: number; error: string | null };

/** Messages from the host to a {@link PortBus}. */
type ToClient =
  | { kind: "reply"; rid: number; error: { code: string; message: string } | null }
  | { kind: "deliver"; sid: number; did: number; event: AuraEvent; attempt: number }
  | { kind: "dead"; sid: number; event: AuraEvent; attempts: number; error: string };

/** The main-thread end of one worker's connection; close it when the worker ends. */
export interface BusHost {
  /** Drops the worker's consumers (their unacknowledged events are redelivered); idempotent. */
  close(): Promise<void>;
}

/**
 * Serves `bus` to the {@link PortBus} at the other end of `port` (a `Worker`).
 *
 * @example
 * ```ts
 * const worker = new Worker(new URL("./workers/strategy.ts", import.meta.url).href, { type: "module" });
 * const host = serveBus(bus, worker);
 * // … later
 * worker.terminate();
 * await host.close();
 * ```
 */
export function serveBus(bus: Bus, port: MessagePortLike): BusHost {
  const subscriptions = new Map<number, Subscription>();
  const settling = new Map<
    number,
    { sid: number; resolve: () => void; reject: (e: Error) => void }
  >();
  let nextDelivery = 0;
  let closed = false;
  const send = (message: ToClient) => {
    if (!closed) port.postMessage(message);
  };
  // A worker's bad request (an event that does not parse) is answered, never thrown here.
  const reply = (rid: number, work: () => Promise<unknown>) =>
    Promise.resolve().then(work).then(
      () => send({ kind: "reply", rid, error: null }),
      (e) =>
        send({
          kind: "reply",
          rid,
          error: { code: e?.code ?? "SYS_003", message: String(e?.message ?? e) },
        }),
    );

  const onMessage = ({ data }: MessageEvent) => {
    const message = data as ToHost;
    switch (message.kind) {
      case "publish":
        return void reply(message.rid, () => bus.publish(message.topic, parseEvent(message.event)));
      case "subscribe": {
        const { sid, options } = message;
        const handler: EventHandler = (event, delivery) =>
          new Promise<void>((resolve, reject) => {
            const did = nextDelivery++;
            settling.set(did, { sid, resolve, reject });
            send({ kind: "deliver", sid, did, event, attempt: delivery.attempt });
          });
        return void reply(message.rid, async () => {
          const { deadLetters, ...rest } = options;
          subscriptions.set(
            sid,
            await bus.subscribe(message.topic, message.group, handler, {
              ...rest,
              ...(deadLetters && {
                onDeadLetter: (event, failure) =>
                  send({
                    kind: "dead",
                    sid,
                    event,
                    attempts: failure.attempts,
                    error: errorText(failure.error),
                  }),
              }),
            }),
          );
        });
      }
      case "unsubscribe":
        return void reply(message.rid, async () => {
          await subscriptions.get(message.sid)?.close();
          subscriptions.delete(message.sid);
          // The bus already took these back; drop them so they don't accumulate.
          for (const [did, settle] of settling) {
            if (settle.sid !== message.sid) continue;
            settling.delete(did);
            settle.reject(new Error("The consumer unsubscribed"));
          }
        });
      case "settled": {
        const settle = settling.get(message.did);
        settling.delete(message.did);
        if (message.error === null) settle?.resolve();
        else settle?.reject(new Error(message.error));
      }
    }
  };
  port.addEventListener("message", onMessage);

  return {
    async close() {
      if (closed) return;
      closed = true;
      port.removeEventListener("message", onMessage);
      // Closing first makes the bus ignore how these deliveries end: they come back later.
      await Promise.all([...subscriptions.values()].map((s) => s.close()));
      for (const settle of settling.values()) settle.reject(new Error("The worker went away"));
      settling.clear();
    },
  };
}

/** The worker end: a {@link Bus} whose traffic goes through `port` (usually `self`). */
export class PortBus implements Bus {
  readonly #port: MessagePortLike;
  readonly #requests = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>();
  readonly #handlers = new Map<number, { handler: EventHandler; options: SubscribeOptions }>();
  #nextId = 0;
  #closed = false;

  /** Starts listening on `port`. */
  constructor(port: MessagePortLike) {
    this.#port = port;
    port.addEventListener("message", this.#onMessage);
  }

  /** Publishes through the host; resolves once the host's bus accepted the event. */
  publish(topic: Topic, event: AuraEvent): Promise<void> {
    return this.#request(
      `publish "${event.id}" on "${topic}"`,
      (rid) => ({ kind: "publish", rid, topic, event }),
    );
  }

  /** Adds a consumer on the host's bus whose handler runs here. */
  async subscribe(
    topic: Topic,
    group: string,
    handler: EventHandler,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    const sid = this.#nextId++;
    const { onDeadLetter, ...rest } = options;
    this.#handlers.set(sid, { handler, options });
    await this.#request(`subscribe "${group}" to "${topic}"`, (rid) => ({
      kind: "subscribe",
      rid,
      sid,
      topic,
      group,
      options: { ...rest, deadLetters: onDeadLetter !== undefined },
    })).catch((error) => {
      this.#handlers.delete(sid);
      throw error;
    });
    let open = true;
    return {
      close: async () => {
        if (!open || this.#closed) return;
        open = false;
        this.#handlers.delete(sid);
        await this.#request("unsubscribe", (rid) => ({ kind: "unsubscribe", rid, sid }));
      },
    };
  }

  /**
   * Unsubscribes everything and stops listening; idempotent. Does not wait for
   * the host (it may be gone): the host drops the consumers when it reads this.
   */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    for (const sid of this.#handlers.keys()) {
      this.#port.postMessage({ kind: "unsubscribe", rid: -1, sid } satisfies ToHost);
    }
    this.#handlers.clear();
    this.#closed = true;
    this.#port.removeEventListener("message", this.#onMessage);
    for (const request of this.#requests.values()) {
      request.reject(new AuraError("SYS_003", "Cannot finish a bus request: the bus was closed"));
    }
    this.#requests.clear();
    return Promise.resolve();
  }

  #request(action: string, build: (rid: number) => ToHost): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new AuraError("SYS_003", `Cannot ${action}: the worker bus is closed`));
    }
    const rid = this.#nextId++;
    return new Promise<void>((resolve, reject) => {
      this.#requests.set(rid, { resolve, reject });
      this.#port.postMessage(build(rid));
    });
  }

  readonly #onMessage = ({ data }: MessageEvent): void => {
    const message = data as ToClient;
    if (message.kind === "reply") {
      const request = this.#requests.get(message.rid);
      this.#requests.delete(message.rid);
      if (message.error === null) request?.resolve();
      else {
        const { code, message: text } = message.error;
        request?.reject(new AuraError(code as "SYS_003", text));
      }
    } else if (message.kind === "deliver") {
      void this.#deliver(message.sid, message.did, message.event, message.attempt);
    } else if (message.kind === "dead") {
      const entry = this.#handlers.get(message.sid);
      const event = parseEvent(message.event);
      void (async () =>
        await entry?.options.onDeadLetter?.(event, {
          attempts: message.attempts,
          error: new Error(message.error),
        }))().catch(() => {});
    }
  };

  async #deliver(sid: number, did: number, raw: unknown, attempt: number): Promise<void> {
    const entry = this.#handlers.get(sid);
    // Unsubscribed meanwhile: say nothing, the host's close hands the event back to the group.
    if (!entry) return;
    let error: string | null = null;
    try {
      // The host's bus validated it when it was published (below, or at its in-process source).
      await entry.handler(trustEvent(raw), { attempt });
    } catch (e) {
      error = errorText(e);
    }
    if (!this.#closed && this.#handlers.has(sid)) {
      this.#port.postMessage({ kind: "settled", did, error } satisfies ToHost);
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
