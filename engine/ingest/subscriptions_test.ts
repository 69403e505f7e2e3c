import assert from "node:assert/strict";
import { klineStreamName, SubscriptionCounts } from "./subscriptions.ts";

Deno.test("klineStreamName follows Binance's lower-case stream names", () => {
  assert.equal(klineStreamName("BTCUSDT", "1m"), "btcusdt@kline_1m");
  assert.equal(klineStreamName("ETHUSDT", "1M"), "ethusdt@kline_1M");
});

Deno.test("a stream is subscribed by its first holder and released by its last", () => {
  const counts = new SubscriptionCounts();
  assert.equal(counts.add("BTCUSDT", "1m"), true);
  assert.equal(counts.add("BTCUSDT", "1m"), false);
  assert.equal(counts.add("ETHUSDT", "1h"), true);
  assert.equal(counts.holders("BTCUSDT", "1m"), 2);
  assert.equal(counts.remove("BTCUSDT", "1m"), false);
  assert.equal(counts.remove("BTCUSDT", "1m"), true);
  assert.equal(counts.remove("BTCUSDT", "1m"), false, "unknown streams release nothing");
  assert.deepEqual(counts.streams(), [{ symbol: "ETHUSDT", interval: "1h" }]);
  assert.deepEqual(counts.names(), ["ethusdt@kline_1h"]);
});
