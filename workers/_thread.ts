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

/** The methods {@link RemoteDb} needs served on the main thread. */
export function dbMethods(db: Db): Methods {
  return {
    "db.query": (text: string, params: unknown[]) => db.query(text, params),
  };
}

/**
 * A {@link Db} whose statements run on the main thread. Single statements
 * only: `transaction`, `listen` and `notify` are refused (the strategy stage
 * needs none of them).
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

  /** Refused: a transaction cannot span threads. */
  transaction<T>(_fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return Promise.reject(refused("transaction"));
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
