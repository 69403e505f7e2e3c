/**
 * Users repository: one function per query.
 *
 * @module
 */
import type { Queryable } from "./port.ts";

/** A stored user (never serialised to clients as-is: it holds the hash). */
export interface UserRecord {
  /** User id. */
  id: number;
  /** Unique username. */
  username: string;
  /** Unique email. */
  email: string;
  /** bcrypt hash. */
  passwordHash: string;
  /** Paper or live trading. */
  tradingMode: "paper" | "live";
  /** UI preferences. */
  preferences: Record<string, unknown>;
  /** Creation time. */
  createdAt: Date;
}

const COLUMNS = "id, username, email, password_hash, trading_mode, preferences, created_at";

function toUser(row: Record<string, unknown>): UserRecord {
  return {
    id: Number(row.id),
    username: String(row.username),
    email: String(row.email),
    passwordHash: String(row.password_hash),
    tradingMode: row.trading_mode === "live" ? "live" : "paper",
    preferences: (row.preferences ?? {}) as Record<string, unknown>,
    createdAt: row.created_at as Date,
  };
}

/** Inserts a user; throws ConstraintViolation (unique) when username or email is taken. */
export async function createUser(
  db: Queryable,
  input: { username: string; email: string; passwordHash: string },
): Promise<UserRecord> {
  const rows = await db.query(
    `INSERT INTO users (username, email, password_hash) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
    [input.username, input.email, input.passwordHash],
  );
  return toUser(rows[0]!);
}

/** Finds a user by username or email (case-insensitive); null when none. */
export async function findUserByLogin(db: Queryable, login: string): Promise<UserRecord | null> {
  const rows = await db.query(
    `SELECT ${COLUMNS} FROM users WHERE lower(username) = lower($1) OR lower(email) = lower($1) LIMIT 1`,
    [login],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

/** Finds a user by id; null when none. */
export async function findUserById(db: Queryable, userId: number): Promise<UserRecord | null> {
  const rows = await db.query(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [userId]);
  return rows[0] ? toUser(rows[0]) : null;
}

/** Sets a user's trading mode. */
export async function setTradingMode(
  db: Queryable,
  userId: number,
  mode: "paper" | "live",
): Promise<void> {
  await db.query("UPDATE users SET trading_mode = $2, updated_at = NOW() WHERE id = $1", [
    userId,
    mode,
  ]);
}

/** Replaces a user's preferences. */
export async function setPreferences(
  db: Queryable,
  userId: number,
  preferences: Record<string, unknown>,
): Promise<void> {
  await db.query("UPDATE users SET preferences = $2, updated_at = NOW() WHERE id = $1", [
    userId,
    preferences,
  ]);
}
