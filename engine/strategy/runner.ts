/**
 * The strategy runner: closed candles in, ENTRY/EXIT signals out. The same
 * runner and the same per-candle step drive the backtester and the live
 * strategy worker; they differ only in who fills the signals.
 *
 * @module
 */

import type { Candle } from "../candle.ts";
import { AuraError } from "../errors.ts";
import type { IndicatorSnapshot } from "../indicators/mod.ts";
import { CompiledRules } from "./evaluate.ts";
import type { StrategyDefinition } from "./rules.ts";

/** What a signal asks for. */
export type SignalAction = "ENTRY" | "EXIT";

/** Bit set by {@link StrategyRunner.evaluate} when the entry conditions fire. */
export const ENTRY = 1;
/** Bit set by {@link StrategyRunner.evaluate} when the exit conditions fire. */
export const EXIT = 2;

/** An intent produced by a strategy; the execution side decides how (and whether) to fill it. */
export interface StrategySignal {
  /** Deterministic id `${strategyId}:${closeTime}:${action}` (order client ids derive from it). */
  readonly id: string;
  /** The strategy that produced it. */
  readonly strategyId: string;
  /** Symbol, e.g. `BTCUSDT`. */
  readonly symbol: string;
  /** ENTRY (market buy + OCO) or EXIT (market sell). */
  readonly action: SignalAction;
  /** Close time of the candle that produced it, Unix ms. */
  readonly candleCloseTime: number;
  /** That candle's close, as a decimal string (the reference price, not a fill). */
  readonly price: string;
}

/** Plain-JSON state of a runner, to resume after a restart without replaying history. */
export interface RunnerSnapshot {
  /** Format version. */
  readonly version: 1;
  /** Close time of the last processed candle (-1 when none). */
  readonly lastCloseTime: number;
  /** Close price of the last processed candle (0 when none). */
  readonly lastClose: number;
  /** Indicator states by canonical key (`EMA:12`, `MACD:12:26:9`, …). */
  readonly indicators: Readonly<Record<string, IndicatorSnapshot>>;
}

/** Options of a {@link StrategyRunner}. */
export interface RunnerOptions {
  /** Strategy id used in signal ids. */
  strategyId: string;
}

const NO_SIGNALS: readonly StrategySignal[] = Object.freeze([]);

/**
 * Runs one strategy over closed candles. It never places orders: the caller
 * tells it about fills ({@link onEntryFilled}, {@link onExitFilled}) and sets
 * {@link halted} from the drawdown breaker.
 *
 * Per candle: indicators are updated; when in a position and the exit
 * conditions hold → EXIT; then, when flat (or exiting now), not halted and the
 * entry conditions hold → ENTRY. Candles at or before the last processed one
 * are refused (no signals), which makes redelivery harmless.
 *
 * @example
 * ```ts
 * const runner = new StrategyRunner(parseStrategy(json), { strategyId: "42" });
 * runner.warmUp(history);
 * for (const signal of runner.step(candle)) bus.publish(signal);
 * ```
 */
export class StrategyRunner {
  /** The strategy being run. */
  readonly definition: StrategyDefinition;
  /** Id used in signal ids. */
  readonly strategyId: string;
  /** When true no ENTRY is emitted (the drawdown breaker tripped); EXITs still are. */
  halted = false;
  #rules: CompiledRules;
  #inPosition = false;
  #lastCloseTime = -1;
  #lastClose = 0;

  /** Compiles the rules of `definition` (validate it with `parseStrategy` first). */
  constructor(definition: StrategyDefinition, options: RunnerOptions) {
    this.definition = definition;
    this.strategyId = options.strategyId;
    this.#rules = new CompiledRules(definition.entryConditions, definition.exitConditions);
  }

  /** True while the caller reports an open position. */
  get inPosition(): boolean {
    return this.#inPosition;
  }

  /** Close time of the last processed candle, -1 before the first. */
  get lastCloseTime(): number {
    return this.#lastCloseTime;
  }

  /** Records that the entry was filled: exit conditions apply from the next candle. */
  onEntryFilled(): void {
    this.#inPosition = true;
  }

  /** Records that the position was closed (TP, SL or exit signal). */
  onExitFilled(): void {
    this.#inPosition = false;
  }

  /** Sets the position state outright (after reconciling with the exchange). */
  setInPosition(inPosition: boolean): void {
    this.#inPosition = inPosition;
  }

  /**
   * The per-candle step shared by live and backtest: updates the indicators
   * and returns a bit set of {@link ENTRY} / {@link EXIT}; 0 when nothing fires
   * or the candle is not newer than the last processed one.
   */
  evaluate(candle: Candle): number {
    if (!(candle.closeTime > this.#lastCloseTime)) return 0;
    this.#lastCloseTime = candle.closeTime;
    this.#lastClose = candle.close;
    const rules = this.#rules;
    rules.advance(candle.close);
    let flags = 0;
    let flat = !this.#inPosition;
    if (!flat && rules.exit()) {
      flags = EXIT;
      flat = true;
    }
    if (flat && !this.halted && rules.entry()) flags |= ENTRY;
    return flags;
  }

  /** {@link evaluate} as signal objects (allocates only when something fires). */
  step(candle: Candle): readonly StrategySignal[] {
    const flags = this.evaluate(candle);
    if (flags === 0) return NO_SIGNALS;
    const out: StrategySignal[] = [];
    if (flags & EXIT) out.push(this.#signal(candle, "EXIT"));
    if (flags & ENTRY) out.push(this.#signal(candle, "ENTRY"));
    return out;
  }

  /** Feeds history to the indicators without producing signals (stale candles are skipped). */
  warmUp(candles: Iterable<Candle>): void {
    const rules = this.#rules;
    for (const candle of candles) {
      if (!(candle.closeTime > this.#lastCloseTime)) continue;
      this.#lastCloseTime = candle.closeTime;
      this.#lastClose = candle.close;
      rules.advance(candle.close);
    }
  }

  /** Plain-JSON image of the indicator state and the last processed candle. */
  snapshot(): RunnerSnapshot {
    const indicators: Record<string, IndicatorSnapshot> = {};
    const rules = this.#rules;
    rules.keys.forEach((key, i) => (indicators[key] = rules.indicators[i]!.snapshot()));
    return {
      version: 1,
      lastCloseTime: this.#lastCloseTime,
      lastClose: this.#lastClose,
      indicators,
    };
  }

  /**
   * Resumes from {@link snapshot}: the operand values are re-read from the
   * restored indicators, so crosses work from the very next candle.
   *
   * @throws {AuraError} `STRATEGY_002` when the snapshot lacks one of this strategy's indicators.
   */
  restore(s: RunnerSnapshot): void {
    const rules = this.#rules;
    rules.keys.forEach((key, i) => {
      const state = s.indicators[key];
      if (state === undefined) {
        throw new AuraError(
          "STRATEGY_002",
          `Cannot restore strategy "${this.strategyId}": snapshot has no state for "${key}"`,
        );
      }
      rules.indicators[i]!.restore(state);
    });
    this.#lastCloseTime = s.lastCloseTime;
    this.#lastClose = s.lastClose;
    rules.clearPrevious();
    rules.refresh(s.lastClose);
  }

  #signal(candle: Candle, action: SignalAction): StrategySignal {
    return {
      id: `${this.strategyId}:${candle.closeTime}:${action}`,
      strategyId: this.strategyId,
      symbol: this.definition.symbol,
      action,
      candleCloseTime: candle.closeTime,
      price: String(candle.close),
    };
  }
}
