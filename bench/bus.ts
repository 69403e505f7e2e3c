/**
 * Bus latency and throughput per adapter: the memory bus, the worker bridge
 * (main → worker → main, through a real Worker), Redis Streams and Deno KV
 * queues. Latency: one event at a time, publish → handler, p50/p99. Throughput:
 * a burst published back to back until the last one is handled.
 *
 * Run: `deno run -A bench/bus.ts`. Prints lines like
 * `bus memory: p50 0.010 ms, p99 0.060 ms, 250000 msg/s (latency n=2000, burst n=20000)`.
 * Redis (127.0.0.1, db 15) is skipped with a line saying so when it is not running.
 *
 * @module
 */

import { Redis } from "ioredis";
import { KvBus } from "../adapters/bus/kv.ts";
import { MemoryBus } from "../adapters/bus/memory.ts";
import { RedisStreamsBus } from "../adapters/bus/redis_streams.ts";
import { serveBus } from "../adapters/bus/worker_bridge.ts";
import { type AuraEvent, klineClosed, type Topic } from "../engine/events.ts";
import type { Bus } from "../engine/ports/bus.ts";

/** One adapter's figures. */
export interface BusBenchResult {
  /** Adapter name. */
  name: string;
  /** Median publish → handler latency, ms. */
  p50Ms: number;
  /** 99th percentile latency, ms. */
  p99Ms: number;
  /** Events handled per second in a burst. */
  perSecond: number;
  /** Events timed one by one. */
  latencyCount: number;
  /** Events in the burst. */
  burstCount: number;
}

interface Target {
  name: string;
  latencyCount: number;
  burstCount: number;
  /** The bus to publish on, the topic whose deliveries to await, and how to dispose. */
  open: () => Promise<{ bus: Bus; publishOn: Topic; receiveOn: Topic; close: () => Promise<void> }>;
}

const REDIS_URL = Deno.env.get("AURA_BENCH_REDIS_URL") ?? "redis://127.0.0.1:6379/15";
const STEP_TIMEOUT_MS = 30_000;
const BURST_CHUNK = 50;

function event(n: number): AuraEvent {
  const openTime = 1_600_000_000_000 + n * 60_000;
  return klineClosed({
    symbol: "BTCUSDT",
    interval: "1m",
    openTime,
    closeTime: openTime + 59_999,
    open: "64000.1",
    high: "64100",
    low: "63900.5",
    close: "64050.25",
    volume: "12.5",
  }, openTime + 60_000);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

/** Resolves when `count` deliveries arrived; rejects after a bounded wait. */
function counter() {
  let seen = 0, target = 0, resolve = () => {};
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    onEvent: () => {
      if (++seen >= target) resolve();
    },
    until(count: number): Promise<void> {
      target = count;
      if (seen >= target) return Promise.resolve();
      return new Promise<void>((ok, fail) => {
        resolve = () => {
          clearTimeout(timer);
          ok();
        };
        timer = setTimeout(
          () => fail(new Error(`only ${seen}/${count} delivered`)),
          STEP_TIMEOUT_MS,
        );
      });
    },
  };
}

async function measure(target: Target): Promise<BusBenchResult> {
  const { bus, publishOn, receiveOn, close } = await target.open();
  try {
    const deliveries = counter();
    await bus.subscribe(receiveOn, "bench", () => deliveries.onEvent());
    // Built (validated, frozen) before timing: creation cost is the publisher's, not the bus's.
    const events = Array.from(
      { length: target.latencyCount + target.burstCount },
      (_, i) => event(i),
    );
    const latencies: number[] = [];
    let n = 0;
    for (let i = 0; i < target.latencyCount; i++, n++) {
      const start = performance.now();
      await bus.publish(publishOn, events[n]!);
      await deliveries.until(n + 1);
      latencies.push(performance.now() - start);
    }
    const start = performance.now();
    // Publishers in flight at once, as when several strategies emit on the same candle.
    for (let i = 0; i < target.burstCount; i += BURST_CHUNK) {
      const chunk = Math.min(BURST_CHUNK, target.burstCount - i);
      await Promise.all(Array.from({ length: chunk }, () => bus.publish(publishOn, events[n++]!)));
    }
    await deliveries.until(n);
    const perSecond = target.burstCount / ((performance.now() - start) / 1000);
    latencies.sort((a, b) => a - b);
    return {
      name: target.name,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      perSecond,
      latencyCount: target.latencyCount,
      burstCount: target.burstCount,
    };
  } finally {
    await close();
  }
}

async function redisReachable(): Promise<boolean> {
  const url = new URL(REDIS_URL);
  try {
    (await Deno.connect({ hostname: url.hostname, port: Number(url.port || 6379) })).close();
    return true;
  } catch {
    return false;
  }
}

const TARGETS: Target[] = [
  {
    name: "memory",
    latencyCount: 2_000,
    burstCount: 20_000,
    open: () => {
      const bus = new MemoryBus();
      return Promise.resolve({
        bus,
        publishOn: "klines",
        receiveOn: "klines",
        close: () => bus.close(),
      });
    },
  },
  {
    name: "worker-bridge (main → worker → main)",
    latencyCount: 2_000,
    burstCount: 10_000,
    open: async () => {
      const bus = new MemoryBus();
      const worker = new Worker(
        new URL("../adapters/bus/_worker_fixture.ts", import.meta.url).href,
        {
          type: "module",
        },
      );
      const ready = Promise.withResolvers<void>();
      worker.addEventListener("message", (e) => {
        if (e.data?.kind === "fixture:ready") ready.resolve();
      });
      const host = serveBus(bus, worker);
      await ready.promise;
      // The fixture consumes "klines" and republishes each event on "orders".
      return {
        bus,
        publishOn: "klines",
        receiveOn: "orders",
        close: async () => {
          worker.terminate();
          await host.close();
          await bus.close();
        },
      };
    },
  },
  {
    name: "redis-streams",
    latencyCount: 1_000,
    burstCount: 5_000,
    open: () => {
      const prefix = `aura:bench:${crypto.randomUUID()}`;
      const bus = new RedisStreamsBus({ url: REDIS_URL, prefix });
      return Promise.resolve({
        bus,
        publishOn: "klines",
        receiveOn: "klines",
        close: async () => {
          await bus.close();
          await deleteRedisPrefix(prefix);
        },
      });
    },
  },
  {
    name: "deno-kv",
    latencyCount: 100,
    burstCount: 500,
    open: async () => {
      const bus = await KvBus.open(":memory:");
      return { bus, publishOn: "klines", receiveOn: "klines", close: () => bus.close() };
    },
  },
];

async function deleteRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
}

/** Runs every adapter (Redis only when reachable) and returns one result per adapter. */
export async function measureBuses(): Promise<BusBenchResult[]> {
  const results: BusBenchResult[] = [];
  const withRedis = await redisReachable();
  for (const target of TARGETS) {
    if (target.name === "redis-streams" && !withRedis) continue;
    results.push(await measure(target));
  }
  return results;
}

/**
 * The figures for `deno task bench` (bench/mod.ts): per adapter `<name> p50 ms`,
 * `<name> p99 ms` and `<name> msg/s`.
 */
export async function benchBus(): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  for (const r of await measureBuses()) {
    figures[`${r.name} p50 ms`] = r.p50Ms;
    figures[`${r.name} p99 ms`] = r.p99Ms;
    figures[`${r.name} msg/s`] = Math.round(r.perSecond);
  }
  return figures;
}

if (import.meta.main) {
  if (!(await redisReachable())) {
    console.log(`bus redis-streams: skipped (${REDIS_URL} unreachable)`);
  }
  for (const r of await measureBuses()) {
    console.log(
      `bus ${r.name}: p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms, ` +
        `${Math.round(r.perSecond)} msg/s (latency n=${r.latencyCount}, burst n=${r.burstCount})`,
    );
  }
}
