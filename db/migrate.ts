/**
 * Versioned SQL migrations (`db/migrations/NNNN_name.sql`), applied in order
 * inside one transaction under an advisory lock, and recorded in
 * `schema_migrations`: safe to run twice and from two processes at once.
 *
 * @module
 */
import type { Db } from "./port.ts";

/** A migration file. */
export interface Migration {
  /** Zero-padded version, e.g. `0001`. */
  version: string;
  /** File name. */
  name: string;
  /** SQL text. */
  sql: string;
}

/** Arbitrary constant naming AURA's migration lock ("AURA" in ASCII). */
const LOCK_KEY = 0x41555241;

/** Reads the migration files beside this module, sorted by version. */
export async function loadMigrations(
  dir: URL = new URL("./migrations/", import.meta.url),
): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const match = /^(\d{4})_[a-z0-9_]+\.sql$/.exec(entry.name);
    if (!entry.isFile || !match) continue;
    migrations.push({
      version: match[1]!,
      name: entry.name,
      sql: await Deno.readTextFile(new URL(entry.name, dir)),
    });
  }
  return migrations.sort((a, b) => a.version.localeCompare(b.version));
}

/** Applies every migration not yet recorded; returns the versions applied now. */
export async function migrate(db: Db, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? await loadMigrations();
  return await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [LOCK_KEY]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version VARCHAR(4) PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
    )`);
    const done = new Set(
      (await tx.query<{ version: string }>("SELECT version FROM schema_migrations"))
        .map((r) => r.version),
    );
    const applied: string[] = [];
    for (const m of all) {
      if (done.has(m.version)) continue;
      for (const statement of splitStatements(m.sql)) await tx.query(statement);
      await tx.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    return applied;
  });
}

/** Splits a SQL file into statements (no dollar-quoted bodies in AURA's migrations). */
export function splitStatements(sql: string): string[] {
  return sql
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("--"))
    .join("\n")
    .split(";")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
