import assert from "node:assert/strict";
import { AuraError } from "../errors.ts";
import { parseStrategy, StrategySchema } from "./rules.ts";

const valid = {
  name: "EMA cross + RSI",
  symbol: "BTCUSDT",
  interval: "1h",
  entryConditions: [
    {
      left: { indicator: "EMA", period: 12 },
      op: "crosses_above",
      right: { indicator: "EMA", period: 26 },
    },
    { left: { indicator: "RSI", period: 14 }, op: "<", right: { value: 30 } },
    {
      left: { indicator: "MACD", fast: 12, slow: 26, signal: 9, output: "histogram" },
      op: ">",
      right: { value: 0 },
    },
    { left: { indicator: "PRICE" }, op: ">", right: { indicator: "SMA", period: 200 } },
    {
      any: [
        { left: { indicator: "RSI" }, op: "<", right: { value: 40 } },
        { any: [{ left: { indicator: "PRICE" }, op: ">=", right: { value: 1 } }] },
      ],
    },
  ],
  exitConditions: [{ left: { indicator: "RSI" }, op: "crosses_below", right: { value: 70 } }],
  riskParams: {
    positionSizeUsd: 100,
    takeProfitPercent: 3,
    stopLossPercent: 1.5,
    maxDrawdownPercent: 20,
  },
};

/** `valid` with one JSON path replaced (or removed when `value` is undefined). */
function withChange(path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(valid) as Record<string | number, unknown>;
  let target = copy;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === undefined) delete target[last];
  else target[last] = value;
  return copy;
}

function issuesOf(input: unknown): { path: string; message: string }[] {
  try {
    parseStrategy(input);
  } catch (e) {
    assert.ok(e instanceof AuraError);
    assert.equal(e.code, "STRATEGY_001");
    const issues = (e.details as { issues: { path: string; message: string }[] }).issues;
    for (const issue of issues) assert.ok(e.message.includes(issue.path), e.message);
    return issues;
  }
  assert.fail("expected STRATEGY_001");
}

Deno.test("parseStrategy accepts every documented condition form", () => {
  const parsed = parseStrategy(valid);
  assert.equal(parsed.entryConditions.length, 5);
  assert.deepEqual(parsed.riskParams, valid.riskParams);
});

Deno.test("parseStrategy applies the RSI and MACD defaults", () => {
  const parsed = parseStrategy({
    ...valid,
    entryConditions: [
      { left: { indicator: "RSI" }, op: "<", right: { value: 30 } },
      { left: { indicator: "MACD" }, op: ">", right: { value: 0 } },
    ],
    exitConditions: undefined,
  });
  assert.deepEqual(parsed.entryConditions, [
    { left: { indicator: "RSI", period: 14 }, op: "<", right: { value: 30 } },
    {
      left: { indicator: "MACD", fast: 12, slow: 26, signal: 9, output: "macd" },
      op: ">",
      right: { value: 0 },
    },
  ]);
  assert.deepEqual(parsed.exitConditions, []);
});

const invalidCases: [string, (string | number)[], unknown, string][] = [
  [
    "an unknown indicator",
    ["entryConditions", 0, "left", "indicator"],
    "VWAP",
    "entryConditions[0].left.indicator",
  ],
  ["period 0", ["entryConditions", 0, "left", "period"], 0, "entryConditions[0].left.period"],
  [
    "period above 1000",
    ["entryConditions", 1, "left", "period"],
    1001,
    "entryConditions[1].left.period",
  ],
  [
    "a fractional period",
    ["entryConditions", 3, "right", "period"],
    2.5,
    "entryConditions[3].right.period",
  ],
  ["a missing right side", ["entryConditions", 1, "right"], undefined, "entryConditions[1].right"],
  ["an unknown operator", ["entryConditions", 1, "op"], "==", "entryConditions[1].op"],
  ["MACD fast >= slow", ["entryConditions", 2, "left", "fast"], 26, "entryConditions[2].left.fast"],
  [
    "an unknown MACD output",
    ["entryConditions", 2, "left", "output"],
    "line",
    "entryConditions[2].left.output",
  ],
  [
    "an unknown field in an operand",
    ["entryConditions", 0, "left", "colour"],
    "red",
    "entryConditions[0].left.colour",
  ],
  ["an unknown top-level field", ["owner"], "me", "owner"],
  [
    "a non-numeric constant",
    ["entryConditions", 1, "right", "value"],
    "30",
    "entryConditions[1].right.value",
  ],
  [
    "a bad condition inside nested any",
    ["entryConditions", 4, "any", 1, "any", 0, "op"],
    "~",
    "entryConditions[4].any[1].any[0].op",
  ],
  ["an empty any-group", ["entryConditions", 4, "any"], [], "entryConditions[4].any"],
  ["empty entryConditions", ["entryConditions"], [], "entryConditions"],
  ["a wrong interval", ["interval"], "2m", "interval"],
  ["a lowercase symbol", ["symbol"], "btcusdt", "symbol"],
  ["a non-USDT symbol", ["symbol"], "BTCEUR", "symbol"],
  ["an empty name", ["name"], "  ", "name"],
  ["positionSizeUsd 0", ["riskParams", "positionSizeUsd"], 0, "riskParams.positionSizeUsd"],
  [
    "takeProfitPercent negative",
    ["riskParams", "takeProfitPercent"],
    -1,
    "riskParams.takeProfitPercent",
  ],
  ["stopLossPercent 100", ["riskParams", "stopLossPercent"], 100, "riskParams.stopLossPercent"],
  [
    "maxDrawdownPercent 0",
    ["riskParams", "maxDrawdownPercent"],
    0,
    "riskParams.maxDrawdownPercent",
  ],
  [
    "maxDrawdownPercent above 100",
    ["riskParams", "maxDrawdownPercent"],
    100.5,
    "riskParams.maxDrawdownPercent",
  ],
  ["missing riskParams", ["riskParams"], undefined, "riskParams"],
  ["RSI period 1", ["entryConditions", 1, "left", "period"], 1, "entryConditions[1].left.period"],
];

for (const [what, path, value, expectedPath] of invalidCases) {
  Deno.test(`parseStrategy rejects ${what} at ${expectedPath}`, () => {
    const issues = issuesOf(withChange(path, value));
    assert.deepEqual(issues.map((i) => i.path), [expectedPath]);
    assert.ok(issues[0]!.message.length > 0);
  });
}

Deno.test("parseStrategy reports every problem at once", () => {
  const issues = issuesOf({ ...valid, symbol: "x", interval: "7m", extra: true });
  assert.deepEqual(issues.map((i) => i.path).sort(), ["extra", "interval", "symbol"]);
});

Deno.test("parseStrategy rejects non-objects with a path-less issue", () => {
  assert.equal(issuesOf("strategy")[0]!.path, "");
  assert.equal(issuesOf(null)[0]!.path, "");
});

Deno.test("maxDrawdownPercent 100 and maxima of ranges are accepted", () => {
  const parsed = parseStrategy(withChange(["riskParams", "maxDrawdownPercent"], 100));
  assert.equal(parsed.riskParams.maxDrawdownPercent, 100);
  parseStrategy(withChange(["entryConditions", 0, "left", "period"], 1000));
});

Deno.test("the zod schemas describe their fields for OpenAPI generation", () => {
  assert.ok(StrategySchema.description);
  assert.ok(StrategySchema.shape.riskParams.shape.positionSizeUsd.description);
});
