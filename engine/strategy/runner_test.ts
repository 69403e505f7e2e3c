import assert from "node:assert/strict";
import type { Candle } from "../candle.ts";
import { closes, closeTimeOf } from "../backtest/_table.ts";
import { type Condition, parseStrategy, type StrategyDefinition } from "./rules.ts";
import { ENTRY, EXIT, StrategyRunner } from "./runner.ts";

function strategy(entry: unknown[], exit: unknown[] = []): StrategyDefinition {
  return parseStrategy({
    name: "test",
    symbol: "BTCUSDT",
    interval: "1m",
    entryConditions: entry,
    exitConditions: exit,
    riskParams: {
      positionSizeUsd: 1000,
      takeProfitPercent: 10,
      stopLossPercent: 5,
      maxDrawdownPercent: 50,
    },
  });
}

const price = { indicator: "PRICE" };
const PRICE_CROSSES_ABOVE_100 = { left: price, op: "crosses_above", right: { value: 100 } };
const PRICE_CROSSES_BELOW_100 = { left: price, op: "crosses_below", right: { value: 100 } };

/** Indices of the candles on which the runner (kept flat) signals ENTRY. */
function entries(def: StrategyDefinition, candles: Candle[]): number[] {
  const runner = new StrategyRunner(def, { strategyId: "s" });
  const out: number[] = [];
  candles.forEach((c, i) => {
    if (runner.evaluate(c) & ENTRY) out.push(i);
  });
  return out;
}

Deno.test("crosses_above fires when previous left <= previous right and now left > right", () => {
  const def = strategy([PRICE_CROSSES_ABOVE_100]);
  // 100 → 101 counts (previous equal); staying above does not; 99 → 101 fires again.
  assert.deepEqual(entries(def, closes([99, 100, 101, 102, 99, 101])), [2, 5]);
});

Deno.test("crosses_below mirrors crosses_above", () => {
  const def = strategy([PRICE_CROSSES_BELOW_100]);
  assert.deepEqual(entries(def, closes([101, 100, 99, 98, 101, 99])), [2, 5]);
});

Deno.test("a cross is false on the first candle, which has no previous value", () => {
  assert.deepEqual(entries(strategy([PRICE_CROSSES_ABOVE_100]), closes([150, 150])), []);
});

Deno.test("comparison operators >, >=, <, <= against constants", () => {
  const values = [99, 100, 101];
  const run = (op: string) =>
    entries(strategy([{ left: price, op, right: { value: 100 } }]), closes(values));
  assert.deepEqual(run(">"), [2]);
  assert.deepEqual(run(">="), [1, 2]);
  assert.deepEqual(run("<"), [0]);
  assert.deepEqual(run("<="), [0, 1]);
});

Deno.test("negative, fractional and exponent constants compare as numbers", () => {
  const run = (value: number, op = ">") =>
    entries(strategy([{ left: price, op, right: { value } }]), closes([-6, -4, 1e-8, 2e-7, 1e21]));
  assert.deepEqual(run(-5), [1, 2, 3, 4]);
  assert.deepEqual(run(1e-7), [3, 4]);
  assert.deepEqual(run(1e20), [4]);
  assert.deepEqual(
    entries(
      strategy([{ left: { value: -5 }, op: "crosses_above", right: price }]),
      closes([-4, -6, -7, -4]),
    ),
    [1],
  );
});

Deno.test("a condition on a warming-up indicator is false", () => {
  // SMA(3) > 0 is true for any positive close, but only from the third candle.
  const def = strategy([{ left: { indicator: "SMA", period: 3 }, op: ">", right: { value: 0 } }]);
  assert.deepEqual(entries(def, closes([1, 2, 3, 4])), [2, 3]);
  // RSI(2) needs 3 closes; "RSI < 101" is otherwise always true.
  const rsi = strategy([{ left: { indicator: "RSI", period: 2 }, op: "<", right: { value: 101 } }]);
  assert.deepEqual(entries(rsi, closes([1, 2, 3, 4])), [2, 3]);
});

Deno.test("an indicator cross waits until both indicators and the previous values are defined", () => {
  // EMA(2) vs SMA(3): the SMA is defined from index 2, so the first possible cross is index 3.
  const def = strategy([{
    left: { indicator: "EMA", period: 2 },
    op: "crosses_above",
    right: { indicator: "SMA", period: 3 },
  }]);
  assert.deepEqual(entries(def, closes([10, 9, 8, 12, 13, 9, 8, 20])), [3, 7]);
});

Deno.test("all conditions of the list must hold; any-groups need one (nesting allowed)", () => {
  const above = (v: number) => ({ left: price, op: ">", right: { value: v } });
  const below = (v: number) => ({ left: price, op: "<", right: { value: v } });
  const values = [5, 15, 25, 35];
  assert.deepEqual(entries(strategy([above(10), below(30)]), closes(values)), [1, 2]);
  assert.deepEqual(entries(strategy([{ any: [below(10), above(30)] }]), closes(values)), [0, 3]);
  const nested: Condition[] = [{
    any: [below(10), { any: [above(30), above(20)] }],
  }] as Condition[];
  assert.deepEqual(entries(strategy(nested), closes(values)), [0, 2, 3]);
  assert.deepEqual(
    entries(strategy([above(1), above(2), { any: [below(10), above(30)] }]), closes(values)),
    [0, 3],
  );
});

Deno.test("operands with the same indicator spec share one instance", () => {
  const ema12 = { indicator: "EMA", period: 12 };
  const def = strategy(
    [
      { left: ema12, op: "crosses_above", right: { indicator: "EMA", period: 26 } },
      { left: ema12, op: ">", right: { value: 0 } },
      { left: { indicator: "MACD", output: "histogram" }, op: ">", right: { value: 0 } },
    ],
    [{ left: { indicator: "MACD", fast: 12, slow: 26, signal: 9 }, op: "<", right: { value: 0 } }],
  );
  const runner = new StrategyRunner(def, { strategyId: "s" });
  assert.deepEqual(Object.keys(runner.snapshot().indicators).sort(), [
    "EMA:12",
    "EMA:26",
    "MACD:12:26:9",
  ]);
});

Deno.test("exit conditions are evaluated only in a position; EXIT then ENTRY may share a candle", () => {
  const def = strategy([{ left: price, op: ">", right: { value: 0 } }], [{
    left: price,
    op: ">",
    right: { value: 0 },
  }]);
  const runner = new StrategyRunner(def, { strategyId: "s" });
  const [c0, c1] = closes([5, 6]);
  assert.equal(runner.evaluate(c0!), ENTRY);
  runner.onEntryFilled();
  assert.equal(runner.evaluate(c1!), EXIT | ENTRY);
  assert.deepEqual(runner.step({ ...c1!, closeTime: c1!.closeTime + 1 }).map((s) => s.action), [
    "EXIT",
    "ENTRY",
  ]);
});

Deno.test("signals carry the deterministic id strategyId:closeTime:action", () => {
  const runner = new StrategyRunner(strategy([PRICE_CROSSES_ABOVE_100]), { strategyId: "42" });
  const [c0, c1] = closes([99, 101]);
  assert.deepEqual(runner.step(c0!), []);
  assert.deepEqual(runner.step(c1!), [{
    id: `42:${closeTimeOf(1)}:ENTRY`,
    strategyId: "42",
    symbol: "BTCUSDT",
    action: "ENTRY",
    candleCloseTime: closeTimeOf(1),
    price: "101",
  }]);
});

Deno.test("a candle at or before the last processed one is refused and changes nothing", () => {
  const runner = new StrategyRunner(strategy([PRICE_CROSSES_ABOVE_100]), { strategyId: "s" });
  const [c0, c1, c2] = closes([99, 101, 102]);
  runner.step(c0!);
  assert.equal(runner.step(c1!).length, 1);
  assert.deepEqual(runner.step(c1!), []); // redelivered
  assert.deepEqual(runner.step(c0!), []); // older
  const before = JSON.stringify(runner.snapshot());
  runner.evaluate(c1!);
  assert.equal(JSON.stringify(runner.snapshot()), before);
  assert.deepEqual(runner.step(c2!), []); // 101 → 102 is no cross: the refused repeat left no trace
});

Deno.test("warmUp feeds history without signals and leaves the same state as stepping", () => {
  const def = strategy([PRICE_CROSSES_ABOVE_100, {
    left: { indicator: "RSI", period: 3 },
    op: ">",
    right: { value: 0 },
  }]);
  const history = closes([90, 95, 99, 101, 97, 99, 100]);
  const warmed = new StrategyRunner(def, { strategyId: "s" });
  warmed.warmUp(history);
  const stepped = new StrategyRunner(def, { strategyId: "s" });
  for (const c of history) stepped.step(c);
  assert.deepEqual(warmed.snapshot(), stepped.snapshot());
  assert.equal(warmed.lastCloseTime, closeTimeOf(6));
  const next = closes([90, 95, 99, 101, 97, 99, 100, 103])[7]!;
  assert.deepEqual(warmed.step(next), stepped.step(next));
  assert.equal(warmed.step({ ...next, closeTime: next.closeTime + 60_000 }).length, 0);
});

Deno.test("snapshot/restore through JSON resumes with identical signals, crosses included", () => {
  const def = strategy(
    [{
      left: { indicator: "EMA", period: 3 },
      op: "crosses_above",
      right: { indicator: "SMA", period: 5 },
    }],
    [{
      left: { indicator: "MACD", fast: 2, slow: 4, signal: 2 },
      op: "crosses_below",
      right: { value: 0 },
    }],
  );
  const values = Array.from({ length: 200 }, (_, i) => 100 + 10 * Math.sin(i / 3) + (i % 7));
  const candles = closes(values);
  const reference = new StrategyRunner(def, { strategyId: "s" });
  const first = new StrategyRunner(def, { strategyId: "s" });
  const log = (r: StrategyRunner, c: Candle, out: string[]) => {
    for (const s of r.step(c)) {
      out.push(s.id);
      if (s.action === "ENTRY") r.onEntryFilled();
      else r.onExitFilled();
    }
  };
  const expected: string[] = [];
  const got: string[] = [];
  for (const c of candles) log(reference, c, expected);
  for (const c of candles.slice(0, 100)) log(first, c, got);
  const resumed = new StrategyRunner(def, { strategyId: "s" });
  resumed.restore(JSON.parse(JSON.stringify(first.snapshot())));
  resumed.setInPosition(first.inPosition);
  for (const c of candles.slice(100)) log(resumed, c, got);
  assert.ok(expected.length > 6, `expected several signals, got ${expected.length}`);
  assert.deepEqual(got, expected);
  assert.deepEqual(resumed.step(candles[150]!), []); // still idempotent after restore
});

Deno.test("restore refuses a snapshot without this strategy's indicators", () => {
  const runner = new StrategyRunner(
    strategy([{ left: { indicator: "EMA", period: 3 }, op: ">", right: { value: 0 } }]),
    { strategyId: "s" },
  );
  assert.throws(
    () => runner.restore({ version: 1, lastCloseTime: 1, lastClose: 1, indicators: {} }),
    (e: unknown) => (e as { code?: string }).code === "STRATEGY_002",
  );
});

Deno.test("a halted runner emits no ENTRY but still emits EXIT", () => {
  const def = strategy([{ left: price, op: ">", right: { value: 0 } }], [{
    left: price,
    op: "<",
    right: { value: 50 },
  }]);
  const runner = new StrategyRunner(def, { strategyId: "s" });
  const [c0, c1, c2] = closes([60, 40, 60]);
  runner.halted = true;
  assert.equal(runner.evaluate(c0!), 0);
  runner.setInPosition(true);
  assert.equal(runner.evaluate(c1!), EXIT);
  runner.onExitFilled();
  assert.equal(runner.evaluate(c2!), 0);
});
