/**
 * AURA's composition root: configuration → storage (migrated) → by
 * AURA_ROLE, HTTP (`web`), the trading engine (`engine`) or both (`all`,
 * the default). Start-up and crash recovery are one path.
 *
 * @module
 */
import { type AppDeps, createApp, type HealthCheck } from "./app.ts";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { openDb } from "./db/client.ts";
import { insertLogs } from "./db/logs.ts";
import { migrate } from "./db/migrate.ts";
import type { Db } from "./db/port.ts";
import { type Clock, systemClock } from "./engine/clock.ts";
import {
  announceAccountChange,
  announceStrategyChange,
  bridgeOrderEvents,
  type Engine,
  type EngineDeps,
  openBus,
  startEngine,
} from "./engine_host.ts";
import { configureLogging, createLogger, flushLogs } from "./logger.ts";
import { loadJwtKeys } from "./services/auth/jwt.ts";
import { EventHub } from "./services/events.ts";
import { processMetrics } from "./services/metrics.ts";
import { LivePrices } from "./services/prices.ts";
import { openRateLimiter } from "./services/rate_limit.ts";
import type { StrategyEngineHook } from "./services/strategies.ts";
import { loadMasterKeys } from "./services/secrets.ts";

const log = createLogger("main");

/** A running AURA. */
export interface Aura {
  /** The HTTP base URL (null in the engine role without a health port). */
  url: string | null;
  /** The engine (null in the web role). */
  engine: Engine | null;
  /** The database. */
  db: Db;
  /** Stops HTTP, the engine and storage; idempotent. */
  stop(): Promise<void>;
}

/** Extras for embedding AURA (the demo, tests). */
export interface StartOptions {
  /** Time source (default the system clock). */
  clock?: Clock;
  /** Starts the execution worker (see engine_host.ts). */
  startExecution?: EngineDeps["startExecution"];
}

/**
 * Starts AURA in the role `config.AURA_ROLE`: `all` = HTTP + engine,
 * `web` = HTTP only, `engine` = the pipeline only (plus /health on
 * AURA_HEALTH_PORT when set).
 */
export async function startAura(config: Config, options: StartOptions = {}): Promise<Aura> {
  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();
  const db = await openDb({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.AURA_DATA_DIR,
    poolSize: config.DATABASE_POOL_SIZE,
  });
  const closers: (() => Promise<void>)[] = [() => db.close()];
  const stop = async () => {
    for (const close of closers.splice(0).reverse()) {
      await close().catch((error) => log.error("Stop step failed", { error: String(error) }));
    }
  };
  try {
    const applied = await migrate(db);
    if (applied.length) log.info("Migrations applied", { versions: applied });
    const role = config.AURA_ROLE;
    const events = new EventHub();
    const prices = new LivePrices();

    let engine: Engine | null = null;
    // How the API tells the engine what it changed: the engine here, or over the shared bus.
    let engineHook: StrategyEngineHook | null = null;
    if (role !== "web") {
      engine = await startEngine({
        config,
        db,
        clock,
        events,
        onPrice: (symbol, price, at) => prices.update(symbol, price, at),
        startExecution: options.startExecution,
      });
      closers.push(() => engine!.stop());
      const running = engine;
      engineHook = {
        onStrategyChanged: (id, userId) => running.onStrategyChanged(id, userId),
        onAccountChanged: (userId) => running.onAccountChanged(userId),
      };
    } else if (config.REDIS_URL) {
      // A web process beside engine processes: their trade events reach this UI over Redis,
      // and what its API changes reaches them on "control".
      const { bus } = await openBus(config);
      engineHook = {
        onStrategyChanged: (id, userId) => announceStrategyChange(bus, clock, id, userId),
        onAccountChanged: (userId) => announceAccountChange(bus, clock, userId),
      };
      const bridge = await bridgeOrderEvents(bus, events, `ui-events-${crypto.randomUUID()}`);
      closers.push(async () => {
        await bridge.close();
        await bus.close();
      });
    }

    const healthChecks: Record<string, HealthCheck> = engine === null ? {} : {
      pipeline: () => {
        const h = engine!.health();
        const detail = `bus ${h.bus}, ${h.strategy.strategies} strategies, ` +
          `${h.ingest ? h.ingest.streams.length : 0} streams, ${h.strategy.candles} candles, ` +
          `${h.strategy.signals} signals`;
        return Promise.resolve({ ok: h.ok, detail });
      },
    };
    let url: string | null = null;
    const port = role === "engine" ? config.AURA_HEALTH_PORT : config.PORT;
    if (port !== undefined) {
      let fetch: (request: Request) => Response | Promise<Response>;
      if (role === "engine") fetch = healthOnly(engine!);
      else {
        const deps = await appDeps(
          config,
          db,
          clock,
          startedAt,
          events,
          prices,
          engineHook,
          healthChecks,
        );
        // Flushes the limiter's write-behind counters (a login block survives a restart).
        closers.push(() => deps.rateLimiter.close());
        fetch = createApp(deps).fetch;
      }
      url = await serve(config, port, fetch, closers);
    }
    const facts = { role, storage: db.kind, startupMs: clock.now() - startedAt };
    if (url) log.info("AURA is listening", { url, ...facts });
    else log.info("AURA is running", facts);
    return { url, engine, db, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function appDeps(
  config: Config,
  db: Db,
  clock: Clock,
  startedAt: number,
  events: EventHub,
  prices: LivePrices,
  engine: StrategyEngineHook | null,
  healthChecks: AppDeps["healthChecks"],
): Promise<AppDeps> {
  const jwt = await loadJwtKeys({
    privateKeyFile: config.JWT_PRIVATE_KEY_FILE,
    publicKeyFile: config.JWT_PUBLIC_KEY_FILE,
    dataDir: config.AURA_DATA_DIR,
  });
  const master = await loadMasterKeys({
    masterKey: config.AURA_MASTER_KEY,
    keyId: config.AURA_MASTER_KEY_ID,
    oldKeys: config.AURA_MASTER_KEYS_OLD,
    dataDir: config.AURA_DATA_DIR,
  });
  const rateLimiter = await openRateLimiter({
    redisUrl: config.REDIS_URL,
    kvPath: `${config.AURA_DATA_DIR}/kv.sqlite`,
    clock,
  });
  // Route modules read the optional extras they know (engine hook, live prices).
  const deps = {
    config,
    db,
    clock,
    startedAt,
    events,
    keys: { jwt, master },
    rateLimiter,
    metrics: processMetrics,
    healthChecks,
    prices,
    ...(engine ? { engine } : {}),
  };
  return deps;
}

function healthOnly(engine: Engine): (request: Request) => Response {
  return (request) => {
    if (new URL(request.url).pathname !== "/health") {
      return new Response("Not found", { status: 404 });
    }
    const health = engine.health();
    return Response.json(health, { status: health.ok ? 200 : 503 });
  };
}

async function serve(
  config: Config,
  port: number,
  handler: (request: Request) => Response | Promise<Response>,
  closers: (() => Promise<void>)[],
): Promise<string> {
  const tls = config.TLS_CERT_FILE && config.TLS_KEY_FILE
    ? {
      cert: await Deno.readTextFile(config.TLS_CERT_FILE),
      key: await Deno.readTextFile(config.TLS_KEY_FILE),
    }
    : {};
  const { promise, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: config.HOST,
    port,
    ...tls,
    onListen: (addr) => resolve(addr as Deno.NetAddr),
  }, handler);
  closers.push(() => server.shutdown());
  const addr = await promise;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return `${"cert" in tls ? "https" : "http"}://${host}:${addr.port}`;
}

async function main(): Promise<void> {
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
  const aura = await startAura(config);
  configureLogging({ sink: (entries) => insertLogs(aura.db, entries) });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log.info("AURA is stopping");
    await flushLogs();
    configureLogging({ sink: null });
    await aura.stop();
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
