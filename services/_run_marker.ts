/**
 * The execution stage's run marker: a tiny file beside the intent journal
 * that says whether the previous run stopped cleanly and, if not, until when
 * it was last known alive. The journal syncs to disk just after each entry
 * is sent, so a power loss (not a process crash: the page cache survives
 * that) can lose the last milliseconds of records; the marker bounds when
 * such an entry can have been sent, and start-up asks the exchange about
 * exactly that window (services/_discovery.ts).
 *
 * Format: one JSON object, rewritten in place and `fdatasync`ed on each
 * beat (off the hot path), e.g. `{"clean":false,"beatAt":1733456789000,"owed":[]}`.
 * `owed` keeps the windows a discovery has not searched yet (the exchange
 * was unreachable), so a clean stop meanwhile does not forget them.
 *
 * @module
 */

import { dirname } from "node:path";
import type { Clock } from "../engine/clock.ts";
import { createLogger } from "../logger.ts";

const log = createLogger("run-marker");

/** How often a running stage records that it is alive, ms. */
export const BEAT_MS = 10_000;

/** Slack around a discovery window for the local clock against the exchange's, ms. */
export const DISCOVERY_MARGIN_MS = 60_000;

/** A span of exchange time to search for entries no intent names (Unix ms, inclusive). */
export interface DiscoveryWindow {
  /** From. */
  since: number;
  /** Until. */
  until: number;
}

/** What the previous run left. */
export interface PreviousRun {
  /** True when it stopped through {@link RunMarker.close}. */
  clean: boolean;
  /** The last time it was known alive (its clock, Unix ms). */
  beatAt: number;
  /** Windows still to search (a discovery that has not succeeded yet). */
  owed: DiscoveryWindow[];
}

/**
 * The window in which a run last seen alive at `beatAt` can have sent an
 * entry whose journal line was lost: from its last beat to the beat it
 * never wrote, with {@link DISCOVERY_MARGIN_MS} either side.
 */
export function windowAfter(beatAt: number): DiscoveryWindow {
  return { since: beatAt - DISCOVERY_MARGIN_MS, until: beatAt + BEAT_MS + DISCOVERY_MARGIN_MS };
}

/**
 * The marker of one execution stage (see the module doc).
 *
 * @example
 * ```ts
 * const marker = await RunMarker.open(`${journalPath}.run`, clock);
 * for (const window of marker.owed) {
 *   await discoverEntries(deps, window);
 *   await marker.discharge(window);
 * }
 * // ... run ...
 * await marker.close(); // a clean stop: nothing to discover next time
 * ```
 */
export class RunMarker {
  /** What the previous run left; null on the first run here (or an unreadable file). */
  readonly previous: PreviousRun | null;
  readonly #file: Deno.FsFile;
  readonly #clock: Clock;
  readonly #timer: ReturnType<typeof setInterval>;
  #owed: DiscoveryWindow[];
  #writing: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(file: Deno.FsFile, clock: Clock, previous: PreviousRun | null) {
    this.#file = file;
    this.#clock = clock;
    this.previous = previous;
    this.#owed = [
      ...(previous?.owed ?? []),
      ...(previous && !previous.clean ? [windowAfter(previous.beatAt)] : []),
    ];
    this.#timer = setInterval(() => void this.beat(), BEAT_MS);
    Deno.unrefTimer(Number(this.#timer));
  }

  /**
   * Reads what the previous run left at `path`, then marks this run as
   * running (durably, before it returns).
   */
  static async open(path: string, clock: Clock): Promise<RunMarker> {
    await Deno.mkdir(dirname(path), { recursive: true });
    const text = await Deno.readTextFile(path).catch((error) => {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    });
    const previous = text === null ? null : parseMarker(text);
    if (text !== null && previous === null) {
      log.warn("Run marker unreadable; no discovery window can be derived", { path });
    }
    const file = await Deno.open(path, { create: true, write: true });
    const marker = new RunMarker(file, clock, previous);
    await marker.beat();
    return marker;
  }

  /** Windows still to search, oldest first. */
  get owed(): readonly DiscoveryWindow[] {
    return this.#owed;
  }

  /** Entries after this close time may be sent: no lost one can be of that candle or later. */
  get heldUpTo(): number {
    return Math.max(-Infinity, ...this.#owed.map((w) => w.until));
  }

  /** Records that `window` was searched (durable when it resolves). */
  discharge(window: DiscoveryWindow): Promise<void> {
    this.#owed = this.#owed.filter((w) => w !== window);
    return this.beat();
  }

  /** Records now as the last time this run was alive (durable when it resolves). */
  beat(): Promise<void> {
    return this.#write({ clean: false, beatAt: this.#clock.now(), owed: this.#owed });
  }

  /** Marks a clean stop and closes the file; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#timer);
    await this.#write({ clean: true, beatAt: this.#clock.now(), owed: this.#owed });
    this.#closed = true;
    this.#file.close();
  }

  /** Closes the file leaving the marker as the last beat wrote it: what a crash leaves (tests). */
  async abandon(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#timer);
    await this.#writing;
    this.#closed = true;
    this.#file.close();
  }

  // One write at a time; a failed beat is logged and the next one tries again.
  #write(state: PreviousRun): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const bytes = new TextEncoder().encode(JSON.stringify(state) + "\n");
    this.#writing = this.#writing.then(async () => {
      if (this.#closed) return;
      await this.#file.seek(0, Deno.SeekMode.Start);
      let written = 0;
      while (written < bytes.length) written += await this.#file.write(bytes.subarray(written));
      await this.#file.truncate(bytes.length);
      await this.#file.syncData();
    }).catch((error) => log.error("Could not write the run marker", { error: String(error) }));
    return this.#writing;
  }
}

/** The marker in `text`, or null when there is none (or it is not one). */
export function parseMarker(text: string): PreviousRun | null {
  try {
    const value = JSON.parse(text) as Partial<PreviousRun>;
    if (typeof value?.clean !== "boolean" || typeof value.beatAt !== "number") return null;
    const owed = Array.isArray(value.owed)
      ? value.owed.filter((w) => typeof w?.since === "number" && typeof w?.until === "number")
      : [];
    return { clean: value.clean, beatAt: value.beatAt, owed };
  } catch {
    return null;
  }
}
