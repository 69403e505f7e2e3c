/**
 * Accounts and sessions: register, login, refresh, logout. Routes validate the
 * input shape; this service applies the rules (password policy, brute-force
 * limits, same answer for unknown user and wrong password) and writes the
 * audit trail.
 *
 * @module
 */
import type { Db } from "../../db/port.ts";
import { createUser, findUserById, findUserByLogin, type UserRecord } from "../../db/users.ts";
import { AuraError, isAuraError } from "../../engine/errors.ts";
import type { Clock } from "../../engine/clock.ts";
import { createLogger } from "../../logger.ts";
import { audit } from "../audit.ts";
import type { RateLimiter } from "../rate_limit.ts";
import type { AccessTokens } from "./jwt.ts";
import { checkPasswordPolicy, hashPassword, verifyPassword } from "./passwords.ts";
import type { RefreshTokens } from "./refresh.ts";

const log = createLogger("auth");

/** Login failures allowed per IP + username in {@link LOGIN_WINDOW_MS}. */
export const LOGIN_FAILURES_PER_USER = 5;
/** Login failures allowed per IP (any username) in {@link LOGIN_WINDOW_MS}. */
export const LOGIN_FAILURES_PER_IP = 20;
/** Window of the login failure counters: 15 minutes. */
export const LOGIN_WINDOW_MS = 15 * 60_000;

/** The user as clients see it. */
export interface PublicUser {
  /** Id. */
  id: number;
  /** Username. */
  username: string;
  /** Email. */
  email: string;
  /** Paper or live. */
  tradingMode: "paper" | "live";
}

/** A new session: what login, register and refresh return. */
export interface Session {
  /** The user. */
  user: PublicUser;
  /** RS256 access token. */
  accessToken: string;
  /** Opaque refresh token. */
  refreshToken: string;
  /** Access token lifetime, seconds. */
  expiresIn: number;
  /** Refresh token expiry (for the cookie's Max-Age). */
  refreshExpiresAt: Date;
}

/** Projects a stored user onto what clients may see. */
export function publicUser(u: UserRecord): PublicUser {
  return { id: u.id, username: u.username, email: u.email, tradingMode: u.tradingMode };
}

function tooMany(retryAfterMs: number): AuraError {
  return new AuraError("API_003", "Too many failed logins; try again later", {
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
  });
}

/** What {@link AuthService} needs. */
export interface AuthServiceDeps {
  /** Storage. */
  db: Db;
  /** Time source. */
  clock: Clock;
  /** Brute-force counters. */
  limiter: RateLimiter;
  /** False turns the login/register limits off (RATE_LIMIT_ENABLED=false). */
  limitsEnabled: boolean;
  /** Registrations allowed per IP per hour (REGISTRATIONS_PER_HOUR_PER_IP). */
  registrationsPerHour: number;
  /** Access token issuer. */
  access: AccessTokens;
  /** Refresh token store. */
  refresh: RefreshTokens;
}

/** The account and session service. */
export class AuthService {
  readonly #deps: AuthServiceDeps;

  /** Creates the service. */
  constructor(deps: AuthServiceDeps) {
    this.#deps = deps;
  }

  /** Creates an account and its first session. Throws API_006 when the name or email is taken. */
  async register(
    input: { username: string; email: string; password: string },
    ip: string,
  ): Promise<Session> {
    const { db, limiter, limitsEnabled } = this.#deps;
    checkPasswordPolicy(input.password, input.username);
    if (await findUserByLogin(db, input.username) || await findUserByLogin(db, input.email)) {
      throw new AuraError("API_006", "Username or email is already taken");
    }
    // Counted once the cheap checks pass: what the limit protects is bcrypt time
    // and the users table.
    if (limitsEnabled) {
      const d = await limiter.hit(
        `register:${ip}`,
        this.#deps.registrationsPerHour,
        3_600_000,
      );
      if (!d.allowed) {
        throw new AuraError("API_003", "Too many registrations; try again later", {
          retryAfterSeconds: Math.max(1, Math.ceil(d.retryAfterMs / 1000)),
        });
      }
    }
    let user: UserRecord;
    try {
      user = await createUser(db, {
        username: input.username,
        email: input.email,
        passwordHash: await hashPassword(input.password),
      });
    } catch (error) {
      // A concurrent registration of the same name lands here.
      if (isAuraError(error, "API_006")) {
        throw new AuraError("API_006", "Username or email is already taken");
      }
      throw error;
    }
    await audit(this.#deps, user.id, "user.register", { ip });
    return await this.#session(user);
  }

  /** Checks credentials and opens a session; AUTH_001 for any mismatch, API_003 when blocked. */
  async login(input: { username: string; password: string }, ip: string): Promise<Session> {
    const { db, limiter, limitsEnabled } = this.#deps;
    const userKey = `login:${ip}:${input.username.toLowerCase()}`;
    const ipKey = `login-ip:${ip}`;
    // The per-user counter counts attempts before the password is checked, so a
    // burst of parallel guesses cannot all pass a check made before any failed;
    // a success resets it. The per-IP counter counts failures only.
    let attempts = 0;
    if (limitsEnabled) {
      const [perUser, perIp] = await Promise.all([
        limiter.hit(userKey, LOGIN_FAILURES_PER_USER, LOGIN_WINDOW_MS),
        limiter.peek(ipKey),
      ]);
      if (!perUser.allowed) throw tooMany(perUser.retryAfterMs);
      if (perIp.count >= LOGIN_FAILURES_PER_IP) throw tooMany(perIp.retryAfterMs);
      attempts = perUser.count;
    }
    const user = await findUserByLogin(db, input.username);
    const ok = await verifyPassword(input.password, user?.passwordHash ?? null);
    if (!user || !ok) {
      await audit(this.#deps, user?.id ?? null, "login.failure", {
        ip,
        username: input.username.slice(0, 100),
      });
      if (limitsEnabled) {
        await limiter.hit(ipKey, LOGIN_FAILURES_PER_IP, LOGIN_WINDOW_MS);
        if (attempts === LOGIN_FAILURES_PER_USER) {
          log.warn("Repeated login failures: login blocked", {
            ip,
            username: input.username.slice(0, 100),
            failures: attempts,
            userId: user?.id ?? null,
          });
          await audit(this.#deps, user?.id ?? null, "login.blocked", {
            ip,
            username: input.username.slice(0, 100),
          }, "WARN");
        }
      }
      throw new AuraError("AUTH_001", "Invalid username or password");
    }
    if (limitsEnabled) await limiter.reset(userKey);
    await audit(this.#deps, user.id, "login.success", { ip });
    return await this.#session(user);
  }

  /** Rotates a refresh token into a new session (AUTH_002 when invalid or reused). */
  async refresh(refreshToken: string): Promise<Session> {
    const issued = await this.#deps.refresh.rotate(refreshToken);
    const user = await findUserById(this.#deps.db, issued.userId);
    if (!user) throw new AuraError("AUTH_002", "Refresh token is invalid or expired");
    return {
      user: publicUser(user),
      accessToken: await this.#deps.access.sign(user),
      refreshToken: issued.token,
      expiresIn: this.#deps.access.ttlSeconds,
      refreshExpiresAt: issued.expiresAt,
    };
  }

  /** Revokes the refresh token's family; unknown tokens are ignored. */
  async logout(refreshToken: string | undefined, ip: string): Promise<void> {
    if (!refreshToken) return;
    const userId = await this.#deps.refresh.revoke(refreshToken);
    if (userId !== null) await audit(this.#deps, userId, "logout", { ip });
  }

  async #session(user: UserRecord): Promise<Session> {
    const issued = await this.#deps.refresh.issue(user.id);
    return {
      user: publicUser(user),
      accessToken: await this.#deps.access.sign(user),
      refreshToken: issued.token,
      expiresIn: this.#deps.access.ttlSeconds,
      refreshExpiresAt: issued.expiresAt,
    };
  }
}
