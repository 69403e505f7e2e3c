import assert from "node:assert/strict";
import { ManualClock } from "../../engine/clock.ts";
import { AuraError } from "../../engine/errors.ts";
import { ExchangeResilience, type ResilienceOptions } from "./resilience.ts";

/** ccxt-shaped errors: the class name is what ccxt sets, the message carries Binance's body. */
function ccxtError(name: string, body: string): Error {
  const error = new Error(`binance ${body}`);
  error.name = name;
  return error;
}

function setup(options: Partial<ResilienceOptions> = {}) {
  const clock = new ManualClock(1_000_000);
  const sleeps: number[] = [];
  const resilience = new ExchangeResilience({
    clock,
    random: () => 1,
    sleep: (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
      return Promise.resolve();
    },
    ...options,
  });
  return { clock, sleeps, resilience };
}

const isCode = (code: string) => (error: unknown) =>
  error instanceof AuraError && error.code === code;

Deno.test("run() retries a temporary failure with exponential backoff", async () => {
  const { sleeps, resilience } = setup({ baseDelayMs: 100 });
  let calls = 0;
  const result = await resilience.run("get price", () => {
    calls++;
    if (calls < 3) {
      return Promise.reject(
        ccxtError("RequestTimeout", "GET /api/v3/ticker/price request timed out"),
      );
    }
    return Promise.resolve("ok");
  });
  assert.equal(result, "ok");
  assert.equal(calls, 3);
  assert.deepEqual(sleeps, [100, 200]);
});

Deno.test("run() queries by client id after an unknown outcome and never resends a found order", async () => {
  const { resilience } = setup();
  let sends = 0;
  let queries = 0;
  const result = await resilience.run(
    "place market buy",
    () => {
      sends++;
      return Promise.reject(
        ccxtError("ExchangeNotAvailable", "POST /api/v3/order 503 Service Unavailable"),
      );
    },
    {
      recover: () => {
        queries++;
        return Promise.resolve("found-order");
      },
    },
  );
  assert.equal(result, "found-order");
  assert.equal(sends, 1);
  assert.equal(queries, 1);
});

Deno.test("run() resends only when the exchange never saw the order", async () => {
  const { resilience } = setup();
  const log: string[] = [];
  const result = await resilience.run(
    "place market buy",
    () => {
      log.push("send");
      return log.length === 1
        ? Promise.reject(ccxtError("RequestTimeout", "timed out"))
        : Promise.resolve("sent");
    },
    {
      recover: () => {
        log.push("query");
        return Promise.resolve(null);
      },
    },
  );
  assert.equal(result, "sent");
  assert.deepEqual(log, ["send", "query", "send"]);
});

Deno.test("run() does not retry a rejection and maps it", async () => {
  const { resilience } = setup();
  let calls = 0;
  await assert.rejects(
    resilience.run("place market buy", () => {
      calls++;
      return Promise.reject(
        ccxtError(
          "InvalidOrder",
          '{"code":-2010,"msg":"Account has insufficient balance for requested action."}',
        ),
      );
    }),
    isCode("TRADE_001"),
  );
  assert.equal(calls, 1);
});

Deno.test("run() waits out a 429's Retry-After, then retries", async () => {
  const { sleeps, resilience } = setup();
  let calls = 0;
  const result = await resilience.run(
    "get price",
    () => (++calls === 1
      ? Promise.reject(ccxtError("DDoSProtection", "429 Too Many Requests {}"))
      : Promise.resolve(calls)),
    { lastResponse: () => ({ status: calls === 1 ? 429 : 200, headers: { "Retry-After": "3" } }) },
  );
  assert.equal(result, 2);
  assert.deepEqual(sleeps, [3000]);
});

Deno.test("run() stops calling after a 418 until the ban ends", async () => {
  const { clock, resilience } = setup({ maxWaitMs: 10_000 });
  let calls = 0;
  const banned = () => {
    calls++;
    return Promise.reject(ccxtError("DDoSProtection", "418 I'm a teapot {}"));
  };
  await assert.rejects(
    resilience.run("get price", banned, {
      lastResponse: () => ({ status: 418, headers: { "retry-after": "120" } }),
    }),
    isCode("API_003"),
  );
  await assert.rejects(resilience.run("get price", () => Promise.resolve(1)), isCode("API_003"));
  assert.equal(calls, 1);
  clock.advance(120_000);
  assert.equal(await resilience.run("get price", () => Promise.resolve(1)), 1);
});

Deno.test("run() resyncs the clock after -1021 and retries once", async () => {
  const { resilience } = setup();
  let resyncs = 0;
  let calls = 0;
  const skewed = () => {
    calls++;
    return resyncs === 0
      ? Promise.reject(
        ccxtError(
          "InvalidNonce",
          '{"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}',
        ),
      )
      : Promise.resolve("ok");
  };
  assert.equal(
    await resilience.run("get balances", skewed, { resync: () => Promise.resolve(void resyncs++) }),
    "ok",
  );
  assert.equal(resyncs, 1);
  assert.equal(calls, 2);
  // A second -1021 after the resync is surfaced, not looped on.
  const always = () =>
    Promise.reject(ccxtError("InvalidNonce", '{"code":-1021,"msg":"Timestamp ahead"}'));
  await assert.rejects(
    resilience.run("get balances", always, { resync: () => Promise.resolve() }),
    isCode("TRADE_004"),
  );
});

Deno.test("the circuit breaker opens after consecutive failures and half-opens after the cool-down", async () => {
  const { clock, resilience } = setup({
    breakerThreshold: 3,
    breakerCooldownMs: 10_000,
    maxAttempts: 1,
  });
  const down = () => Promise.reject(ccxtError("ExchangeNotAvailable", "503 Service Unavailable"));
  for (let i = 0; i < 3; i++) {
    await assert.rejects(resilience.run("get price", down), isCode("TRADE_004"));
  }
  assert.equal(resilience.breakerState("reads"), "open");
  let calls = 0;
  await assert.rejects(
    resilience.run("get price", () => Promise.resolve(++calls)),
    /circuit is open/,
  );
  assert.equal(calls, 0);
  clock.advance(10_000);
  assert.equal(resilience.breakerState("reads"), "half_open");
  await assert.rejects(resilience.run("get price", down), isCode("TRADE_004"));
  assert.equal(resilience.breakerState("reads"), "open");
  clock.advance(10_000);
  assert.equal(await resilience.run("get price", () => Promise.resolve("up")), "up");
  assert.equal(resilience.breakerState("reads"), "closed");
});

Deno.test("run() pauses until the next minute when the used weight nears the limit", async () => {
  const { clock, sleeps, resilience } = setup({ weightLimit: 100 });
  clock.set(60_000 * 10 + 15_000);
  await resilience.run("get price", () => Promise.resolve(1), {
    lastResponse: () => ({ status: 200, headers: { "x-mbx-used-weight-1m": "95" } }),
  });
  assert.equal(resilience.usedWeight, 95);
  await resilience.run("get price", () => Promise.resolve(1));
  assert.deepEqual(sleeps, [45_000]);
});

Deno.test("run() marks an order whose outcome stays unknown so it is reconciled, not resent", async () => {
  const { resilience } = setup({ maxAttempts: 2 });
  const down = () => Promise.reject(ccxtError("RequestTimeout", "timed out"));
  await assert.rejects(
    resilience.run("place market buy", down, { recover: down }),
    (error: unknown) =>
      error instanceof AuraError && error.code === "TRADE_004" &&
      (error.details as { outcomeUnknown?: boolean }).outcomeUnknown === true &&
      /may have executed, reconcile by client id$/.test(error.message),
  );
  // A read that runs out of retries is just a failure.
  await assert.rejects(
    resilience.run("get price", down),
    (error: unknown) =>
      error instanceof AuraError &&
      (error.details as { outcomeUnknown?: boolean }).outcomeUnknown === undefined,
  );
});
