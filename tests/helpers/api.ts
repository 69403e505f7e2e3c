/**
 * In-process HTTP test harness: an app over a fresh database (PGlite in memory
 * unless a Db is given), fresh keys and an in-memory rate limiter, plus
 * {@link registerUser} to get a signed-in user.
 *
 * @example
 * ```ts
 * const t = await createTestApp();
 * const alice = await registerUser(t.app, "alice");
 * const res = await t.app.request("/api/v1/settings", { headers: alice.headers });
 * await t.close();
 * ```
 * @module
 */
import type { Hono } from "hono";
import { type AppDeps, createApp } from "../../app.ts";
import { loadConfig } from "../../config.ts";
import type { Db } from "../../db/port.ts";
import { openPglite } from "../../db/pglite.ts";
import { freshDb } from "./db.ts";
import { migrate } from "../../db/migrate.ts";
import { type Clock, ManualClock } from "../../engine/clock.ts";
import { generateJwtKeys, type JwtKeys } from "../../services/auth/jwt.ts";
import { EventHub } from "../../services/events.ts";
import { MetricsRegistry } from "../../services/metrics.ts";
import { KvRateLimiter, type RateLimiter } from "../../services/rate_limit.ts";
import { generateMasterKeys } from "../../services/secrets.ts";

/** Options of {@link createTestApp}. */
export interface TestAppOptions {
  /** A migrated database to use (not closed by `close`); default a fresh in-memory PGlite. */
  db?: Db;
  /** Environment overrides fed to loadConfig. */
  env?: Record<string, string>;
  /** Time source (default a ManualClock at the real current time). */
  clock?: Clock;
  /** Rate limiter (default in-memory Deno KV, closed by `close`). */
  rateLimiter?: RateLimiter;
  /** Any other dependency to override (keyValidator, healthChecks, exchangeFactory...). */
  overrides?: Partial<AppDeps>;
}

/** A running in-process app. */
export interface TestApp {
  /** The Hono app: call `app.request(path, init)`. */
  app: Hono;
  /** Its dependencies. */
  deps: AppDeps;
  /** Its database. */
  db: Db;
  /** Releases what the harness opened. */
  close(): Promise<void>;
}

let sharedJwtKeys: Promise<JwtKeys> | null = null;

/** Builds an app for tests. */
export async function createTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const ownDb = !opts.db;
  // AURA_TEST_STORAGE=postgres (set by .ci/run's second pass) runs the same app
  // tests on a fresh real Postgres database instead of PGlite.
  const fresh = ownDb && Deno.env.get("AURA_TEST_STORAGE") === "postgres"
    ? await freshDb("postgres")
    : null;
  const db = opts.db ?? fresh?.db ?? await openPglite();
  if (ownDb && !fresh) await migrate(db);
  // Every in-process request comes from the same "local" address: allow many
  // registrations unless a test asks for the real limit.
  const config = loadConfig({
    AURA_DATA_DIR: "/nonexistent-aura-test",
    REGISTRATIONS_PER_HOUR_PER_IP: "10000",
    ...opts.env,
  });
  const clock = opts.clock ?? new ManualClock(Date.now());
  // Generating an RSA pair costs ~350 ms: one per test process is enough.
  sharedJwtKeys ??= generateJwtKeys();
  const ownLimiter = !opts.rateLimiter;
  const rateLimiter = opts.rateLimiter ?? await KvRateLimiter.open(":memory:", clock);
  const deps: AppDeps = {
    config,
    db,
    clock,
    startedAt: clock.now(),
    events: new EventHub(),
    keys: { jwt: await sharedJwtKeys, master: generateMasterKeys() },
    rateLimiter,
    metrics: new MetricsRegistry(),
    ...opts.overrides,
  };
  const app = createApp(deps);
  return {
    app,
    deps,
    db,
    async close() {
      if (ownLimiter) await rateLimiter.close();
      if (fresh) await fresh.close();
      else if (ownDb) await db.close();
    },
  };
}

/** A signed-in test user. */
export interface TestUser {
  /** User id. */
  userId: number;
  /** Username. */
  username: string;
  /** Password used. */
  password: string;
  /** Access token. */
  accessToken: string;
  /** Refresh token. */
  refreshToken: string;
  /** `Authorization: Bearer …` plus JSON content type. */
  headers: Record<string, string>;
}

let counter = 0;

/** Registers a user through the API and returns its tokens. */
export async function registerUser(app: Hono, name?: string): Promise<TestUser> {
  const username = name ?? `user${++counter}_${crypto.randomUUID().slice(0, 6)}`;
  const password = "correct horse 42 battery";
  const res = await app.request("/api/v1/auth/register", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, email: `${username}@example.com`, password }),
  });
  if (res.status !== 201) {
    throw new Error(`registerUser("${username}") failed: ${res.status} ${await res.text()}`);
  }
  const body = await res.json() as {
    user: { id: number };
    accessToken: string;
    refreshToken: string;
  };
  return {
    userId: body.user.id,
    username,
    password,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
    headers: {
      Authorization: `Bearer ${body.accessToken}`,
      "Content-Type": "application/json",
    },
  };
}
