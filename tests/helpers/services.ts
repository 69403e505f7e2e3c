/**
 * Finds the real Postgres and Redis the integration tests need. Where one is
 * absent the tests that need it are skipped with a notice, unless
 * AURA_REQUIRE_SERVICES=1 (set by .ci/run): then its absence fails the run.
 *
 * @module
 */
import postgres from "postgres";

/** Admin URL of the test Postgres server (a database AURA may create databases in). */
export const POSTGRES_ADMIN_URL = Deno.env.get("AURA_TEST_DATABASE_URL") ??
  "postgres://postgres@127.0.0.1:5432/postgres";

/** Redis URL for tests. */
export const REDIS_TEST_URL = Deno.env.get("AURA_TEST_REDIS_URL") ?? "redis://127.0.0.1:6379/15";

/** Whether missing services must fail rather than skip. */
export const SERVICES_REQUIRED = Deno.env.get("AURA_REQUIRE_SERVICES") === "1";

async function probePostgres(): Promise<boolean> {
  const sql = postgres(POSTGRES_ADMIN_URL, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

async function probeRedis(): Promise<boolean> {
  const url = new URL(REDIS_TEST_URL);
  try {
    const conn = await Deno.connect({
      hostname: url.hostname,
      port: Number(url.port || 6379),
    });
    try {
      await conn.write(new TextEncoder().encode("PING\r\n"));
      const buf = new Uint8Array(16);
      const n = await conn.read(buf);
      return n !== null && new TextDecoder().decode(buf.subarray(0, n)).startsWith("+PONG");
    } finally {
      conn.close();
    }
  } catch {
    return false;
  }
}

/** True when the test Postgres answers. */
export const postgresAvailable: boolean = await probePostgres();
/** True when the test Redis answers. */
export const redisAvailable: boolean = await probeRedis();

const noticed = new Set<string>();
function notice(service: string) {
  if (noticed.has(service)) return;
  noticed.add(service);
  console.warn(`NOTICE: ${service} is not reachable; tests that need it are skipped`);
}

if (SERVICES_REQUIRED && !postgresAvailable) {
  throw new Error(`AURA_REQUIRE_SERVICES=1 but Postgres is not reachable at ${POSTGRES_ADMIN_URL}`);
}
if (SERVICES_REQUIRED && !redisAvailable) {
  throw new Error(`AURA_REQUIRE_SERVICES=1 but Redis is not reachable at ${REDIS_TEST_URL}`);
}

/** `true` when tests needing Postgres must be skipped (and says so once). */
export function skipWithoutPostgres(): boolean {
  if (postgresAvailable) return false;
  notice("Postgres");
  return true;
}

/** `true` when tests needing Redis must be skipped (and says so once). */
export function skipWithoutRedis(): boolean {
  if (redisAvailable) return false;
  notice("Redis");
  return true;
}
