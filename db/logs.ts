/**
 * system_logs repository (written by the logger's persistence sink and the
 * audit trail).
 *
 * @module
 */
import type { Queryable } from "./port.ts";

/** A log entry to persist. */
export interface LogEntry {
  /** Time of the event. */
  timestamp: Date;
  /** Level. */
  level: "DEBUG" | "INFO" | "WARN" | "ERROR" | "FATAL";
  /** Service (ingest, strategy, execution, api, ...). */
  service: string;
  /** Message. */
  message: string;
  /** Structured, redacted metadata. */
  metadata: Record<string, unknown> | null;
  /** User concerned, if any. */
  userId: number | null;
}

/** Inserts log entries in one statement. */
export async function insertLogs(db: Queryable, entries: readonly LogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const params: unknown[] = [];
  const values = entries.map((e) => {
    params.push(e.timestamp, e.level, e.service.slice(0, 50), e.message, e.metadata, e.userId);
    const n = params.length;
    return `($${n - 5}, $${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
  });
  await db.query(
    `INSERT INTO system_logs (timestamp, level, service, message, metadata, user_id) VALUES ${
      values.join(", ")
    }`,
    params,
  );
}

/** A user's recent log entries (audit view), newest first. */
export async function listUserLogs(
  db: Queryable,
  userId: number,
  limit = 100,
): Promise<(LogEntry & { id: string })[]> {
  const rows = await db.query(
    `SELECT id, timestamp, level, service, message, metadata, user_id FROM system_logs
     WHERE user_id = $1 ORDER BY id DESC LIMIT $2`,
    [userId, Math.min(Math.max(limit, 1), 1000)],
  );
  return rows.map((r) => ({
    id: String(r.id),
    timestamp: r.timestamp as Date,
    level: r.level as LogEntry["level"],
    service: String(r.service),
    message: String(r.message),
    metadata: (r.metadata as Record<string, unknown> | null) ?? null,
    userId: r.user_id === null ? null : Number(r.user_id),
  }));
}

/** Counts entries matching a message since a time (used to raise alerts on repeated failures). */
export async function countLogsSince(
  db: Queryable,
  message: string,
  since: Date,
  metadataMatch: Record<string, unknown> = {},
): Promise<number> {
  const rows = await db.query(
    `SELECT COUNT(*)::int AS n FROM system_logs WHERE message = $1 AND timestamp >= $2 AND metadata @> $3`,
    [message, since, metadataMatch],
  );
  return Number(rows[0]!.n);
}
