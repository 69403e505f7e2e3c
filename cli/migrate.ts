/**
 * `deno task migrate`: applies pending migrations to the configured database
 * (DATABASE_URL, or the embedded PGlite under AURA_DATA_DIR) and exits.
 *
 * @module
 */
import { ConfigError, loadConfig } from "../config.ts";
import { openDb } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";

if (import.meta.main) {
  try {
    const config = loadConfig();
    const db = await openDb({ databaseUrl: config.DATABASE_URL, dataDir: config.AURA_DATA_DIR });
    try {
      const applied = await migrate(db);
      console.log(applied.length ? `Applied ${applied.join(", ")}` : "Database is up to date");
    } finally {
      await db.close();
    }
  } catch (error) {
    console.error(
      error instanceof ConfigError
        ? error.message
        : `Migration failed: ${(error as Error).message}`,
    );
    Deno.exit(1);
  }
}
