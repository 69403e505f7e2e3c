import assert from "node:assert/strict";
import { ChainReorderer } from "./_kv_order.ts";

const link = (seq: number, prev = seq - 1, from = "p") => ({ from, seq, prev });

Deno.test("ChainReorderer releases shuffled arrivals in publish order", () => {
  const reorder = new ChainReorderer<number>(500);
  const out: number[] = [];
  for (const seq of [2, 0, 3, 1, 5, 4]) out.push(...reorder.add(seq, link(seq), 0));
  assert.deepEqual(out, [0, 1, 2, 3, 4, 5]);
  assert.equal(reorder.nextDeadline(), null);
});

Deno.test("ChainReorderer keeps publishers' chains apart", () => {
  const reorder = new ChainReorderer<string>(500);
  assert.deepEqual(reorder.add("b1", link(1, 0, "b"), 0), []);
  assert.deepEqual(reorder.add("a0", link(0, -1, "a"), 0), ["a0"]);
  assert.deepEqual(reorder.add("b0", link(0, -1, "b"), 0), ["b0", "b1"]);
});

Deno.test("ChainReorderer gives up on a missing predecessor after the gap timeout", () => {
  const reorder = new ChainReorderer<number>(500);
  assert.deepEqual(reorder.add(7, link(7, 6), 1_000), []);
  assert.deepEqual(reorder.add(8, link(8, 7), 1_010), []);
  assert.equal(reorder.nextDeadline(), 1_500);
  assert.deepEqual(reorder.release(1_499), []);
  assert.deepEqual(reorder.release(1_500), [7, 8]);
});
