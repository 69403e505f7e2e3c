/**
 * Password hashing (bcrypt, cost 12, on @node-rs/bcrypt's thread pool so a
 * login never blocks the event loop) and the password policy.
 *
 * @module
 */
import { hash, verify } from "@node-rs/bcrypt";
import { AuraError } from "../../engine/errors.ts";

/** bcrypt cost factor: ~250 ms per hash on these machines. */
export const BCRYPT_COST = 12;

/** Longest accepted password; bcrypt ignores bytes past 72, the cap keeps hashing cheap. */
export const PASSWORD_MAX_LENGTH = 128;

/** Shortest accepted password. */
export const PASSWORD_MIN_LENGTH = 10;

/**
 * Checks the password policy: 10–128 characters, at least one letter and one
 * digit, not the username.
 *
 * @throws {AuraError} API_004 naming the rule that failed (never echoing the password).
 */
export function checkPasswordPolicy(password: string, username: string): void {
  const fail = (rule: string) => {
    throw new AuraError("API_004", `Password is too weak: it ${rule}`, {
      issues: [{ path: "password", message: rule }],
    });
  };
  if (password.length < PASSWORD_MIN_LENGTH) {
    fail(`must have at least ${PASSWORD_MIN_LENGTH} characters`);
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    fail(`must have at most ${PASSWORD_MAX_LENGTH} characters`);
  }
  if (!/\p{L}/u.test(password) || !/\p{Nd}/u.test(password)) {
    fail("must contain letters and digits");
  }
  if (password.toLowerCase() === username.toLowerCase()) fail("must differ from the username");
}

/** Hashes a password with bcrypt at {@link BCRYPT_COST}. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, BCRYPT_COST);
}

// A real hash of a random password, computed once: verifying against it when the
// user does not exist costs the same time as a real check, so response timing
// does not reveal which usernames exist.
let dummyHash: Promise<string> | null = null;

/**
 * Verifies `password` against `passwordHash`; with `null` (unknown user) it
 * verifies against a dummy hash and returns false, taking the same time.
 */
export async function verifyPassword(
  password: string,
  passwordHash: string | null,
): Promise<boolean> {
  if (passwordHash === null) {
    dummyHash ??= hash(crypto.randomUUID(), BCRYPT_COST);
    await verify(password, await dummyHash).catch(() => false);
    return false;
  }
  try {
    return await verify(password, passwordHash);
  } catch {
    return false;
  }
}
