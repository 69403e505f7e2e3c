/**
 * Database failures as typed errors, so callers react to a constraint
 * violation (e.g. a taken username) without parsing driver messages, and no
 * SQL text ever reaches a client.
 *
 * @module
 */
import { AuraError, type ErrorCode } from "../engine/errors.ts";

/** Which kind of constraint a statement violated. */
export type ConstraintKind = "unique" | "check" | "foreign_key" | "not_null";

/** A violated constraint; `constraint` is the Postgres constraint name. */
export class ConstraintViolation extends AuraError {
  /** Kind of constraint. */
  readonly kind: ConstraintKind;
  /** Name of the constraint, e.g. `users_username_key`. */
  readonly constraint: string;

  /** Creates the error. */
  constructor(kind: ConstraintKind, constraint: string, code: ErrorCode) {
    super(code, `Constraint "${constraint}" was violated (${kind.replace("_", " ")})`, {
      constraint,
    });
    this.name = "ConstraintViolation";
    this.kind = kind;
    this.constraint = constraint;
  }
}

/** A database failure that is not the caller's fault (connection, syntax, ...). */
export class DatabaseError extends AuraError {
  /** SQLSTATE when the driver reported one. */
  readonly sqlState: string | undefined;
  /** Creates the error; the message never includes SQL or parameters. */
  constructor(sqlState: string | undefined, cause: unknown) {
    super("SYS_001", "The database could not complete the request");
    this.name = "DatabaseError";
    this.sqlState = sqlState;
    this.cause = cause;
  }
}

const KINDS: Record<string, [ConstraintKind, ErrorCode]> = {
  "23505": ["unique", "API_006"],
  "23514": ["check", "API_004"],
  "23503": ["foreign_key", "API_004"],
  "23502": ["not_null", "API_004"],
};

/** Converts a driver error (postgres-js or PGlite) into a typed error. */
export function toDbError(error: unknown): Error {
  if (error instanceof AuraError) return error;
  const e = error as { code?: unknown; constraint?: unknown; constraint_name?: unknown };
  const sqlState = typeof e?.code === "string" ? e.code : undefined;
  // Errors that did not come from a driver (e.g. thrown inside a transaction
  // function) pass through unchanged.
  if (sqlState === undefined && error instanceof Error && !isDriverError(error)) return error;
  const kind = sqlState ? KINDS[sqlState] : undefined;
  if (kind) {
    const name = String(e.constraint_name ?? e.constraint ?? "unknown");
    return new ConstraintViolation(kind[0], name, kind[1]);
  }
  return new DatabaseError(sqlState, error);
}

function isDriverError(error: Error): boolean {
  const name = error.constructor?.name ?? "";
  return name === "PostgresError" || /postgres|pglite|connect/i.test(error.message);
}
