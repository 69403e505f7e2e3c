/**
 * AURA's composition root: configuration → storage (migrated) → HTTP and,
 * by AURA_ROLE, the trading engine. Start-up and crash recovery are one path.
 *
 * @module
 */
import { ConfigError, loadConfig } from "./config.ts";
import { configureLogging, createLogger, flushLogs } from "./logger.ts";
import { openDb } from "./db/client.ts";
import { migrate } from "./db/migrate.ts";
import { insertLogs } from "./db/logs.ts";
import { systemClock } from "./engine/clock.ts";
import { createApp } from "./app.ts";

async function main(): Promise<void> {
  const startedAt = systemClock.now();
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      Deno.exit(1);
    }
    throw error;
  }
  configureLogging({ level: config.LOG_LEVEL, persistLevel: config.LOG_PERSIST_LEVEL });
  const log = createLogger("main");

  const db = await openDb({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.AURA_DATA_DIR,
    poolSize: config.DATABASE_POOL_SIZE,
  });
  const applied = await migrate(db);
  if (applied.length) log.info("Migrations applied", { versions: applied });
  configureLogging({ sink: (entries) => insertLogs(db, entries) });

  const app = createApp({ config, db, clock: systemClock, startedAt });
  const tls = config.TLS_CERT_FILE && config.TLS_KEY_FILE
    ? {
      cert: await Deno.readTextFile(config.TLS_CERT_FILE),
      key: await Deno.readTextFile(config.TLS_KEY_FILE),
    }
    : {};
  const server = Deno.serve({
    hostname: config.HOST,
    port: config.PORT,
    ...tls,
    onListen: ({ hostname, port }) => {
      log.info("AURA is listening", {
        url: `${"cert" in tls ? "https" : "http"}://${hostname}:${port}`,
        role: config.AURA_ROLE,
        storage: db.kind,
        startupMs: systemClock.now() - startedAt,
      });
    },
  }, app.fetch);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log.info("AURA is stopping");
    await server.shutdown();
    await flushLogs();
    await db.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}

if (import.meta.main) {
  main().catch((error) => {
    console.error(
      `AURA could not start: ${error instanceof Error ? error.message : String(error)}`,
    );
    Deno.exit(1);
  });
}
