import assert from "node:assert/strict";
import { publicGet, waitFor, withSim } from "./_test_support.ts";
import { randomWalk } from "./random_walk.ts";
import { parseKlineCsv, startReplay } from "./replay.ts";
import { marketSpecs, parseAccount } from "./main.ts";

const DATA = new URL("../../shared/data/klines/BTCUSDT-1h-2022-01.csv", import.meta.url);
const hasData = await Deno.stat(DATA).then(() => true, () => false);

Deno.test("[sim] startReplay pushes every candle of a real CSV into klines", {
  ignore: !hasData,
}, async () => {
  const candles = parseKlineCsv(await Deno.readTextFile(DATA)).slice(0, 300);
  assert.equal(candles[0]!.open, "46216.93000000");
  await withSim(async (sim) => {
    const replay = await startReplay(sim, {
      candles,
      symbol: "BTCUSDT",
      interval: "1h",
      speed: 10_000,
    });
    await replay.done;
    assert.equal(replay.pushed, 300);
    const rows = await publicGet(sim, "/api/v3/klines", {
      symbol: "BTCUSDT",
      interval: "1h",
      limit: "1000",
    });
    assert.equal(rows.body.length, 300);
    assert.equal(rows.body[299][4], candles[299]!.close);
    const price = await publicGet(sim, "/api/v3/ticker/price", { symbol: "BTCUSDT" });
    assert.equal(price.body.price, candles[299]!.close);
  });
});

Deno.test("[sim] a replay can be stopped before its end", async () => {
  const candles = [
    ...take(
      randomWalk({ symbol: "BTCUSDT", interval: "1m", startPrice: 60_000, startTime: 0, seed: 1 }),
      10_000,
    ),
  ];
  await withSim(async (sim) => {
    const replay = await startReplay(sim, {
      candles,
      symbol: "BTCUSDT",
      interval: "1m",
      speed: 200,
    });
    await waitFor(() => replay.pushed >= 2, "two candles");
    replay.stop();
    await replay.done;
    const stoppedAt = replay.pushed;
    assert.ok(stoppedAt < 10_000);
    assert.equal(replay.total, 10_000);
  });
});

Deno.test("[sim] startReplay warms up at once and can rebase candle times to now", async () => {
  const candles = [
    ...take(
      randomWalk({ symbol: "BTCUSDT", interval: "1m", startPrice: 60_000, startTime: 0, seed: 3 }),
      50,
    ),
  ];
  await withSim(async (sim) => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0) - 1;
    const replay = await startReplay(sim, {
      candles,
      symbol: "BTCUSDT",
      interval: "1m",
      speed: 0.001,
      warmup: 10,
      rebaseTo: now,
    });
    const rows = await publicGet(sim, "/api/v3/klines", { symbol: "BTCUSDT", interval: "1m" });
    replay.stop();
    await replay.done;
    // Ten warm-up candles plus the first timed one (pushed on start), ending at `now`.
    assert.equal(rows.body.length, 11);
    assert.equal(rows.body[10][6], now);
    assert.equal(Number(rows.body[10][4]), Number(candles[10]!.close));
    assert.equal(replay.total, 40);
  });
});

Deno.test("randomWalk() is reproducible per seed and keeps candles consistent", () => {
  const opts = {
    symbol: "BTCUSDT",
    interval: "1m",
    startPrice: 60_000,
    startTime: 90_000,
    seed: 7,
  };
  const a = [...take(randomWalk(opts), 500)];
  const b = [...take(randomWalk(opts), 500)];
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, [...take(randomWalk({ ...opts, seed: 8 }), 500)]);
  assert.equal(a[0]!.openTime, 60_000);
  for (const [i, c] of a.entries()) {
    assert.ok(Number(c.high) >= Math.max(Number(c.open), Number(c.close)), `high of candle ${i}`);
    assert.ok(Number(c.low) <= Math.min(Number(c.open), Number(c.close)), `low of candle ${i}`);
    assert.match(c.close, /^\d+\.\d{2}$/);
    if (i > 0) assert.equal(c.open, a[i - 1]!.close);
  }
});

Deno.test("parseAccount() reads KEY:SECRET:ASSET=AMOUNT lists and rejects bad ones", () => {
  assert.deepEqual(parseAccount("k:s:USDT=10000,btc=0.5"), {
    apiKey: "k",
    secret: "s",
    balances: { USDT: "10000", BTC: "0.5" },
  });
  assert.throws(() => parseAccount("k"), /Cannot read --account "k"/);
  assert.throws(() => parseAccount("k:s:USDT=lots"), /Cannot read balance "USDT=lots"/);
});

function* take<T>(source: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  for (const item of source) {
    yield item;
    if (--n <= 0) return;
  }
}

Deno.test("marketSpecs() pairs repeated flags by position and broadcasts single ones", () => {
  assert.deepEqual(marketSpecs(["btcusdt", "ETHUSDT"], ["1m"], ["a.csv", "b.csv"]), [
    { symbol: "BTCUSDT", interval: "1m", data: "a.csv" },
    { symbol: "ETHUSDT", interval: "1m", data: "b.csv" },
  ]);
  assert.deepEqual(marketSpecs([], [], []), [{
    symbol: "BTCUSDT",
    interval: "1m",
    data: undefined,
  }]);
  assert.throws(() => marketSpecs(["A", "B", "C"], ["1m", "5m"], []), /Cannot pair --interval/);
});

Deno.test(
  "[sim] on real BTC candles an OCO closes on the candle and at the price the fill model names",
  {
    ignore: !hasData,
  },
  async () => {
    const { checkProtectiveExit } = await import("../engine/fills.ts");
    const { API_KEY, signed } = await import("./_test_support.ts");
    const candles = parseKlineCsv(await Deno.readTextFile(DATA));
    await withSim(async (sim) => {
      sim.pushCandle("BTCUSDT", candles[0]!, "1h");
      const entry = await signed(sim, "POST", "/api/v3/order", {
        symbol: "BTCUSDT",
        side: "BUY",
        type: "MARKET",
        quoteOrderQty: "1000",
      });
      const qty = entry.body.executedQty;
      const entryPrice = Number(candles[0]!.close);
      const takeProfit = (entryPrice * 1.03).toFixed(2);
      const stopLoss = (entryPrice * 0.97).toFixed(2);
      await signed(sim, "POST", "/api/v3/orderList/oco", {
        symbol: "BTCUSDT",
        side: "SELL",
        quantity: qty,
        aboveType: "LIMIT_MAKER",
        abovePrice: takeProfit,
        belowType: "STOP_LOSS_LIMIT",
        belowStopPrice: stopLoss,
        belowPrice: (entryPrice * 0.96).toFixed(2),
        belowTimeInForce: "GTC",
      });
      // The reference: walk the candles with the fill model itself.
      let expected: { index: number; price: number; status: string } | undefined;
      for (let i = 1; i < candles.length && !expected; i++) {
        const c = candles[i]!;
        const exit = checkProtectiveExit(
          { open: Number(c.open), high: Number(c.high), low: Number(c.low) },
          Number(takeProfit),
          Number(stopLoss),
        );
        if (exit) expected = { index: i, price: exit.price, status: exit.status };
      }
      assert.ok(expected, "the month's moves close the position");
      // Everything before the expected candle leaves the list open; that candle closes it.
      const replay = await startReplay(sim, {
        candles: candles.slice(1, expected.index),
        symbol: "BTCUSDT",
        interval: "1h",
        speed: 1e6,
      });
      await replay.done;
      const open = await signed(sim, "GET", "/api/v3/openOrderList");
      assert.equal(open.body.length, 1, `still open after candle ${expected.index - 1}`);
      sim.pushCandle("BTCUSDT", candles[expected.index]!, "1h");
      assert.deepEqual((await signed(sim, "GET", "/api/v3/openOrderList")).body, []);
      const orders = sim.orders(API_KEY) as {
        type: string;
        status: string;
        cummulativeQuoteQty: string;
      }[];
      const filled = orders.find((o) => o.type !== "MARKET" && o.status === "FILLED")!;
      assert.equal(
        filled.type,
        expected.status === "CLOSED_SL" ? "STOP_LOSS_LIMIT" : "LIMIT_MAKER",
      );
      assert.equal(
        Number(filled.cummulativeQuoteQty),
        Number((Number(qty) * expected.price).toFixed(8)),
      );
      const trades = await signed(sim, "GET", "/api/v3/myTrades", { symbol: "BTCUSDT" });
      assert.equal(Number(trades.body[1].price), expected.price);
    }, { startPrices: { BTCUSDT: candles[0]!.close } });
  },
);
