import assert from "node:assert/strict";
import { Hono } from "hono";
import { createTestApp, registerUser, type TestApp } from "./helpers/api.ts";
import { eventsRoutes } from "../routes/api/events.ts";

/** One parsed SSE block: an event (with data) or a comment line. */
interface SseBlock {
  event?: string;
  data?: unknown;
  id?: string;
  comment?: string;
}

/** Reads SSE blocks from a response body. */
class SseReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #decoder = new TextDecoder();
  #buffer = "";
  #blocks: SseBlock[] = [];

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
  }

  /** Reads until a block matching `match` arrives (or fails at the deadline); returns it. */
  async until(match: (b: SseBlock) => boolean, timeoutMs = 10_000): Promise<SseBlock> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#blocks.findIndex(match);
      if (i >= 0) return this.#blocks.splice(0, i + 1).at(-1)!;
      this.#blocks = [];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("expected SSE block did not arrive in time");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const chunk = await Promise.race([
        this.#reader.read(),
        new Promise<null>((r) => (timer = setTimeout(() => r(null), left))),
      ]).finally(() => clearTimeout(timer));
      if (chunk === null) continue;
      if (chunk.done) throw new Error("stream ended");
      this.#buffer += this.#decoder.decode(chunk.value, { stream: true });
      let end: number;
      while ((end = this.#buffer.indexOf("\n\n")) >= 0) {
        this.#blocks.push(parse(this.#buffer.slice(0, end)));
        this.#buffer = this.#buffer.slice(end + 2);
      }
    }
  }

  /** Every block already received (without waiting). */
  seen(): SseBlock[] {
    return this.#blocks;
  }

  /** Closes the stream (the server unsubscribes). */
  cancel(): Promise<void> {
    return this.#reader.cancel();
  }
}

function parse(text: string): SseBlock {
  const block: SseBlock = {};
  for (const line of text.split("\n")) {
    if (line.startsWith(":")) block.comment = line.slice(1).trim();
    else if (line.startsWith("event: ")) block.event = line.slice(7);
    else if (line.startsWith("id: ")) block.id = line.slice(4);
    else if (line.startsWith("data: ")) block.data = JSON.parse(line.slice(6));
  }
  return block;
}

let shared: Promise<TestApp> | null = null;

function app(): Promise<TestApp> {
  shared ??= createTestApp();
  return shared;
}

function apiTest(name: string, fn: (t: TestApp) => Promise<void>): void {
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => fn(await app()),
  });
}

/** Polls `condition` until true or the deadline. */
async function eventually(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => queueMicrotask(() => r(null)));
    await new Promise((r) => setTimeout(r, 0)); // yield to the stream's pull loop
  }
}

apiTest("[api] GET /events says hello with health, then forwards the user's events", async (t) => {
  const ann = await registerUser(t.app);
  const bob = await registerUser(t.app);
  const before = t.deps.events.size;
  const res = await t.app.request("/api/v1/events", { headers: ann.headers });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
  const sse = new SseReader(res.body!);
  const hello = await sse.until((b) => b.event === "hello");
  const data = hello.data as {
    userId: number;
    health: { status: string; checks: Record<string, { ok: boolean }> };
  };
  assert.equal(data.userId, ann.userId);
  assert.equal(data.health.checks.database?.ok, true);

  t.deps.events.publish(bob.userId, { type: "trade", data: { tradeId: 999, secret: "bob's" } });
  t.deps.events.publish(ann.userId, { type: "trade", data: { tradeId: 1, status: "OPEN" } });
  const trade = await sse.until((b) => b.event === "trade");
  assert.deepEqual(trade.data, { tradeId: 1, status: "OPEN" }); // bob's event never came first

  t.deps.events.broadcast({ type: "price", data: { symbol: "BTCUSDT", price: "43000.5" } });
  const price = await sse.until((b) => b.event === "price");
  assert.deepEqual(price.data, { symbol: "BTCUSDT", price: "43000.5" });

  for (const type of ["strategy", "backtest_progress", "backtest_done", "notification"] as const) {
    t.deps.events.publish(ann.userId, { type, data: { n: type } });
    const got = await sse.until((b) => b.event === type);
    assert.deepEqual(got.data, { n: type });
  }
  assert.ok(Number(price.id) > Number(hello.id));

  await sse.cancel();
  await eventually(() => t.deps.events.size === before);
});

apiTest("[api] GET /events sends heartbeat comments", async (t) => {
  const ann = await registerUser(t.app);
  // A 20 ms heartbeat, mounted behind a stand-in for requireAuth that sets the caller.
  const wrapped = new Hono();
  wrapped.use("*", async (c, next) => {
    c.set("auth" as never, { userId: ann.userId, username: ann.username, via: "bearer" } as never);
    await next();
  });
  wrapped.route("/", eventsRoutes(t.deps, { heartbeatMs: 20 }));
  const stream = await wrapped.request("/");
  const sse = new SseReader(stream.body!);
  await sse.until((b) => b.event === "hello");
  const beat = await sse.until((b) => b.comment === "heartbeat");
  assert.equal(beat.comment, "heartbeat");
  await sse.cancel();
});

apiTest("[api] GET /events needs a session", async (t) => {
  const res = await t.app.request("/api/v1/events");
  assert.equal(res.status, 401);
  assert.match((await res.json()).error.code, /^AUTH_00[12]$/);
});

Deno.test({
  name: "[api] close the events test app",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    if (shared) await (await shared).close();
  },
});
