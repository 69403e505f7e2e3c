/**
 * The browser side of GET /api/v1/events: one EventSource with handlers per
 * event type. EventSource retries dropped connections itself, but gives up
 * for good on an HTTP error — which is what an expired access cookie (15
 * minutes) looks like — so then the session is refreshed and the stream
 * reopened, a few times with growing pauses.
 *
 * @module
 */
import { api } from "./api.ts";

/** Connection state for the UI. */
export type StreamStatus = "connecting" | "live" | "lost" | "off";

/** Handlers by SSE event name; each gets the parsed JSON data. */
export type EventHandlers = Record<string, (data: Record<string, unknown>) => void>;

const MAX_REOPENS = 4;

/**
 * Subscribes to the user's event stream; returns the unsubscribe function.
 *
 * @example
 * ```ts
 * const stop = subscribeEvents({ price: (d) => update(d) }, (s) => status.value = s);
 * ```
 */
export function subscribeEvents(
  handlers: EventHandlers,
  onStatus: (status: StreamStatus) => void = () => {},
  url = "/api/v1/events",
): () => void {
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let reopens = 0;
  let disposed = false;

  const open = () => {
    onStatus("connecting");
    const es = new EventSource(url);
    source = es;
    es.onopen = () => {
      reopens = 0;
      onStatus("live");
    };
    es.onerror = () => {
      if (es.readyState !== EventSource.CLOSED) return onStatus("lost");
      if (disposed || reopens >= MAX_REOPENS) return onStatus("off");
      onStatus("lost");
      const delay = 1000 * 2 ** reopens++;
      timer = setTimeout(() => {
        timer = null;
        // A refused stream is most often an expired access cookie.
        api("POST", "/api/v1/auth/refresh").catch(() => {}).finally(() => {
          if (!disposed) open();
        });
      }, delay);
    };
    for (const [type, handler] of Object.entries(handlers)) {
      es.addEventListener(type, (e) => {
        let data: Record<string, unknown>;
        try {
          data = JSON.parse((e as MessageEvent).data);
        } catch {
          return; // A malformed event must not break the page.
        }
        handler(data);
      });
    }
  };

  open();
  return () => {
    disposed = true;
    if (timer !== null) clearTimeout(timer);
    source?.close();
  };
}
