import assert from "node:assert/strict";
import { type StreamStatus, subscribeEvents } from "./events.ts";

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test({
  name:
    "subscribeEvents() reopens a stream the server refused (expired session) and delivers events",
  async fn() {
    let requests = 0;
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
      requests++;
      if (requests === 1) return new Response("expired", { status: 401 });
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          const line = 'event: price\ndata: {"symbol":"BTCUSDT","price":"39000"}\n\n';
          controller.enqueue(new TextEncoder().encode(line));
        },
      });
      return new Response(body, { headers: { "Content-Type": "text/event-stream" } });
    });
    const statuses: StreamStatus[] = [];
    const prices: unknown[] = [];
    const stop = subscribeEvents(
      { price: (d) => prices.push(d), broken: () => assert.fail("never sent") },
      (s) => statuses.push(s),
      `http://127.0.0.1:${server.addr.port}/events`,
    );
    try {
      await until(() => prices.length === 1, "the price event");
      assert.deepEqual(prices[0], { symbol: "BTCUSDT", price: "39000" });
      assert.equal(requests, 2);
      assert.deepEqual(statuses.slice(0, 4), ["connecting", "lost", "connecting", "live"]);
    } finally {
      stop();
      await server.shutdown();
    }
  },
});
