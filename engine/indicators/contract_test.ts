// One contract, run over every indicator class and a spread of parameters
// (including the edge periods TA-Lib accepts: SMA/EMA 1, RSI 2, MACD signal 1,
// fast == slow, and fast > slow which TA-Lib swaps).

import assert from "node:assert/strict";
import { isAuraError } from "../errors.ts";
import {
  createIndicator,
  ema,
  type IndicatorSpec,
  macd,
  rsi,
  sma,
  type StreamingIndicator,
} from "./mod.ts";

const SPECS: IndicatorSpec[] = [
  { indicator: "SMA", period: 1 },
  { indicator: "SMA", period: 5 },
  { indicator: "SMA", period: 50 },
  { indicator: "EMA", period: 1 },
  { indicator: "EMA", period: 10 },
  { indicator: "RSI", period: 2 },
  { indicator: "RSI", period: 14 },
  { indicator: "MACD", fast: 12, slow: 26, signal: 9 },
  { indicator: "MACD", fast: 26, slow: 12, signal: 9 },
  { indicator: "MACD", fast: 3, slow: 5, signal: 1 },
  { indicator: "MACD", fast: 4, slow: 4, signal: 2 },
];

const EXPECTED_LOOKBACK = [0, 4, 49, 0, 9, 2, 14, 33, 33, 4, 4];

function label(spec: IndicatorSpec): string {
  return spec.indicator === "MACD"
    ? `MACD(${spec.fast},${spec.slow},${spec.signal})`
    : `${spec.indicator}(${spec.period})`;
}

/** Deterministic price walk with flat runs (zero changes) and sharp moves. */
function series(length: number, seed = 7): number[] {
  const out: number[] = [];
  let price = 100;
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 48_271) % 2_147_483_647;
    const r = state / 2_147_483_647;
    if (r > 0.15) price *= 1 + (r - 0.575) * 0.04; // else: unchanged close
    out.push(Math.round(price * 100) / 100);
  }
  return out;
}

/** The matching batch helper's main series, for streaming == batch. */
function batchOf(spec: IndicatorSpec, values: number[]): Float64Array {
  switch (spec.indicator) {
    case "SMA":
      return sma(values, spec.period);
    case "EMA":
      return ema(values, spec.period);
    case "RSI":
      return rsi(values, spec.period);
    case "MACD":
      return macd(values, spec.fast, spec.slow, spec.signal).macd;
  }
}

function feed(indicator: StreamingIndicator, values: number[]): number[] {
  return values.map((value) => indicator.update(value));
}

const VALUES = series(400);

for (const [index, spec] of SPECS.entries()) {
  const name = label(spec);

  Deno.test(`[${name}] warms up for exactly lookback values`, () => {
    const indicator = createIndicator(spec);
    assert.equal(indicator.lookback, EXPECTED_LOOKBACK[index]);
    assert.equal(indicator.count, 0);
    assert.ok(Number.isNaN(indicator.value));
    VALUES.forEach((value, i) => {
      const result = indicator.update(value);
      assert.equal(indicator.count, i + 1);
      assert.equal(indicator.isStable, i >= indicator.lookback, `isStable at ${i}`);
      assert.equal(Number.isNaN(result), i < indicator.lookback, `NaN-ness at ${i}`);
      assert.ok(Object.is(result, indicator.value), `value getter at ${i}`);
    });
  });

  Deno.test(`[${name}] streaming equals the batch helper value for value`, () => {
    const streamed = feed(createIndicator(spec), VALUES);
    const batch = batchOf(spec, VALUES);
    assert.equal(batch.length, VALUES.length);
    streamed.forEach((value, i) => assert.ok(Object.is(value, batch[i]), `index ${i}`));
  });

  Deno.test(`[${name}] replace with the same value changes nothing`, () => {
    const indicator = createIndicator(spec);
    for (const value of VALUES.slice(0, 120)) {
      const result = indicator.update(value);
      const before = JSON.stringify(indicator.snapshot());
      assert.ok(Object.is(indicator.replace(value), result));
      assert.equal(JSON.stringify(indicator.snapshot()), before);
    }
  });

  Deno.test(`[${name}] ticks replaced before each close equal feeding the closes`, () => {
    const reference = feed(createIndicator(spec), VALUES);
    const ticked = createIndicator(spec);
    VALUES.forEach((close, i) => {
      // The open candle: a first tick, then a few moves, then its close.
      ticked.update(close * 1.01);
      ticked.replace(close * 0.97);
      ticked.replace(close + 0.5);
      const result = ticked.replace(close);
      assert.ok(Object.is(result, reference[i]), `index ${i}`);
      assert.equal(ticked.count, i + 1);
    });
  });

  Deno.test(`[${name}] replace on a fresh indicator acts as update`, () => {
    const a = createIndicator(spec);
    const b = createIndicator(spec);
    assert.ok(Object.is(a.replace(VALUES[0]!), b.update(VALUES[0]!)));
    assert.equal(a.count, 1);
    assert.deepEqual(a.snapshot(), b.snapshot());
  });

  Deno.test(`[${name}] reset returns to the freshly-constructed state`, () => {
    const fresh = createIndicator(spec);
    const used = createIndicator(spec);
    const first = feed(used, VALUES);
    used.reset();
    assert.deepEqual(used.snapshot(), fresh.snapshot());
    assert.equal(used.count, 0);
    assert.equal(used.isStable, false);
    assert.ok(Number.isNaN(used.value));
    const second = feed(used, VALUES);
    second.forEach((value, i) => assert.ok(Object.is(value, first[i]), `index ${i}`));
  });

  Deno.test(`[${name}] a JSON snapshot restored elsewhere continues identically`, () => {
    const reference = feed(createIndicator(spec), VALUES);
    for (const cut of [0, 1, 2, 3, 4, 5, 13, 14, 15, 25, 26, 33, 34, 49, 50, 200]) {
      const original = createIndicator(spec);
      feed(original, VALUES.slice(0, cut));
      const copy = createIndicator(spec);
      copy.restore(JSON.parse(JSON.stringify(original.snapshot())));
      assert.equal(copy.count, cut);
      assert.ok(Object.is(copy.value, original.value), `value after restore at ${cut}`);
      // Also the open-candle state survives: replace works right after a restore.
      if (cut > 0) {
        assert.ok(Object.is(copy.replace(VALUES[cut - 1]!), reference[cut - 1]), `replace ${cut}`);
      }
      VALUES.slice(cut).forEach((value, i) => {
        assert.ok(Object.is(copy.update(value), reference[cut + i]), `cut ${cut} index ${i}`);
      });
    }
  });

  Deno.test(`[${name}] refuses non-finite input and keeps its state`, () => {
    const indicator = createIndicator(spec);
    feed(indicator, VALUES.slice(0, 60));
    const before = JSON.stringify(indicator.snapshot());
    for (const bad of [NaN, Infinity, -Infinity]) {
      assert.throws(() => indicator.update(bad), (e) => isAuraError(e, "STRATEGY_002"));
      assert.throws(() => indicator.replace(bad), (e) => isAuraError(e, "STRATEGY_002"));
    }
    assert.equal(JSON.stringify(indicator.snapshot()), before);
  });
}

Deno.test("restore refuses a snapshot of another indicator or other parameters", () => {
  const rsi14 = createIndicator({ indicator: "RSI", period: 14 });
  feed(rsi14, VALUES.slice(0, 30));
  const snapshot = rsi14.snapshot();
  const others: IndicatorSpec[] = [
    { indicator: "RSI", period: 13 },
    { indicator: "EMA", period: 14 },
    { indicator: "SMA", period: 14 },
    { indicator: "MACD", fast: 12, slow: 26, signal: 9 },
  ];
  for (const spec of others) {
    const other = createIndicator(spec);
    const before = JSON.stringify(other.snapshot());
    assert.throws(() => other.restore(snapshot), (e) => isAuraError(e, "SYS_002"), label(spec));
    assert.equal(JSON.stringify(other.snapshot()), before);
  }
});

Deno.test("restore refuses a damaged snapshot and keeps the state", () => {
  const specs: IndicatorSpec[] = [
    { indicator: "SMA", period: 5 },
    { indicator: "EMA", period: 5 },
    { indicator: "RSI", period: 5 },
    { indicator: "MACD", fast: 3, slow: 6, signal: 2 },
  ];
  for (const spec of specs) {
    const source = createIndicator(spec);
    feed(source, VALUES.slice(0, 20));
    const good = JSON.parse(JSON.stringify(source.snapshot()));
    const damaged = [
      { ...good, count: -1 },
      { ...good, state: {} },
      { ...good, state: Object.fromEntries(Object.keys(good.state).map((k) => [k, null])) },
    ];
    for (const bad of damaged) {
      const target = createIndicator(spec);
      feed(target, VALUES.slice(0, 7));
      const before = JSON.stringify(target.snapshot());
      assert.throws(() => target.restore(bad), (e) => isAuraError(e, "SYS_002"), label(spec));
      assert.equal(JSON.stringify(target.snapshot()), before, label(spec));
    }
  }
});

Deno.test("createIndicator rejects unknown indicators and out-of-range periods", () => {
  const bad = [
    { indicator: "WMA", period: 3 },
    { indicator: "SMA", period: 0 },
    { indicator: "EMA", period: 2.5 },
    { indicator: "EMA", period: 100_001 },
    { indicator: "RSI", period: 1 },
    { indicator: "MACD", fast: 1, slow: 26, signal: 9 },
    { indicator: "MACD", fast: 12, slow: 26, signal: 0 },
  ] as unknown as IndicatorSpec[];
  for (const spec of bad) {
    assert.throws(
      () => createIndicator(spec),
      (e) => isAuraError(e, "STRATEGY_001"),
      JSON.stringify(spec),
    );
  }
});
