/**
 * The per-user event hub behind the real-time stream (SSE): prices, trade
 * events, strategy state and backtest progress. In-process; the pipeline's
 * bus bridges engine events into it.
 *
 * @module
 */

/** Event kinds the UI listens to. */
export type UserEventType =
  | "price"
  | "trade"
  | "strategy"
  | "backtest_progress"
  | "backtest_done"
  | "notification"
  | "health";

/** One event for one user (or every user when `userId` is null, e.g. prices). */
export interface UserEvent {
  /** Event kind (the SSE `event:` field). */
  type: UserEventType;
  /** JSON payload (never secrets). */
  data: Record<string, unknown>;
}

type Handler = (event: UserEvent) => void;

/** Fan-out of events to the subscribers of each user. */
export class EventHub {
  #byUser = new Map<number, Set<Handler>>();
  #broadcast = new Set<Handler>();

  /** Subscribes to one user's events (plus broadcasts); returns the unsubscribe function. */
  subscribe(userId: number, handler: Handler): () => void {
    let set = this.#byUser.get(userId);
    if (!set) {
      set = new Set();
      this.#byUser.set(userId, set);
    }
    set.add(handler);
    this.#broadcast.add(handler);
    return () => {
      set.delete(handler);
      if (set.size === 0) this.#byUser.delete(userId);
      this.#broadcast.delete(handler);
    };
  }

  /** Sends an event to one user's subscribers. */
  publish(userId: number, event: UserEvent): void {
    for (const h of this.#byUser.get(userId) ?? []) safeCall(h, event);
  }

  /** Sends an event to every subscriber (market prices, pipeline health). */
  broadcast(event: UserEvent): void {
    for (const h of this.#broadcast) safeCall(h, event);
  }

  /** Number of live subscriptions (for /metrics). */
  get size(): number {
    return this.#broadcast.size;
  }
}

function safeCall(h: Handler, e: UserEvent) {
  try {
    h(e);
  } catch {
    // A broken subscriber (closed stream) must not stop delivery to others.
  }
}
