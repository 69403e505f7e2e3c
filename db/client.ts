/**
 * Chooses the storage adapter: postgres-js when DATABASE_URL is set, else
 * PGlite under the data directory.
 *
 * @module
 */
import type { Db } from "./port.ts";
import { openPostgres } from "./postgres.ts";
import { openPglite } from "./pglite.ts";

/** Where the database lives. */
export interface DbOptions {
  /** postgres:// URL; when absent the embedded PGlite is used. */
  databaseUrl?: string | undefined;
  /** AURA's data directory; PGlite lives in `<dataDir>/pglite`. */
  dataDir: string;
  /** Pool size for postgres-js. */
  poolSize?: number;
}

/** Opens the database described by `options`. */
export async function openDb(options: DbOptions): Promise<Db> {
  if (options.databaseUrl) {
    const db = openPostgres(options.databaseUrl, { max: options.poolSize ?? 10 });
    await db.query("SELECT 1");
    return db;
  }
  return await openPglite(`${options.dataDir}/pglite`);
}

export type { Db, Queryable, Row } from "./port.ts";
