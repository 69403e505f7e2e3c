import assert from "node:assert/strict";
import { Batcher } from "./_batcher.ts";

Deno.test("Batcher serves requests of one turn together, then what came meanwhile", async () => {
  const batches: number[][] = [];
  let release!: () => void;
  const held = new Promise<void>((resolve) => release = resolve);
  const batcher = new Batcher<number, number>(async (items) => {
    batches.push(items);
    if (batches.length === 1) await held;
    return items.map((n) => n * 10);
  });
  const first = [1, 2, 3].map((n) => batcher.load(n));
  await new Promise((resolve) => setTimeout(resolve, 1));
  const second = [4, 5].map((n) => batcher.load(n));
  release();
  assert.deepEqual(await Promise.all([...first, ...second]), [10, 20, 30, 40, 50]);
  assert.deepEqual(batches, [[1, 2, 3], [4, 5]]);
  assert.deepEqual(batcher.sizes, [3, 2]);
});

Deno.test("Batcher caps a batch and rejects each item of a failing one", async () => {
  const batches: number[][] = [];
  const batcher = new Batcher<number, number>((items) => {
    batches.push(items);
    if (items.includes(3)) return Promise.reject(new Error("bad batch"));
    return Promise.resolve(items);
  }, { maxBatch: 2 });
  const results = await Promise.allSettled([1, 2, 3, 4].map((n) => batcher.load(n)));
  assert.deepEqual(batches, [[1, 2], [3, 4]]);
  assert.deepEqual(results.map((r) => r.status), [
    "fulfilled",
    "fulfilled",
    "rejected",
    "rejected",
  ]);
});

Deno.test("Batcher refuses a batch that returns the wrong number of results", async () => {
  const batcher = new Batcher<number, number>(() => Promise.resolve([1]));
  const results = await Promise.allSettled([batcher.load(1), batcher.load(2)]);
  assert.ok(results.every((r) => r.status === "rejected"));
});

Deno.test("Batcher with parallel batches serves a request arriving mid-batch at once", async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => release = resolve);
  const started: number[][] = [];
  const batcher = new Batcher<number, number>(async (items) => {
    started.push(items);
    if (items.includes(1)) await held;
    return items;
  }, { parallel: 2 });
  const first = batcher.load(1);
  await new Promise((resolve) => setTimeout(resolve, 1));
  assert.equal(await batcher.load(2), 2, "not held behind the first batch");
  release();
  assert.equal(await first, 1);
  assert.deepEqual(started, [[1], [2]]);
});
