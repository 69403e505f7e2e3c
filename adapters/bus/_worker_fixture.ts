/**
 * A tiny worker for tests/bus_worker_test.ts: consumes `klines` as group
 * `"worker"` through the bridge and republishes each event on `orders`.
 * Events of symbol `HANGUSDT` are never acknowledged (a stuck worker).
 *
 * @module
 */

import { type MessagePortLike, PortBus } from "./worker_bridge.ts";

const bus = new PortBus(self as unknown as MessagePortLike);
await bus.subscribe("klines", "worker", async (event) => {
  if (event.type === "kline_closed" && event.symbol === "HANGUSDT") {
    self.postMessage({ kind: "fixture:stuck", id: event.id });
    return await new Promise<void>(() => {});
  }
  await bus.publish("orders", event);
});
self.postMessage({ kind: "fixture:ready" });
