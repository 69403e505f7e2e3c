/**
 * Strategies: the rule language (zod schemas + {@link parseStrategy}), its
 * compiler and the {@link StrategyRunner} shared by backtest and live.
 *
 * @module
 */

export * from "./rules.ts";
export { formatPath, type StrategyIssue } from "./_issues.ts";
export { CompiledRules, indicatorKey, type Predicate } from "./evaluate.ts";
export {
  ENTRY,
  EXIT,
  type RunnerOptions,
  type RunnerSnapshot,
  type SignalAction,
  StrategyRunner,
  type StrategySignal,
} from "./runner.ts";
