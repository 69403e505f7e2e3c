import assert from "node:assert/strict";
import { Lanes } from "./_lanes.ts";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => open = resolve);
  return { open, opened };
}

Deno.test("Lanes runs one strategy's work in order and other strategies beside it", async () => {
  const lanes = new Lanes();
  const log: string[] = [];
  const first = gate();
  const a1 = lanes.strategy(1, 10, async () => {
    log.push("a1 start");
    await first.opened;
    log.push("a1 end");
  });
  const a2 = lanes.strategy(1, 10, () => Promise.resolve(void log.push("a2")));
  const b1 = lanes.strategy(1, 11, () => Promise.resolve(void log.push("b1")));
  await tick();
  assert.deepEqual(log, ["a1 start", "b1"], "b1 does not wait for strategy 10");
  first.open();
  await Promise.all([a1, a2, b1]);
  assert.deepEqual(log, ["a1 start", "b1", "a1 end", "a2"]);
});

Deno.test("Lanes: exclusive work waits for the user's lanes and holds back later work", async () => {
  const lanes = new Lanes();
  const log: string[] = [];
  const slow = gate();
  const a = lanes.strategy(1, 10, async () => {
    await slow.opened;
    log.push("a");
  });
  const x = lanes.exclusive(1, () => Promise.resolve(void log.push("exclusive")));
  const b = lanes.strategy(1, 11, () => Promise.resolve(void log.push("b")));
  const other = lanes.strategy(2, 20, () => Promise.resolve(void log.push("other user")));
  await tick();
  assert.deepEqual(log, ["other user"], "another user is not held back");
  slow.open();
  await Promise.all([a, x, b, other]);
  assert.deepEqual(log, ["other user", "a", "exclusive", "b"]);
});

Deno.test("Lanes: a failure stays with its caller and the lane goes on", async () => {
  const lanes = new Lanes();
  const failing = lanes.strategy(1, 10, () => Promise.reject(new Error("boom")));
  const next = lanes.strategy(1, 10, () => Promise.resolve("next"));
  await assert.rejects(failing, /boom/);
  assert.equal(await next, "next");
});

Deno.test("Lanes.idle waits for work queued by work", async () => {
  const lanes = new Lanes();
  const done: string[] = [];
  void lanes.strategy(1, 10, async () => {
    await tick();
    void lanes.strategy(1, 11, async () => {
      await tick();
      done.push("inner");
    });
    done.push("outer");
  });
  await lanes.idle();
  assert.deepEqual(done, ["outer", "inner"]);
});
