/**
 * Refresh tokens: 32 random bytes (base64url), stored only as SHA-256 hashes,
 * rotated on every use. Presenting a token that was already rotated means it
 * was copied: the whole family (one login) is revoked.
 *
 * @module
 */
import type { Db } from "../../db/port.ts";
import {
  findRefreshTokenForUpdate,
  insertRefreshToken,
  markRefreshTokenRotated,
  revokeRefreshFamily,
} from "../../db/refresh_tokens.ts";
import { AuraError } from "../../engine/errors.ts";
import type { Clock } from "../../engine/clock.ts";

/** A newly issued refresh token (the plaintext exists only here and in the response). */
export interface IssuedRefreshToken {
  /** The token to hand to the client. */
  token: string;
  /** Owner. */
  userId: number;
  /** Rotation family. */
  familyId: string;
  /** Expiry. */
  expiresAt: Date;
}

/** Encodes bytes as base64url without padding. */
export function base64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** SHA-256 of a token, hex (what the database stores). */
export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const invalid = () => new AuraError("AUTH_002", "Refresh token is invalid or expired");

/** Issues, rotates and revokes refresh tokens. */
export class RefreshTokens {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #ttlMs: number;

  /** Creates the service. */
  constructor(options: { db: Db; clock: Clock; ttlSeconds: number }) {
    this.#db = options.db;
    this.#clock = options.clock;
    this.#ttlMs = options.ttlSeconds * 1000;
  }

  /** Issues a token in a new family (login) or in `familyId` (rotation). */
  async issue(userId: number, familyId: string = crypto.randomUUID()): Promise<IssuedRefreshToken> {
    const token = base64Url(crypto.getRandomValues(new Uint8Array(32)));
    const expiresAt = new Date(this.#clock.now() + this.#ttlMs);
    await insertRefreshToken(this.#db, {
      userId,
      familyId,
      tokenHash: await hashToken(token),
      expiresAt,
    });
    return { token, userId, familyId, expiresAt };
  }

  /**
   * Exchanges `token` for a new one of the same family.
   *
   * @throws {AuraError} AUTH_002 when unknown, expired or revoked; when the token
   * was already rotated its family is revoked first.
   */
  async rotate(token: string): Promise<IssuedRefreshToken> {
    const tokenHash = await hashToken(token);
    const now = this.#clock.now();
    const outcome = await this.#db.transaction(async (tx) => {
      const found = await findRefreshTokenForUpdate(tx, tokenHash);
      if (!found || found.revokedAt) return { kind: "invalid" as const };
      if (found.rotatedAt) return { kind: "reused" as const, familyId: found.familyId };
      if (found.expiresAt.getTime() <= now) return { kind: "invalid" as const };
      if (!(await markRefreshTokenRotated(tx, found.id))) {
        return { kind: "reused" as const, familyId: found.familyId };
      }
      const next = base64Url(crypto.getRandomValues(new Uint8Array(32)));
      const expiresAt = new Date(now + this.#ttlMs);
      await insertRefreshToken(tx, {
        userId: found.userId,
        familyId: found.familyId,
        tokenHash: await hashToken(next),
        expiresAt,
      });
      return {
        kind: "rotated" as const,
        issued: { token: next, userId: found.userId, familyId: found.familyId, expiresAt },
      };
    });
    // The family is revoked outside the rotation transaction: throwing inside it
    // would roll the revocation back.
    if (outcome.kind === "reused") {
      await revokeRefreshFamily(this.#db, outcome.familyId);
      throw invalid();
    }
    if (outcome.kind === "invalid") throw invalid();
    return outcome.issued;
  }

  /** Revokes the family of `token` (logout); unknown tokens are ignored. Returns the owner. */
  async revoke(token: string): Promise<number | null> {
    const found = await this.#db.transaction((tx) =>
      hashToken(token).then((h) => findRefreshTokenForUpdate(tx, h))
    );
    if (!found) return null;
    await revokeRefreshFamily(this.#db, found.familyId);
    return found.userId;
  }
}
