/**
 * Runs the same test against both storage adapters: PGlite (in memory) and a
 * real Postgres database created for the test file and dropped at its end.
 *
 * @example
 * ```ts
 * const suite = dbSuite("users");
 * suite.test("createUser stores a user", async (db) => { ... });
 * suite.end();
 * ```
 * @module
 */
import postgres from "postgres";
import type { Db } from "../../db/port.ts";
import { openPglite } from "../../db/pglite.ts";
import { openPostgres } from "../../db/postgres.ts";
import { migrate } from "../../db/migrate.ts";
import { POSTGRES_ADMIN_URL, skipWithoutPostgres } from "./services.ts";

/** The two storage adapters. */
export type DbKind = "pglite" | "postgres";

/** Tables truncated between tests (children first is not needed with CASCADE). */
const TABLES = [
  "users",
  "strategies",
  "trades",
  "user_api_keys",
  "backtest_results",
  "system_logs",
  "refresh_tokens",
  "klines",
  "order_intents",
  "strategy_runtime",
  "equity_snapshots",
  "processed_events",
];

/** Creates a new, empty Postgres database and returns its URL and a dropper. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `aura_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = postgres(POSTGRES_ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const a = postgres(POSTGRES_ADMIN_URL, { max: 1, onnotice: () => {} });
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/** Opens a fresh, migrated database of `kind`; `close` also drops a Postgres database. */
export async function freshDb(
  kind: DbKind,
): Promise<{ db: Db; url?: string; close(): Promise<void> }> {
  if (kind === "pglite") {
    const db = await openPglite();
    await migrate(db);
    return { db, close: () => db.close() };
  }
  const created = await createPostgresDatabase();
  const db = openPostgres(created.url, { max: 4 });
  await migrate(db);
  return {
    db,
    url: created.url,
    async close() {
      await db.close();
      await created.drop();
    },
  };
}

/** A group of tests sharing one database per adapter, emptied before each test. */
export interface DbSuite {
  /**
   * Registers `fn` once per adapter, named `[pglite] name` and `[postgres] name`;
   * on Postgres `url` reaches the same database (for a second pool, e.g. a worker's).
   */
  test(name: string, fn: (db: Db, kind: DbKind, url: string | undefined) => Promise<void>): void;
  /** Registers the closing step; call once after the last test. */
  end(): void;
}

/** Creates a {@link DbSuite}. */
export function dbSuite(kinds: DbKind[] = ["pglite", "postgres"]): DbSuite {
  const opened = new Map<DbKind, Promise<{ db: Db; url?: string; close(): Promise<void> }>>();
  const get = (kind: DbKind) => {
    let p = opened.get(kind);
    if (!p) {
      p = freshDb(kind);
      opened.set(kind, p);
    }
    return p;
  };
  const ignore = (kind: DbKind) => kind === "postgres" && skipWithoutPostgres();
  return {
    test(name, fn) {
      for (const kind of kinds) {
        Deno.test({
          name: `[${kind}] ${name}`,
          ignore: ignore(kind),
          sanitizeOps: false,
          sanitizeResources: false,
          async fn() {
            const { db, url } = await get(kind);
            await db.query(`TRUNCATE ${TABLES.join(", ")} RESTART IDENTITY CASCADE`);
            await fn(db, kind, url);
          },
        });
      }
    },
    end() {
      Deno.test({
        name: "[db] close test databases",
        sanitizeOps: false,
        sanitizeResources: false,
        async fn() {
          for (const p of opened.values()) await (await p).close();
          opened.clear();
        },
      });
    },
  };
}
