/**
 * The rule language of AURA strategies: zod schemas (the API generates its
 * OpenAPI document from them) and {@link parseStrategy}, which turns unknown
 * JSON into a {@link StrategyDefinition} or throws `STRATEGY_001` naming the
 * JSON path of every problem.
 *
 * @module
 */

import { z } from "zod";
import { INTERVALS } from "../candle.ts";
import { AuraError } from "../errors.ts";
import { formatIssues } from "./_issues.ts";

const MAX_PERIOD = 1000;

/** An indicator period: an integer in 1…1000. */
export const PeriodSchema = z.int()
  .min(1, `must be an integer between 1 and ${MAX_PERIOD}`)
  .max(MAX_PERIOD, `must be an integer between 1 and ${MAX_PERIOD}`)
  .describe("Look-back period in candles (1–1000)");

/** Simple moving average of closes. */
export const SmaOperandSchema = z.strictObject({
  indicator: z.literal("SMA").describe("Simple moving average of closes"),
  period: PeriodSchema,
}).describe("Simple moving average");

/** Exponential moving average of closes (seeded with the SMA). */
export const EmaOperandSchema = z.strictObject({
  indicator: z.literal("EMA").describe("Exponential moving average of closes"),
  period: PeriodSchema,
}).describe("Exponential moving average");

/** Wilder's RSI of closes, 0–100; period defaults to 14. */
export const RsiOperandSchema = z.strictObject({
  indicator: z.literal("RSI").describe("Relative strength index (Wilder), 0–100"),
  period: z.int()
    .min(2, `must be an integer between 2 and ${MAX_PERIOD}`)
    .max(MAX_PERIOD, `must be an integer between 2 and ${MAX_PERIOD}`)
    .default(14)
    .describe("Look-back period in candles (2–1000, default 14)"),
}).describe("Relative strength index");

/** The MACD outputs a condition may read. */
export const MacdOutputSchema = z.enum(["macd", "signal", "histogram"])
  .describe("Which MACD line to read: macd (fast EMA − slow EMA), signal, or histogram");

/** MACD of closes; defaults 12/26/9 and output `macd`; `fast` must be below `slow`. */
export const MacdOperandSchema = z.strictObject({
  indicator: z.literal("MACD").describe("Moving average convergence/divergence"),
  fast: PeriodSchema.default(12).describe("Fast EMA period (default 12)"),
  slow: PeriodSchema.default(26).describe("Slow EMA period (default 26)"),
  signal: PeriodSchema.default(9).describe("Signal EMA period (default 9)"),
  output: MacdOutputSchema.default("macd"),
}).refine((m) => m.fast < m.slow, {
  path: ["fast"],
  message: "must be below slow",
}).describe("MACD");

/** The close of the candle being evaluated. */
export const PriceOperandSchema = z.strictObject({
  indicator: z.literal("PRICE").describe("The candle's close price"),
}).describe("Close price of the candle");

/** Any indicator operand, chosen by its `indicator` field. */
export const IndicatorOperandSchema = z.discriminatedUnion("indicator", [
  SmaOperandSchema,
  EmaOperandSchema,
  RsiOperandSchema,
  MacdOperandSchema,
  PriceOperandSchema,
]).describe("An indicator value computed from closes");

/** A constant. */
export const ValueOperandSchema = z.strictObject({
  value: z.number().describe("A constant, e.g. 30 for an RSI threshold"),
}).describe("A constant value");

/** One side of a comparison: an indicator or a constant. */
export const OperandSchema = z.union([IndicatorOperandSchema, ValueOperandSchema])
  .describe("An indicator or a constant");

/** Comparison operators; the crosses compare the previous and the current candle. */
export const OperatorSchema = z.enum([">", ">=", "<", "<=", "crosses_above", "crosses_below"])
  .describe(
    "crosses_above: previous left <= previous right and now left > right; crosses_below mirrors it",
  );

/** `left op right`, e.g. RSI(14) < 30. */
export const ComparisonSchema = z.strictObject({
  left: OperandSchema,
  op: OperatorSchema,
  right: OperandSchema,
}).describe("A comparison of two operands");

/** An indicator operand after defaults are applied. */
export type IndicatorOperand = z.output<typeof IndicatorOperandSchema>;
/** A constant operand. */
export type ValueOperand = z.output<typeof ValueOperandSchema>;
/** Either operand. */
export type Operand = z.output<typeof OperandSchema>;
/** A comparison operator. */
export type Operator = z.output<typeof OperatorSchema>;
/** A comparison after defaults are applied. */
export type Comparison = z.output<typeof ComparisonSchema>;
/** A comparison, or `{ any: [...] }` that holds when one of its conditions holds. */
export type Condition = Comparison | { any: Condition[] };

/** A condition: a comparison or `{ any: [...] }` (nesting allowed). */
export const ConditionSchema: z.ZodType<Condition, unknown> = z.union([
  ComparisonSchema,
  z.strictObject({
    get any(): z.ZodArray<z.ZodType<Condition, unknown>> {
      return z.array(ConditionSchema).min(1, "must hold at least one condition");
    },
  }).describe("Holds when at least one of its conditions holds"),
]).describe("A comparison or an any-group");

/** Sizing and protection of every position the strategy opens. */
export const RiskParamsSchema = z.strictObject({
  positionSizeUsd: z.number().positive("must be above 0")
    .describe("Quote amount (USDT) spent on each entry"),
  takeProfitPercent: z.number().positive("must be above 0")
    .describe("Take-profit distance above the entry price, in percent"),
  stopLossPercent: z.number().gt(0, "must be above 0 and below 100")
    .lt(100, "must be above 0 and below 100")
    .describe("Stop-loss distance below the entry price, in percent (0–100 exclusive)"),
  maxDrawdownPercent: z.number().gt(0, "must be above 0 and at most 100")
    .max(100, "must be above 0 and at most 100")
    .describe("Equity drawdown from its peak, in percent, at which the strategy halts"),
}).describe("Position sizing and protective levels");

const SYMBOL = /^[A-Z0-9]{2,15}USDT$/;

/** A whole strategy, exactly as the API stores it. */
export const StrategySchema = z.strictObject({
  name: z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters")
    .describe("Display name"),
  symbol: z.string().regex(SYMBOL, 'must be an uppercase USDT pair such as "BTCUSDT"')
    .describe("Binance spot symbol quoted in USDT, e.g. BTCUSDT"),
  interval: z.enum(INTERVALS as [string, ...string[]], {
    error: `must be one of ${INTERVALS.join(", ")}`,
  }).describe("Kline interval the rules are evaluated on"),
  entryConditions: z.array(ConditionSchema).min(1, "must hold at least one condition")
    .describe("All must hold on a closed candle to enter"),
  exitConditions: z.array(ConditionSchema).default([])
    .describe("All must hold to exit at the close; empty = exit only by take-profit/stop-loss"),
  riskParams: RiskParamsSchema,
}).describe("A rule-based long-only spot strategy");

/** A validated strategy with defaults applied. */
export type StrategyDefinition = z.output<typeof StrategySchema>;
/** The risk parameters of a validated strategy. */
export type RiskParams = z.output<typeof RiskParamsSchema>;

/**
 * Validates unknown JSON as a strategy.
 *
 * @throws {AuraError} `STRATEGY_001` with `details.issues: [{ path, message }]`, e.g.
 *   path `entryConditions[0].left.period`.
 * @example
 * ```ts
 * const strategy = parseStrategy(JSON.parse(text));
 * ```
 */
export function parseStrategy(input: unknown): StrategyDefinition {
  const result = StrategySchema.safeParse(input);
  if (result.success) return result.data;
  const issues = formatIssues(result.error.issues, input);
  const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
  throw new AuraError("STRATEGY_001", `Invalid strategy: ${summary}`, { issues });
}
