/**
 * Calls between the main thread and a Web Worker over the same port the bus
 * bridge uses (adapters/bus/worker_bridge.ts ignores these message kinds):
 * a tiny request/response RPC, and a {@link Db} whose queries run on the
 * main thread (one database instance per process: PGlite cannot be opened
 * twice, and a pool per worker would multiply connections).
 *
 * @module
 */

import type { MessagePortLike } from "../adapters/bus/worker_bridge.ts";
import type { Db, Queryable, Row } from "../db/port.ts";
import { AuraError } from "../engine/errors.ts";

type Call = { kind: "aura:call"; id: number; method: string; args: unknown[] };
type Result = {
  kind: "aura:result";
  id: number;
  value?: unknown;
  error?: { code: string; message: string };
};

/** Handlers by method name. */
export type Methods = Record<string, (...args: never[]) => unknown>;

/**
 * Answers calls arriving on `port` with `methods`; returns the function that stops.
 *
 * @example
 * ```ts
 * const stop = serveCalls(worker, { "db.query": (text: string, params: unknown[]) => db.query(text, params) });
 * ```
 */
export function serveCalls(port: MessagePortLike, methods: Methods): () => void {
  const listener = ({ data }: MessageEvent) => {
    const call = data as Call;
    if (call?.kind !== "aura:call") return;
    const method = methods[call.method] as ((...args: unknown[]) => unknown) | undefined;
    void (async () => {
      try {
        if (!method) throw new Error(`Unknown method "${call.method}"`);
        const value = await method(...call.args);
        port.postMessage({ kind: "aura:result", id: call.id, value } satisfies Result);
      } catch (e) {
        const error = {
          code: (e as { code?: string })?.code ?? "SYS_003",
          message: e instanceof Error ? e.message : String(e),
        };
        port.postMessage({ kind: "aura:result", id: call.id, error } satisfies Result);
      }
    })();
  };
  port.addEventListener("message", listener);
  return () => port.removeEventListener("message", listener);
}

/** Calls methods served at the other end of a port. */
export class Caller {
  readonly #port: MessagePortLike;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  #next = 0;

  /** Listens for results on `port`. */
  constructor(port: MessagePortLike) {
    this.#port = port;
    port.addEventListener("message", this.#onMessage);
  }

  /** Calls `method` with structured-cloneable `args`. */
  call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    const id = this.#next++;
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    this.#pending.set(id, { resolve, reject });
    this.#port.postMessage({ kind: "aura:call", id, method, args } satisfies Call);
    return promise as Promise<T>;
  }

  /** Stops listening; pending calls are rejected. */
  dispose(): void {
    this.#port.removeEventListener("message", this.#onMessage);
    for (const p of this.#pending.values()) p.reject(new Error("The other thread went away"));
    this.#pending.clear();
  }

  readonly #onMessage = ({ data }: MessageEvent): void => {
    const result = data as Result;
    if (result?.kind !== "aura:result") return;
    const pending = this.#pending.get(result.id);
    if (!pending) return;
    this.#pending.delete(result.id);
    if (result.error) {
      pending.reject(new AuraError(result.error.code as "SYS_001", result.error.message));
    } else pending.resolve(result.value);
  };
}

/** Database methods served to a worker, and how to end what the worker left open. */
export interface ServedDb {
  /** The methods, for {@link serveCalls}. */
  methods: Methods;
  /** Rolls back every transaction the worker still holds (it went away); idempotent. */
  abandon(): Promise<void>;
}

/** A worker's transaction may stay open this long before it is rolled back, ms. */
export const REMOTE_TRANSACTION_TIMEOUT_MS = 30_000;

/**
 * The methods {@link RemoteDb} needs served on the main thread: statements,
 * and transactions held open here while the worker sends their statements
 * (rolled back when the worker goes away or takes longer than
 * {@link REMOTE_TRANSACTION_TIMEOUT_MS}).
 */
export function serveDb(db: Db): ServedDb {
  type Open = {
    tx: Queryable;
    end(commit: boolean): void;
    finished: Promise<void>;
    timer: ReturnType<typeof setTimeout>;
  };
  const open = new Map<number, Open>();
  let next = 0;
  const rollback = Symbol("rollback");
  const finish = async (id: number, commit: boolean) => {
    const entry = open.get(id);
    if (!entry) throw new AuraError("SYS_001", `No open transaction ${id}`);
    open.delete(id);
    clearTimeout(entry.timer);
    entry.end(commit);
    await entry.finished;
  };
  return {
    methods: {
      "db.query": (text: string, params: unknown[]) => db.query(text, params),
      "db.begin": async () => {
        const id = next++;
        const began = Promise.withResolvers<Pick<Open, "tx" | "end">>();
        const finished = db.transaction((tx) =>
          new Promise<void>((commit, abort) => {
            began.resolve({ tx, end: (ok) => ok ? commit() : abort(rollback) });
          })
        ).catch((error) => {
          if (error !== rollback) throw error;
        });
        // BEGIN itself failing ends `finished` before `began`: that error is the answer.
        const { tx, end } = await Promise.race([
          began.promise,
          finished.then(() => {
            throw new AuraError("SYS_001", "The transaction ended before it began");
          }),
        ]);
        const timer = setTimeout(
          () => void finish(id, false).catch(() => {}),
          REMOTE_TRANSACTION_TIMEOUT_MS,
        );
        open.set(id, { tx, end, finished, timer });
        return id;
      },
      "db.tx.query": (id: number, text: string, params: unknown[]) => {
        const entry = open.get(id);
        if (!entry) throw new AuraError("SYS_001", `No open transaction ${id}`);
        return entry.tx.query(text, params);
      },
      "db.commit": (id: number) => finish(id, true),
      "db.rollback": (id: number) => finish(id, false),
    },
    async abandon() {
      await Promise.allSettled([...open.keys()].map((id) => finish(id, false)));
    },
  };
}

/** The methods {@link RemoteDb} needs, without transactions (see {@link serveDb}). */
export function dbMethods(db: Db): Methods {
  return serveDb(db).methods;
}

/**
 * A {@link Db} whose statements run on the main thread. Transactions are held
 * open there while their statements cross (served by {@link serveDb}); keep
 * them short, since on PGlite they hold the one connection. `listen` and
 * `notify` are refused.
 */
export class RemoteDb implements Db {
  readonly kind: Db["kind"];
  readonly #caller: Caller;

  /** Uses `caller` to reach the main thread's database of `kind`. */
  constructor(caller: Caller, kind: Db["kind"]) {
    this.#caller = caller;
    this.kind = kind;
  }

  /** Runs one statement on the main thread. */
  query<T extends Row = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.#caller.call<T[]>("db.query", text, [...params]);
  }

  /** Runs `fn` in a transaction held on the main thread. */
  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const id = await this.#caller.call<number>("db.begin");
    let result: T;
    try {
      result = await fn({
        query: <R extends Row = Row>(text: string, params: readonly unknown[] = []) =>
          this.#caller.call<R[]>("db.tx.query", id, text, [...params]),
      });
    } catch (error) {
      await this.#caller.call("db.rollback", id).catch(() => {});
      throw error;
    }
    await this.#caller.call("db.commit", id);
    return result;
  }

  /** Refused in a worker. */
  listen(): Promise<() => Promise<void>> {
    return Promise.reject(refused("listen"));
  }

  /** Refused in a worker. */
  notify(): Promise<void> {
    return Promise.reject(refused("notify"));
  }

  /** Nothing to close here: the main thread owns the database. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function refused(what: string): AuraError {
  return new AuraError(
    "SYS_001",
    `Cannot ${what} from a worker: the database lives on the main thread`,
  );
}
