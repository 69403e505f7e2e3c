import assert from "node:assert/strict";
import { passwordProblem } from "./RegisterForm.tsx";
import { loginErrorMessage } from "./LoginForm.tsx";
import { defaultDraft, draftProblems } from "./StrategyEditor.tsx";
import { fractionOf, resultIdOf } from "./BacktestPanel.tsx";
import { indicatorLabel, toSeconds } from "./CandleChart.tsx";
import { maskKey } from "./ApiKeyForm.tsx";
import { closedFromEvent, positionFromEvent, unrealizedOf } from "./LiveDashboard.tsx";
import { healthFromChecks } from "../ui/health.ts";
import { ApiError } from "../ui/api.ts";
import { parseStrategy } from "../engine/strategy/rules.ts";

Deno.test("passwordProblem() mirrors the API's password policy", () => {
  assert.equal(passwordProblem("short1", "bob"), "Use at least 10 characters");
  assert.equal(passwordProblem("onlyletters", "bob"), "Use both letters and digits");
  assert.equal(passwordProblem("1234567890", "bob"), "Use both letters and digits");
  assert.equal(passwordProblem("Alice12345x", "alice12345X"), "Must differ from the username");
  assert.equal(passwordProblem("correct horse 42", "bob"), null);
});

Deno.test("loginErrorMessage() explains the API's codes", () => {
  assert.equal(
    loginErrorMessage(new ApiError("AUTH_001", "Invalid credentials", 401)),
    "Username or password is incorrect",
  );
  assert.match(loginErrorMessage(new ApiError("API_003", "Too many", 429)), /wait a few minutes/);
  assert.equal(loginErrorMessage(new Error("boom")), "Something went wrong; please try again");
});

Deno.test("the builder's default draft is a strategy the engine accepts", () => {
  const draft = { ...defaultDraft(), name: "Default" };
  assert.deepEqual(draftProblems(draft, undefined), {});
  const parsed = parseStrategy(draft);
  assert.equal(parsed.entryConditions.length, 1);
});

Deno.test("draftProblems() flags a position below the symbol's minimum order", () => {
  const draft = defaultDraft();
  draft.riskParams.positionSizeUsd = 2;
  draft.riskParams.stopLossPercent = 100;
  const problems = draftProblems(draft, {
    symbol: "BTCUSDT",
    baseAsset: "BTC",
    minQty: "0.00001",
    stepSize: "0.00001",
    minNotional: "5",
  });
  assert.equal(problems.name, "Give the strategy a name");
  assert.match(problems["riskParams.positionSizeUsd"]!, /at least 5 USDT/);
  assert.match(problems["riskParams.stopLossPercent"]!, /below 100/);
});

Deno.test("resultIdOf() and fractionOf() read the backtest job and its events", () => {
  const job = { id: "b1f0", status: "done", progress: 1, resultId: 12 };
  assert.equal(resultIdOf(job), 12);
  assert.equal(fractionOf(job), 1);
  assert.equal(resultIdOf({ jobId: "x", backtestId: 7 }), 7);
  assert.equal(resultIdOf({ jobId: "x", backtestId: null, error: { message: "no" } }), null);
  assert.equal(resultIdOf({ id: "b1f0", status: "running", resultId: null }), null);
  assert.equal(fractionOf({ progress: 45 }), 0.45);
  assert.equal(fractionOf({}), null);
});

Deno.test("chart helpers name indicator keys and convert times to seconds", () => {
  assert.equal(indicatorLabel("RSI:14"), "RSI(14)");
  assert.equal(indicatorLabel("MACD:12:26:9.signal"), "MACD(12,26,9) signal");
  assert.equal(toSeconds(1_640_995_200_000), 1_640_995_200);
  assert.equal(toSeconds(1_640_995_200), 1_640_995_200);
  assert.equal(toSeconds("2022-01-01T00:00:00Z"), 1_640_995_200);
});

Deno.test("maskKey() masks like the API", () => {
  assert.equal(maskKey("PUBLICkeyABCDEFGH12345678wxyz"), "PUBL…wxyz");
  assert.equal(maskKey("short"), "****");
});

Deno.test("the dashboard reads the engine's trade events and values positions net of the entry fee", () => {
  const names = new Map([[7, "Dip buyer"]]);
  const opened = positionFromEvent({
    type: "trade_opened",
    tradeId: "41",
    strategyId: "7",
    symbol: "BTCUSDT",
    entryPrice: "38466.9",
    quantity: "0.0065",
    fees: "0.25",
    takeProfitPrice: "39620.9",
    stopLossPrice: "37889.89",
    occurredAt: Date.UTC(2022, 0, 5),
  }, names);
  assert.equal(opened.id, 41);
  assert.equal(opened.strategyName, "Dip buyer");
  assert.equal(opened.entryTime, "2022-01-05T00:00:00.000Z");
  assert.ok(Math.abs(unrealizedOf({ ...opened, price: "39000" })! - 3.21515) < 1e-9);
  assert.equal(unrealizedOf({ ...opened, price: null }), null);
  const closed = closedFromEvent({
    type: "trade_closed",
    tradeId: "41",
    strategyId: "7",
    status: "CLOSED_TP",
    exitPrice: "39620.9",
    pnl: "6.9952",
  }, names);
  assert.deepEqual([closed.id, closed.status, closed.pnl], [41, "CLOSED_TP", "6.9952"]);
});

Deno.test("healthFromChecks() maps the app's named checks onto the dashboard's view", () => {
  assert.deepEqual(healthFromChecks({ database: { ok: true, detail: "pglite" } }), {
    marketData: "unknown",
    lastCandleTime: null,
    exchange: "unknown",
    detail: undefined,
  });
  const down = healthFromChecks({
    database: { ok: true },
    pipeline: { ok: false, detail: "bus memory, 1 strategies, 0 streams" },
  });
  assert.equal(down.marketData, "disconnected");
  assert.equal(down.exchange, "down");
  assert.match(down.detail!, /pipeline: failing \(bus memory/);
  const split = healthFromChecks({ marketData: { ok: true }, exchange: { ok: false } });
  assert.deepEqual([split.marketData, split.exchange], ["connected", "down"]);
});
