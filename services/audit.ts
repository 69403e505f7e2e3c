/**
 * The audit trail: security-relevant actions (logins, key changes, strategy
 * changes) written straight to system_logs, whatever LOG_PERSIST_LEVEL says.
 * Metadata goes through the logger's redaction, so a careless caller cannot
 * store a secret.
 *
 * @module
 */
import type { Queryable } from "../db/port.ts";
import { insertLogs } from "../db/logs.ts";
import { createLogger, redact } from "../logger.ts";
import type { Clock } from "../engine/clock.ts";

const log = createLogger("audit");

/** What {@link audit} needs. */
export interface AuditDeps {
  /** Storage. */
  db: Queryable;
  /** Time source. */
  clock: Clock;
}

/** Message prefix of audit entries, e.g. `audit: strategy.create`. */
export const AUDIT_PREFIX = "audit: ";

/**
 * Records `action` by `userId` (null for anonymous, e.g. a failed login of an
 * unknown user). Never throws: an audit failure is logged, not surfaced.
 *
 * @example
 * ```ts
 * await audit(deps, auth.userId, "strategy.activate", { strategyId: 12 });
 * ```
 */
export async function audit(
  deps: AuditDeps,
  userId: number | null,
  action: string,
  metadata: Record<string, unknown> = {},
  level: "INFO" | "WARN" = "INFO",
): Promise<void> {
  try {
    await insertLogs(deps.db, [{
      timestamp: new Date(deps.clock.now()),
      level,
      service: "audit",
      message: AUDIT_PREFIX + action,
      metadata: { action, ...(redact(metadata) as Record<string, unknown>) },
      userId,
    }]);
  } catch (error) {
    log.error("Could not write an audit entry", { action, userId, error });
  }
}
