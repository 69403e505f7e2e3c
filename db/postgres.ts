/**
 * The postgres-js adapter of the storage port (used when DATABASE_URL is set):
 * a connection pool; BIGINT and DECIMAL as strings (postgres-js's default).
 *
 * @module
 */
import postgres from "postgres";
import type { Db, Queryable, Row } from "./port.ts";
import { toDbError } from "./errors.ts";

type Sql = postgres.Sql | postgres.TransactionSql;

function queryable(sql: Sql): Queryable {
  return {
    async query<T extends Row = Row>(text: string, params: readonly unknown[] = []) {
      try {
        // deno-lint-ignore no-explicit-any
        const rows = await sql.unsafe(text, params as any[], { prepare: true });
        return rows as unknown as T[];
      } catch (error) {
        throw toDbError(error);
      }
    },
  };
}

/** Opens a pool of at most `max` connections to `url`. */
export function openPostgres(url: string, options: { max?: number } = {}): Db {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    // TIMESTAMPTZ as Date, like PGlite; numeric/int8 stay strings (the default).
    connection: { application_name: "aura" },
  });
  const base = queryable(sql);
  let closed = false;
  return {
    kind: "postgres",
    query: base.query,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      try {
        return await sql.begin((tx) => fn(queryable(tx))) as T;
      } catch (error) {
        throw toDbError(error);
      }
    },
    async listen(channel, handler) {
      const sub = await sql.listen(channel, (payload) => handler(payload));
      return () => sub.unlisten();
    },
    async notify(channel, payload) {
      await sql.notify(channel, payload);
    },
    async close() {
      if (closed) return;
      closed = true;
      await sql.end({ timeout: 5 });
    },
  };
}
