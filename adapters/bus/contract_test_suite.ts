/**
 * The one contract every {@link Bus} adapter passes: delivery, order for a
 * single consumer, fan-out to groups, load-balancing within a group,
 * redelivery after a failure or a crash, dead-lettering, idempotent consumers
 * and idempotent close. Adapter tests call {@link busContractSuite}.
 *
 * @module
 */

import assert from "node:assert/strict";
import { isAuraError } from "../../engine/errors.ts";
import { type AuraEvent, type KlineClosed, klineClosed } from "../../engine/events.ts";
import type { Bus, Delivery, EventHandler } from "../../engine/ports/bus.ts";
import { waitFor } from "./_wait.ts";
import { Deduper, idempotent } from "./dedupe.ts";

/** A fresh bus for one test, and how to dispose of it. */
export interface BusFixture {
  /** The bus under test. */
  bus: Bus;
  /** Releases everything the fixture opened (the bus is closed by the suite first). */
  cleanup?: () => Promise<void>;
}

/** How to run the suite against one adapter. */
export interface BusContractOptions {
  /** Adapter name shown in test names, e.g. `"memory"`. */
  name: string;
  /** Creates a fresh, isolated bus. */
  open: () => Promise<BusFixture>;
  /** Skip every case (e.g. Redis absent). */
  ignore?: boolean;
}

const RETRY_MS = 150;

/** A deterministic `kline_closed` numbered `n`. */
export function sampleEvent(n: number): KlineClosed {
  const openTime = 1_700_000_000_000 + n * 60_000;
  return klineClosed({
    symbol: "BTCUSDT",
    interval: "1m",
    openTime,
    closeTime: openTime + 59_999,
    open: "100.5",
    high: "101",
    low: "99.25",
    close: `${100 + n}.5`,
    volume: "12.345",
  }, openTime + 60_100);
}

type Seen = { event: AuraEvent; delivery: Delivery }[];

function recorder(seen: Seen): EventHandler {
  return (event, delivery) => {
    seen.push({ event, delivery });
  };
}

/** Registers the contract tests for one adapter. */
export function busContractSuite(options: BusContractOptions): void {
  const test = (name: string, fn: (bus: Bus) => Promise<void>) =>
    Deno.test({
      name: `[bus:${options.name}] ${name}`,
      ignore: options.ignore ?? false,
      fn: async () => {
        const fixture = await options.open();
        try {
          await fn(fixture.bus);
        } finally {
          await fixture.bus.close();
          await fixture.cleanup?.();
        }
      },
    });

  test("delivers a published event intact, as attempt 1", async (bus) => {
    const seen: Seen = [];
    await bus.subscribe("klines", "strategy", recorder(seen));
    const event = sampleEvent(1);
    await bus.publish("klines", event);
    await waitFor(() => seen.length === 1, "the delivery");
    assert.deepEqual(seen[0]!.event, event);
    assert.equal(seen[0]!.delivery.attempt, 1);
    assert.ok(Object.isFrozen(seen[0]!.event), "delivered events are immutable");
  });

  test("keeps publish order for a single consumer", async (bus) => {
    const seen: Seen = [];
    await bus.subscribe("klines", "strategy", recorder(seen));
    const events = Array.from({ length: 30 }, (_, i) => sampleEvent(i));
    for (const event of events) await bus.publish("klines", event);
    await waitFor(() => seen.length === events.length, "30 deliveries");
    assert.deepEqual(seen.map((s) => s.event.id), events.map((e) => e.id));
  });

  test("delivers every event once to each consumer group", async (bus) => {
    const a: Seen = [], b: Seen = [];
    await bus.subscribe("orders", "ui", recorder(a));
    await bus.subscribe("orders", "execution", recorder(b));
    const events = Array.from({ length: 10 }, (_, i) => sampleEvent(i));
    for (const event of events) await bus.publish("orders", event);
    await waitFor(() => a.length === 10 && b.length === 10, "10 deliveries per group");
    assert.deepEqual(a.map((s) => s.event.id), events.map((e) => e.id));
    assert.deepEqual(b.map((s) => s.event.id), events.map((e) => e.id));
  });

  test("keeps topics apart", async (bus) => {
    const klines: Seen = [], signals: Seen = [];
    await bus.subscribe("klines", "g", recorder(klines));
    await bus.subscribe("signals", "g", recorder(signals));
    await bus.publish("signals", sampleEvent(7));
    await waitFor(() => signals.length === 1, "the signal");
    await bus.publish("klines", sampleEvent(8));
    await waitFor(() => klines.length === 1, "the kline");
    assert.deepEqual([klines[0]!.event.id, signals[0]!.event.id], [
      sampleEvent(8).id,
      sampleEvent(7).id,
    ]);
  });

  test("shares a group's events among its consumers, each event once", async (bus) => {
    const byConsumer: string[][] = [[], []];
    let release!: () => void;
    const released = new Promise<void>((resolve) => release = resolve);
    for (const index of [0, 1]) {
      await bus.subscribe("signals", "execution", async (event) => {
        byConsumer[index]!.push(event.id);
        // The first event keeps its consumer busy: the rest must go to the other one.
        if (event.id === sampleEvent(0).id) await released;
      });
    }
    await bus.publish("signals", sampleEvent(0));
    await waitFor(() => byConsumer.flat().length === 1, "the first delivery");
    const busy = byConsumer[0]!.length === 1 ? 0 : 1;
    for (let i = 1; i <= 9; i++) await bus.publish("signals", sampleEvent(i));
    await waitFor(() => byConsumer[1 - busy]!.length === 9, "the idle consumer to take the rest");
    release();
    const all = byConsumer.flat().sort();
    assert.deepEqual(all, Array.from({ length: 10 }, (_, i) => sampleEvent(i).id).sort());
  });

  test("with concurrency n, runs up to n handlers at once, started in publish order", async (bus) => {
    const started: string[] = [];
    let running = 0, most = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => release = resolve);
    const done: string[] = [];
    await bus.subscribe("signals", "execution", async (event) => {
      started.push(event.id);
      most = Math.max(most, ++running);
      await gate;
      running--;
      done.push(event.id);
    }, { concurrency: 4 });
    const events = Array.from({ length: 10 }, (_, i) => sampleEvent(i));
    for (const event of events) await bus.publish("signals", event);
    await waitFor(() => started.length === 4, "four handlers running");
    // Give a wrong adapter the chance to start a fifth.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(started.length, 4, "no more than the window");
    release();
    await waitFor(() => done.length === 10, "every event handled");
    assert.equal(most, 4);
    assert.deepEqual(started, events.map((e) => e.id), "handlers start in publish order");
  });

  test("with concurrency, redelivers a failed event while the others are acknowledged", async (bus) => {
    const seen: { id: string; attempt: number }[] = [];
    await bus.subscribe("signals", "execution", (event, delivery) => {
      seen.push({ id: event.id, attempt: delivery.attempt });
      if (event.id === sampleEvent(1).id && delivery.attempt === 1) throw new Error("transient");
    }, { concurrency: 8, retryDelayMs: RETRY_MS });
    for (let i = 0; i < 5; i++) await bus.publish("signals", sampleEvent(i));
    await waitFor(() => seen.length === 6, "five deliveries and one redelivery");
    assert.deepEqual(
      seen.filter((s) => s.attempt === 2).map((s) => s.id),
      [sampleEvent(1).id],
    );
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS * 3));
    assert.equal(seen.length, 6, "acknowledged events are not redelivered");
  });

  test("redelivers an event whose handler threw", async (bus) => {
    const attempts: number[] = [];
    await bus.subscribe("klines", "strategy", (_event, delivery) => {
      attempts.push(delivery.attempt);
      if (delivery.attempt === 1) throw new Error("transient failure");
    }, { retryDelayMs: RETRY_MS });
    await bus.publish("klines", sampleEvent(1));
    await waitFor(() => attempts.length === 2, "the redelivery");
    assert.deepEqual(attempts, [1, 2]);
  });

  test("hands unacknowledged events to another consumer when one closes", async (bus) => {
    const crashed: string[] = [], survivor: Seen = [];
    const first = await bus.subscribe("signals", "execution", (event) => {
      crashed.push(event.id);
      return new Promise<void>(() => {}); // never acknowledges: the consumer "dies"
    }, { retryDelayMs: RETRY_MS });
    await bus.publish("signals", sampleEvent(3));
    await waitFor(() => crashed.length === 1, "the first consumer to take the event");
    await bus.subscribe("signals", "execution", recorder(survivor), { retryDelayMs: RETRY_MS });
    await first.close();
    await waitFor(() => survivor.length === 1, "the redelivery to the surviving consumer");
    assert.equal(survivor[0]!.event.id, sampleEvent(3).id);
    assert.ok(survivor[0]!.delivery.attempt >= 1);
  });

  test("dead-letters an event after maxAttempts failures", async (bus) => {
    const attempts: number[] = [], handled: string[] = [];
    const dead: { id: string; attempts: number; message: string }[] = [];
    await bus.subscribe("orders", "ui", (event, delivery) => {
      if (event.id !== sampleEvent(1).id) return void handled.push(event.id);
      attempts.push(delivery.attempt);
      throw new Error("poison");
    }, {
      maxAttempts: 3,
      retryDelayMs: RETRY_MS,
      onDeadLetter: (event, failure) => {
        dead.push({
          id: event.id,
          attempts: failure.attempts,
          message: (failure.error as Error).message,
        });
      },
    });
    await bus.publish("orders", sampleEvent(1));
    await waitFor(() => dead.length === 1, "the dead letter");
    assert.deepEqual(dead, [{ id: sampleEvent(1).id, attempts: 3, message: "poison" }]);
    await bus.publish("orders", sampleEvent(2));
    await waitFor(() => handled.length === 1, "the next event");
    assert.deepEqual(attempts, [1, 2, 3]);
  });

  test("runs an idempotent handler once per event id", async (bus) => {
    const raw: string[] = [], handled: string[] = [];
    const handler = idempotent((event) => void handled.push(event.id), new Deduper());
    await bus.subscribe("signals", "execution", async (event, delivery) => {
      raw.push(event.id);
      await handler(event, delivery);
    });
    const [a, b] = [sampleEvent(1), sampleEvent(2)];
    for (const event of [a, a, b, a]) await bus.publish("signals", event);
    await waitFor(() => raw.length === 4, "four deliveries");
    assert.deepEqual(handled, [a.id, b.id]);
  });

  test("starts a new group at the events published after it first subscribed", async (bus) => {
    const early: Seen = [], late: Seen = [];
    await bus.subscribe("klines", "early", recorder(early));
    await bus.publish("klines", sampleEvent(1));
    await waitFor(() => early.length === 1, "the early group's delivery");
    await bus.subscribe("klines", "late", recorder(late));
    await bus.publish("klines", sampleEvent(2));
    await waitFor(() => early.length === 2 && late.length === 1, "both groups' deliveries");
    assert.deepEqual(late.map((s) => s.event.id), [sampleEvent(2).id]);
  });

  test("closes idempotently and refuses use afterwards", async (bus) => {
    const subscription = await bus.subscribe("klines", "g", () => {});
    await subscription.close();
    await subscription.close();
    await bus.close();
    await bus.close();
    await assert.rejects(bus.publish("klines", sampleEvent(1)), (e) => isAuraError(e, "SYS_003"));
    await assert.rejects(bus.subscribe("klines", "g", () => {}), (e) => isAuraError(e, "SYS_003"));
  });
}
