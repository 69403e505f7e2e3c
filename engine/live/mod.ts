/**
 * The pure pieces of the live strategy worker: the (symbol, interval)
 * fan-out index and the per-strategy lifecycle around the shared runner.
 *
 * @module
 */

export { FanoutIndex, pairKey } from "./fanout.ts";
export {
  definitionKey,
  type LivePosition,
  LiveStrategy,
  type LiveStrategyState,
  type StartMode,
  type StartOptions,
} from "./live_strategy.ts";
