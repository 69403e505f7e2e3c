/**
 * The intent journal: a local, append-only file of ENTRY intents, each made
 * durable (written and `fdatasync`ed) before its order is sent. It is what
 * lets the hot path send an entry without waiting for a database round trip
 * (~2–6 ms on a small machine against ~0.15 ms for a local `fdatasync`),
 * while keeping the rule that no order leaves before its intent is stored:
 * the intent reaches `order_intents` right after the order was sent
 * ("write-behind"), and whatever did not — a crash, a database outage — is
 * copied there by reconciliation, at start-up (from the file) and on every
 * periodic run (from memory), before it asks the exchange by client id.
 *
 * Format: one JSON object per line. Appends made in the same turn share one
 * write and one `fdatasync` (group commit). A line torn by a crash in the
 * middle of a write was never acknowledged, so its order was never sent: it
 * is dropped on reading. Once every record is in the database the file is
 * truncated, so it stays small.
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
 * await journal.append(intent); // durable: the order may go
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
   * Appends `intent` and resolves once it is on disk (`fdatasync`); appends
   * of the same turn share one write and one sync.
   *
   * @throws when the file cannot be written or synced: the order must not be sent.
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

  /** Closes the file; appends after this are refused. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#flush();
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

  // Synchronous on purpose: one write and one fdatasync of ~0.1 ms block
  // this thread less than handing them to the runtime's blocking pool costs.
  #flush(): void {
    this.#scheduled = false;
    const batch = this.#waiting;
    if (batch.length === 0) return;
    this.#waiting = [];
    try {
      const bytes = this.#encoder.encode(batch.map((w) => w.line).join(""));
      let written = 0;
      while (written < bytes.length) written += this.#file.writeSync(bytes.subarray(written));
      this.#file.syncDataSync();
      this.#bytes += bytes.length;
    } catch (error) {
      for (const w of batch) w.reject(error);
      return;
    }
    for (const w of batch) w.resolve();
  }

  #truncate(): void {
    this.#file.truncateSync(0);
    this.#file.syncDataSync();
    this.#bytes = 0;
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
