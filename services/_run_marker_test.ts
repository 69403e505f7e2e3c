import assert from "node:assert/strict";
import { ManualClock } from "../engine/clock.ts";
import {
  BEAT_MS,
  DISCOVERY_MARGIN_MS,
  parseMarker,
  RunMarker,
  windowAfter,
} from "./_run_marker.ts";

async function tempPath(): Promise<string> {
  return `${await Deno.makeTempDir({ prefix: "aura-marker-test-" })}/sub/execution.jsonl.run`;
}

Deno.test("RunMarker: a first run owes nothing; a clean stop leaves nothing to discover", async () => {
  const path = await tempPath();
  const clock = new ManualClock(1_000_000);
  const first = await RunMarker.open(path, clock);
  assert.equal(first.previous, null);
  assert.deepEqual(first.owed, []);
  assert.equal(first.heldUpTo, -Infinity);
  assert.deepEqual(parseMarker(await Deno.readTextFile(path)), {
    clean: false,
    beatAt: 1_000_000,
    owed: [],
  });
  clock.advance(5_000);
  await first.close();
  await first.close(); // idempotent
  const second = await RunMarker.open(path, clock);
  assert.deepEqual(second.previous, { clean: true, beatAt: 1_005_000, owed: [] });
  assert.deepEqual(second.owed, []);
  await second.close();
});

Deno.test("RunMarker: after a crash the window since the last beat is owed until discharged, across restarts", async () => {
  const path = await tempPath();
  const clock = new ManualClock(2_000_000);
  const crashed = await RunMarker.open(path, clock);
  clock.advance(7_000);
  await crashed.beat();
  await crashed.abandon(); // what a kill leaves
  clock.advance(60_000);
  const next = await RunMarker.open(path, clock);
  const window = windowAfter(2_007_000);
  assert.deepEqual(window, {
    since: 2_007_000 - DISCOVERY_MARGIN_MS,
    until: 2_007_000 + BEAT_MS + DISCOVERY_MARGIN_MS,
  });
  assert.deepEqual(next.owed, [window]);
  assert.equal(next.heldUpTo, window.until);
  // Stopped cleanly before the exchange could be asked: still owed next time.
  await next.close();
  const third = await RunMarker.open(path, clock);
  assert.deepEqual(third.owed, [window]);
  await third.discharge(third.owed[0]!);
  assert.deepEqual(third.owed, []);
  await third.abandon();
  // Discharged, then crashed again: only the new window is owed.
  const fourth = await RunMarker.open(path, clock);
  assert.deepEqual(fourth.owed, [windowAfter(clock.now())]);
  await fourth.close();
});

Deno.test("parseMarker: anything but a marker is none", () => {
  assert.equal(parseMarker(""), null);
  assert.equal(parseMarker('{"clean":true'), null);
  assert.equal(parseMarker('{"clean":"yes","beatAt":1}'), null);
  assert.deepEqual(
    parseMarker('{"clean":false,"beatAt":5,"owed":[{"since":1},{"since":1,"until":2}]}'),
    {
      clean: false,
      beatAt: 5,
      owed: [{ since: 1, until: 2 }],
    },
  );
});
