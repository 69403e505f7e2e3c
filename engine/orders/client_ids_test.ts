import assert from "node:assert/strict";
import { clientOrderId, stableHash, tradeClientIds } from "./client_ids.ts";

const BINANCE_CLIENT_ID = /^[a-zA-Z0-9-_]{1,36}$/;

Deno.test("stableHash() is the 64-bit FNV-1a reference value", () => {
  // FNV-1a 64 test vectors: "" → cbf29ce484222325, "a" → af63dc4c8601ec8c.
  assert.equal(stableHash(""), 0xcbf29ce484222325n.toString(36));
  assert.equal(stableHash("a"), 0xaf63dc4c8601ec8cn.toString(36));
});

Deno.test("tradeClientIds() is deterministic and names each role", () => {
  const ids = tradeClientIds("sig-42");
  assert.deepEqual(ids, tradeClientIds("sig-42"));
  assert.match(ids.entry, /^au-[0-9a-z]{1,13}-E$/);
  assert.ok(ids.ocoList.endsWith("-O"));
  assert.ok(ids.takeProfit.endsWith("-T"));
  assert.ok(ids.stopLoss.endsWith("-S"));
  assert.ok(ids.exit.endsWith("-X"));
  assert.equal(new Set(Object.values(ids)).size, 5);
});

Deno.test("client ids stay within Binance's pattern for any signal id", () => {
  const long = "x".repeat(500) + "ünïcødé 🚀";
  for (const signalId of ["", "1", long, "550e8400-e29b-41d4-a716-446655440000"]) {
    for (const id of Object.values(tradeClientIds(signalId, 999))) {
      assert.match(id, BINANCE_CLIENT_ID);
      assert.ok(id.length <= 21, id);
    }
  }
});

Deno.test("client ids of 100,000 different signals never collide", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 100_000; i++) seen.add(clientOrderId(`signal-${i}`, "E"));
  assert.equal(seen.size, 100_000);
});

Deno.test("an attempt number yields a different id and bad attempts are refused", () => {
  assert.notEqual(clientOrderId("s", "O", 1), clientOrderId("s", "O"));
  assert.match(clientOrderId("s", "O", 1), /-O1$/);
  assert.throws(() => clientOrderId("s", "O", 1000), RangeError);
  assert.throws(() => clientOrderId("s", "O", 1.5), RangeError);
});
