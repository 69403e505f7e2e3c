/**
 * Binance API keys repository. The secret is stored only encrypted (see
 * services' secret box); this module never sees plaintext.
 *
 * @module
 */
import type { Queryable } from "./port.ts";

/** A stored key pair (secret still encrypted). */
export interface ApiKeyRecord {
  /** Row id. */
  id: number;
  /** Owner. */
  userId: number;
  /** Public API key. */
  apiKey: string;
  /** Encrypted secret: "<keyId>:<iv>:<ciphertext>". */
  secretEncrypted: string;
  /** Active pair. */
  isActive: boolean;
  /** When stored. */
  createdAt: Date;
  /** Last validation time. */
  lastValidatedAt: Date | null;
  /** Last validation result. */
  lastStatus: Record<string, unknown> | null;
}

function toKey(row: Record<string, unknown>): ApiKeyRecord {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    apiKey: String(row.binance_api_key),
    secretEncrypted: String(row.binance_secret_key_encrypted),
    isActive: row.is_active === true,
    createdAt: row.created_at as Date,
    lastValidatedAt: (row.last_validated_at as Date | null) ?? null,
    lastStatus: (row.last_status as Record<string, unknown> | null) ?? null,
  };
}

const COLUMNS =
  "id, user_id, binance_api_key, binance_secret_key_encrypted, is_active, created_at, last_validated_at, last_status";

/** Stores a new active key pair for a user, deactivating the previous one. */
export async function saveApiKey(
  db: Queryable,
  userId: number,
  apiKey: string,
  secretEncrypted: string,
): Promise<ApiKeyRecord> {
  await db.query("UPDATE user_api_keys SET is_active = FALSE WHERE user_id = $1 AND is_active", [
    userId,
  ]);
  const rows = await db.query(
    `INSERT INTO user_api_keys (user_id, binance_api_key, binance_secret_key_encrypted)
     VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
    [userId, apiKey, secretEncrypted],
  );
  return toKey(rows[0]!);
}

/** A user's active key pair; null when none. */
export async function getActiveApiKey(db: Queryable, userId: number): Promise<ApiKeyRecord | null> {
  const rows = await db.query(
    `SELECT ${COLUMNS} FROM user_api_keys WHERE user_id = $1 AND is_active`,
    [userId],
  );
  return rows[0] ? toKey(rows[0]) : null;
}

/** Deletes all of a user's key pairs; returns how many were removed. */
export async function deleteApiKeys(db: Queryable, userId: number): Promise<number> {
  const rows = await db.query("DELETE FROM user_api_keys WHERE user_id = $1 RETURNING id", [
    userId,
  ]);
  return rows.length;
}

/** Caches the last validation result of a user's active pair. */
export async function recordApiKeyStatus(
  db: Queryable,
  userId: number,
  status: Record<string, unknown>,
): Promise<void> {
  await db.query(
    "UPDATE user_api_keys SET last_validated_at = NOW(), last_status = $2 WHERE user_id = $1 AND is_active",
    [userId, status],
  );
}

/** Re-encryption support: every stored pair (for master key rotation). */
export async function listAllApiKeys(db: Queryable): Promise<ApiKeyRecord[]> {
  const rows = await db.query(`SELECT ${COLUMNS} FROM user_api_keys ORDER BY id`);
  return rows.map(toKey);
}

/** Replaces the encrypted secret of one row (master key rotation). */
export async function updateEncryptedSecret(
  db: Queryable,
  id: number,
  secretEncrypted: string,
): Promise<void> {
  await db.query("UPDATE user_api_keys SET binance_secret_key_encrypted = $2 WHERE id = $1", [
    id,
    secretEncrypted,
  ]);
}
