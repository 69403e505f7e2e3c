/**
 * Refresh tokens repository: only SHA-256 hashes are stored. Rotation marks a
 * token used; presenting a used token revokes its whole family.
 *
 * @module
 */
import type { Queryable } from "./port.ts";

/** A stored refresh token. */
export interface RefreshTokenRecord {
  /** Row id. */
  id: string;
  /** Owner. */
  userId: number;
  /** Rotation family (one per login). */
  familyId: string;
  /** Expiry. */
  expiresAt: Date;
  /** When it was exchanged for a new one. */
  rotatedAt: Date | null;
  /** When it (or its family) was revoked. */
  revokedAt: Date | null;
}

function toToken(row: Record<string, unknown>): RefreshTokenRecord {
  return {
    id: String(row.id),
    userId: Number(row.user_id),
    familyId: String(row.family_id),
    expiresAt: row.expires_at as Date,
    rotatedAt: (row.rotated_at as Date | null) ?? null,
    revokedAt: (row.revoked_at as Date | null) ?? null,
  };
}

/** Stores a token hash. */
export async function insertRefreshToken(
  db: Queryable,
  t: { userId: number; familyId: string; tokenHash: string; expiresAt: Date },
): Promise<void> {
  await db.query(
    "INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at) VALUES ($1, $2, $3, $4)",
    [t.userId, t.familyId, t.tokenHash, t.expiresAt],
  );
}

/** Finds a token by hash, locking it for the rotation (inside a transaction). */
export async function findRefreshTokenForUpdate(
  db: Queryable,
  tokenHash: string,
): Promise<RefreshTokenRecord | null> {
  const rows = await db.query(
    `SELECT id, user_id, family_id, expires_at, rotated_at, revoked_at FROM refresh_tokens
     WHERE token_hash = $1 FOR UPDATE`,
    [tokenHash],
  );
  return rows[0] ? toToken(rows[0]) : null;
}

/** Marks a token rotated; false when it was already rotated (a concurrent reuse). */
export async function markRefreshTokenRotated(db: Queryable, id: string): Promise<boolean> {
  const rows = await db.query(
    "UPDATE refresh_tokens SET rotated_at = NOW() WHERE id = $1 AND rotated_at IS NULL RETURNING id",
    [id],
  );
  return rows.length > 0;
}

/** Revokes every token of a family (reuse detected, or logout). */
export async function revokeRefreshFamily(db: Queryable, familyId: string): Promise<void> {
  await db.query(
    "UPDATE refresh_tokens SET revoked_at = NOW() WHERE family_id = $1 AND revoked_at IS NULL",
    [familyId],
  );
}

/** Revokes all of a user's tokens (password change, key compromise). */
export async function revokeUserRefreshTokens(db: Queryable, userId: number): Promise<void> {
  await db.query(
    "UPDATE refresh_tokens SET revoked_at = NOW() WHERE user_id = $1 AND revoked_at IS NULL",
    [userId],
  );
}
