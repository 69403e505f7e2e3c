import assert from "node:assert/strict";
import { CompiledRules, indicatorKey } from "./evaluate.ts";
import { parseStrategy } from "./rules.ts";

const all = parseStrategy({
  name: "'); globalThis.pwned = true; ('",
  symbol: "BTCUSDT",
  interval: "1m",
  entryConditions: [
    {
      left: { indicator: "EMA", period: 12 },
      op: "crosses_above",
      right: { indicator: "SMA", period: 26 },
    },
    { left: { indicator: "RSI" }, op: "<=", right: { value: -1e-7 } },
    {
      any: [
        { left: { indicator: "MACD", output: "signal" }, op: ">=", right: { value: 1e21 } },
        { left: { indicator: "PRICE" }, op: "crosses_below", right: { indicator: "MACD" } },
      ],
    },
  ],
  exitConditions: [{
    left: { indicator: "MACD", output: "histogram" },
    op: "<",
    right: { value: 0.5 },
  }],
  riskParams: {
    positionSizeUsd: 1,
    takeProfitPercent: 1,
    stopLossPercent: 1,
    maxDrawdownPercent: 1,
  },
});

Deno.test("the generated evaluator holds only slots, indicator calls, operators and number literals", () => {
  const rules = new CompiledRules(all.entryConditions, all.exitConditions);
  const tokens = rules.source.replace(
    /\b(cur|prev|ind|i\d+|x|const|return|advance|refresh|clearPrevious|entry|exit|update|value|signal|histogram|NaN|false)\b/g,
    "",
  );
  assert.match(tokens, /^[\s\d.e+\-()[\]{}<>=&|;,:!]*$/, rules.source);
  assert.equal((globalThis as { pwned?: boolean }).pwned, undefined);
});

Deno.test("indicatorKey is canonical: defaults applied, output ignored", () => {
  const macd = parseStrategy({
    ...all,
    entryConditions: [{
      left: { indicator: "MACD", output: "signal" },
      op: ">",
      right: { value: 0 },
    }],
  });
  const left = (macd.entryConditions[0] as { left: Parameters<typeof indicatorKey>[0] }).left;
  assert.equal(indicatorKey(left), "MACD:12:26:9");
  assert.equal(indicatorKey({ indicator: "EMA", period: 12 }), "EMA:12");
  assert.equal(indicatorKey({ indicator: "PRICE" }), "PRICE");
});

Deno.test("rules with the same structure share one generated factory but keep separate state", () => {
  const a = new CompiledRules(all.entryConditions, all.exitConditions);
  const b = new CompiledRules(all.entryConditions, all.exitConditions);
  assert.equal(a.source, b.source);
  for (let i = 0; i < 40; i++) a.advance(100 + i);
  assert.equal(a.indicators[0]!.count, 40);
  assert.equal(b.indicators[0]!.count, 0);
});
