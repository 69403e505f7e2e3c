import assert from "node:assert/strict";
import { Fifo } from "./_fifo.ts";

Deno.test("Fifo keeps order through compaction and put-backs", () => {
  const fifo = new Fifo<number>();
  for (let i = 0; i < 5_000; i++) fifo.push(i);
  const out: number[] = [];
  for (let i = 0; i < 3_000; i++) out.push(fifo.shift()!);
  fifo.unshift(-1);
  assert.equal(fifo.length, 2_001);
  assert.equal(fifo.shift(), -1);
  while (fifo.length > 0) out.push(fifo.shift()!);
  assert.deepEqual(out, Array.from({ length: 5_000 }, (_, i) => i));
  assert.equal(fifo.shift(), undefined);
  fifo.push(1);
  assert.deepEqual(fifo.drain(), [1]);
});
