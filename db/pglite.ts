/**
 * The PGlite adapter of the storage port: embedded Postgres (WASM) persisted
 * in a data directory, so `deno task start` needs no database server. One
 * instance per process; BIGINT parsed as string to match postgres-js.
 *
 * @module
 */
import { PGlite, types } from "@electric-sql/pglite";
import type { Db, Queryable, Row } from "./port.ts";
import { toDbError } from "./errors.ts";

interface PgliteLike {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

function queryable(db: PgliteLike): Queryable {
  return {
    async query<T extends Row = Row>(text: string, params: readonly unknown[] = []) {
      try {
        const result = await db.query<T>(text, [...params]);
        return result.rows;
      } catch (error) {
        throw toDbError(error);
      }
    },
  };
}

/**
 * Opens (creating when new) an embedded database. `dir` is a directory path,
 * or `undefined` for an in-memory database (tests).
 */
export async function openPglite(dir?: string): Promise<Db> {
  if (dir) await Deno.mkdir(dir, { recursive: true });
  const db = await PGlite.create(dir ?? "memory://", {
    parsers: { [types.INT8]: (value: string) => value },
  });
  const base = queryable(db);
  let closed = false;
  return {
    kind: "pglite",
    query: base.query,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      try {
        return await db.transaction((tx) => fn(queryable(tx)));
      } catch (error) {
        throw toDbError(error);
      }
    },
    async listen(channel, handler) {
      const unsub = await db.listen(channel, handler);
      return () => unsub();
    },
    async notify(channel, payload) {
      await db.query("SELECT pg_notify($1, $2)", [channel, payload]);
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
}
