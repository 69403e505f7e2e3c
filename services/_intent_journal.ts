/**
 * The intent journal: a local, append-only file of ENTRY intents, each
 * written before its order is sent and synced to disk (`fdatasync`) right
 * after. It is what lets the hot path send an entry without waiting for a
 * database round trip (~2–6 ms on a small machine) while keeping the rule
 * that no order leaves before its intent is stored: the intent reaches
 * `order_intents` shortly after the order was sent ("write-behind"), and
 * whatever did not — a crash, a database outage — is copied there by
 * reconciliation, at start-up (from the file) and on every periodic run
 * (from memory), before it asks the exchange by client id.
 *
 * Durability: a written line survives a crash of the process (it is in the
 * kernel's page cache) at once, and a crash of the machine once its sync
 * finished, a millisecond or so later. The sync runs off this thread, so it
 * never holds back the next entry. A power loss inside that millisecond can
 * lose the line of an order that left: for that case start-up lists the
 * exchange's orders over the window the run marker bounds and recovers any
 * entry of AURA's that no intent names (services/_run_marker.ts,
 * services/_discovery.ts).
 *
 * Format: one JSON object per line. Appends made in the same turn share one
 * write (group commit); writes made while a sync runs share the next sync.
 * A line torn by a crash in the middle of a write was never acknowledged,
 * so its order was never sent: it is dropped on reading. Once every record
 * is in the database the file is truncated, so it stays small.
 *
 * The file must live on storage that survives the process and its host
 * (the data volume); where it cannot (an ephemeral container with an
 * external database), AURA_INTENT_JOURNAL=db records each intent in the
 * database before sending instead.
 *
 * @module
 */

import { dirname } from "node:path";
import type { NewIntent } from "../db/order_intents.ts";

/** A journaled intent: the database row to be, and when it was journaled (epoch ms). */
export interface JournaledIntent extends NewIntent {
  /** When the intent was made durable here (wall clock, ms). */
  journaledAt: number;
}

/** Microtask turns a flush waits for expected appends that make no progress. */
const SPINS = 32;

/** Truncate the file once it holds this many bytes and every record is in the database. */
export const COMPACT_BYTES = 256 * 1024;

interface Waiting {
  readonly line: string;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The journal file of one execution stage (see the module doc).
 *
 * @example
 * ```ts
 * const journal = await IntentJournal.open(`${dataDir}/journal/execution.jsonl`);
 * for (const intent of journal.unsettled()) await recordIntents(db, [intent]);
 * await journal.append(intent); // written: the order may go (synced a moment later)
 * journal.settle(intent.clientOrderId); // it is in order_intents
 * ```
 */
export class IntentJournal {
  /** Where the file is. */
  readonly path: string;
  readonly #file: Deno.FsFile;
  readonly #unsettled = new Map<string, JournaledIntent>();
  readonly #encoder = new TextEncoder();
  #expected: () => number = () => 0;
  #waiting: Waiting[] = [];
  #scheduled = false;
  #bytes: number;
  #closed = false;
  // The sync under way, and whether lines were written since it started.
  #syncing: Promise<void> | null = null;
  #dirty = false;
  #syncError: unknown = null;

  private constructor(path: string, file: Deno.FsFile, bytes: number) {
    this.path = path;
    this.#file = file;
    this.#bytes = bytes;
  }

  /**
   * Opens (creating it and its folder when missing) the journal at `path`.
   * Records already in the file are unsettled until {@link settle}d: the
   * caller copies them to the database first (start-up is recovery).
   */
  static async open(path: string): Promise<IntentJournal> {
    await Deno.mkdir(dirname(path), { recursive: true });
    const text = await Deno.readTextFile(path).catch((error) => {
      if (error instanceof Deno.errors.NotFound) return "";
      throw error;
    });
    const file = await Deno.open(path, { create: true, append: true });
    const journal = new IntentJournal(path, file, new TextEncoder().encode(text).length);
    for (const record of parseJournal(text)) {
      journal.#unsettled.set(record.clientOrderId, record);
    }
    return journal;
  }

  /**
   * Tells the journal how many appends are still coming in the current
   * burst (the execution service: entries being planned); a flush waits for
   * them, so entries planned together share one write and one sync.
   */
  expectAppends(expected: () => number): void {
    this.#expected = expected;
  }

  /** Records journaled and not yet in the database, oldest first. */
  unsettled(): JournaledIntent[] {
    return [...this.#unsettled.values()];
  }

  /** True while the intent under this client id is journaled and not yet in the database. */
  has(clientOrderId: string): boolean {
    return this.#unsettled.has(clientOrderId);
  }

  /**
   * Appends `intent` and resolves once it is written (in the page cache: it
   * survives a crash of this process); the sync to disk follows at once,
   * off this thread. Appends of the same turn share one write.
   *
   * @throws when the file cannot be written, or the last sync failed: the order must not be sent.
   */
  append(intent: JournaledIntent): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`Journal ${this.path} is closed`));
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#waiting.push({ line: JSON.stringify(intent) + "\n", resolve, reject });
    this.#unsettled.set(intent.clientOrderId, intent);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.#settle(0, -1));
    }
    return promise.catch((error) => {
      this.#unsettled.delete(intent.clientOrderId);
      throw error;
    });
  }

  /**
   * Marks the intents as stored in the database; once none is left and the
   * file has grown past {@link COMPACT_BYTES}, it is truncated.
   */
  settle(...clientOrderIds: string[]): void {
    for (const id of clientOrderIds) this.#unsettled.delete(id);
    if (
      this.#unsettled.size === 0 && this.#waiting.length === 0 && this.#bytes >= COMPACT_BYTES &&
      !this.#closed
    ) {
      this.#truncate();
    }
  }

  /** Empties the file when every record is in the database (after start-up's copy). */
  compact(): void {
    if (this.#unsettled.size === 0 && this.#waiting.length === 0 && !this.#closed) {
      this.#truncate();
    }
  }

  /** Bytes in the file now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Resolves once every line written so far is on disk (rejects when a sync failed). */
  async synced(): Promise<void> {
    while (this.#syncing) await this.#syncing;
    if (this.#syncError !== null) throw this.#syncError;
  }

  /** Closes the file once written lines are synced; appends after this are refused. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#flush();
    // The last sync, in line: a close must leave everything on disk.
    try {
      this.#file.syncDataSync();
    } catch {
      // Reported by the failed sync's own rejection; the file closes anyway.
    }
    this.#file.close();
  }

  // Group commit without a timer: while appends are still expected in this burst (entries
  // being planned together, each a few awaits from its append), yield a microtask so they
  // catch up; flush once none is expected, or once none moved for SPINS turns (an entry
  // waiting on I/O does not hold the others back).
  #settle(spins: number, before: number): void {
    const expected = this.#expected();
    if (expected > 0 && spins < SPINS) {
      queueMicrotask(() => this.#settle(expected === before ? spins + 1 : 0, expected));
      return;
    }
    this.#flush();
  }

  // The write is synchronous (~20 µs into the page cache); the sync is not: an fdatasync
  // takes 0.1–1 ms on a quiet disk, and on this thread it would hold back every entry queued
  // behind it. One sync runs at a time; lines written meanwhile share the next.
  #flush(): void {
    this.#scheduled = false;
    const batch = this.#waiting;
    if (batch.length === 0) return;
    this.#waiting = [];
    try {
      if (this.#syncError !== null) throw this.#syncError;
      const bytes = this.#encoder.encode(batch.map((w) => w.line).join(""));
      let written = 0;
      while (written < bytes.length) written += this.#file.writeSync(bytes.subarray(written));
      this.#bytes += bytes.length;
    } catch (error) {
      for (const w of batch) w.reject(error);
      return;
    }
    for (const w of batch) w.resolve();
    this.#sync();
  }

  #sync(): void {
    if (this.#syncing) {
      this.#dirty = true;
      return;
    }
    this.#dirty = false;
    this.#syncing = this.#file.syncData().then(
      () => {},
      (error) => {
        // Later appends are refused (their orders are not sent) until the process restarts.
        if (!this.#closed) this.#syncError = error;
      },
    ).finally(() => {
      this.#syncing = null;
      if (this.#dirty && !this.#closed) this.#sync();
    });
  }

  #truncate(): void {
    this.#file.truncateSync(0);
    this.#bytes = 0;
    // Not urgent: a truncation lost to a power cut only brings back records already stored.
    this.#sync();
  }
}

/**
 * The records of a journal file's text. A line that is not a complete
 * record (torn by a crash mid-write, which never acknowledged it) is
 * skipped; later records still count.
 */
export function parseJournal(text: string): JournaledIntent[] {
  const records: JournaledIntent[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const record = JSON.parse(line) as Partial<JournaledIntent>;
      if (isRecord(record)) records.push(record);
    } catch {
      // A torn line: its append never resolved, so its order was never sent.
    }
  }
  return records;
}

function isRecord(value: Partial<JournaledIntent>): value is JournaledIntent {
  return typeof value === "object" && value !== null &&
    typeof value.clientOrderId === "string" && typeof value.userId === "number" &&
    typeof value.signalId === "string" && typeof value.kind === "string" &&
    typeof value.symbol === "string" && typeof value.isPaper === "boolean" &&
    typeof value.journaledAt === "number" && typeof value.payload === "object";
}
