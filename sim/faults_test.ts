import assert from "node:assert/strict";
import { API_KEY, publicGet, signed, withSim } from "./_test_support.ts";

Deno.test("[sim] rateLimitBurst answers 429 with Retry-After, then recovers", async () => {
  await withSim(async (sim) => {
    sim.faults.rateLimitBurst = 2;
    const first = await publicGet(sim, "/api/v3/time");
    assert.equal(first.status, 429);
    assert.equal(first.body.code, -1003);
    assert.equal(first.headers.get("retry-after"), "1");
    assert.equal((await publicGet(sim, "/api/v3/time")).status, 429);
    assert.equal((await publicGet(sim, "/api/v3/time")).status, 200);
  });
});

Deno.test("[sim] banBurst answers 418", async () => {
  await withSim(async (sim) => {
    sim.faults.banBurst = 1;
    const banned = await publicGet(sim, "/api/v3/ping");
    assert.equal(banned.status, 418);
    assert.equal(banned.body.code, -1003);
    assert.match(banned.body.msg, /banned until \d+/);
    assert.equal((await publicGet(sim, "/api/v3/ping")).status, 200);
  });
});

Deno.test("[sim] failAfterExecuteRate executes the order but answers 503", async () => {
  await withSim(async (sim) => {
    sim.faults.failAfterExecuteRate = 1;
    const res = await signed(sim, "POST", "/api/v3/order", {
      symbol: "BTCUSDT",
      side: "BUY",
      type: "MARKET",
      quoteOrderQty: "50",
      newClientOrderId: "lost-answer",
    });
    assert.equal(res.status, 503);
    assert.equal(res.body.code, -1007);
    const orders = sim.orders(API_KEY) as { clientOrderId: string; status: string }[];
    assert.deepEqual(orders.map((o) => [o.clientOrderId, o.status]), [["lost-answer", "FILLED"]]);
    // Reads are not order requests and still answer.
    sim.faults.failAfterExecuteRate = 1;
    const query = await signed(sim, "GET", "/api/v3/order", {
      symbol: "BTCUSDT",
      origClientOrderId: "lost-answer",
    });
    assert.equal(query.body.status, "FILLED");
  });
});

Deno.test("[sim] failBeforeRate answers 500 without executing", async () => {
  await withSim(async (sim) => {
    sim.faults.failBeforeRate = 1;
    const res = await signed(sim, "POST", "/api/v3/order", {
      symbol: "BTCUSDT",
      side: "BUY",
      type: "MARKET",
      quoteOrderQty: "50",
    });
    assert.equal(res.status, 500);
    assert.equal(res.body.code, -1001);
    assert.deepEqual(sim.orders(API_KEY), []);
  });
});

Deno.test("[sim] clockSkewMs shifts server time and the recvWindow check", async () => {
  await withSim(async (sim) => {
    sim.faults.clockSkewMs = 30_000;
    const time = await publicGet(sim, "/api/v3/time");
    assert.ok(time.body.serverTime - Date.now() > 25_000);
    const res = await signed(sim, "GET", "/api/v3/account");
    assert.deepEqual(res.body, {
      code: -1021,
      msg: "Timestamp for this request is outside of the recvWindow.",
    });
    sim.faults.clockSkewMs = -30_000;
    const ahead = await signed(sim, "GET", "/api/v3/account");
    assert.deepEqual(ahead.body, {
      code: -1021,
      msg: "Timestamp for this request was 1000ms ahead of the server's time.",
    });
  });
});

Deno.test("[sim] latencyMs delays answers without breaking them", async () => {
  await withSim(async (sim) => {
    sim.faults.latencyMs = 20;
    const res = await publicGet(sim, "/api/v3/ping");
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {});
  });
});
