/**
 * One strategy in the live pipeline: the shared {@link StrategyRunner} plus
 * what live adds — start-up (restore a fresh snapshot and catch up, or warm
 * up from history), the position it is in (learnt from order events and the
 * database), and the per-candle order of the backtester: an open position's
 * take-profit/stop-loss is checked first with the one fill model, then the
 * rules are evaluated. Pure: the worker feeds candles and events in and
 * publishes what comes out.
 *
 * @module
 */

import type { Candle } from "../candle.ts";
import type { OrderEvent } from "../events.ts";
import { checkProtectiveExit, protectiveLevels } from "../fills.ts";
import type { StrategyDefinition } from "../strategy/rules.ts";
import { type RunnerSnapshot, StrategyRunner, type StrategySignal } from "../strategy/runner.ts";

/** What the worker persists per strategy (strategy_runtime.state). */
export interface LiveStrategyState {
  /** Format version. */
  readonly version: 1;
  /** The definition the snapshot belongs to (a changed strategy starts over). */
  readonly definitionKey: string;
  /** The runner's indicators and last processed candle. */
  readonly runner: RunnerSnapshot;
}

/** An open (or just requested) position, as far as this strategy knows. */
export interface LivePosition {
  /** The ENTRY signal that opened it. */
  readonly signalId: string;
  /** The trade id once the execution side reported it. */
  tradeId: string | null;
  /** Take-profit level (estimated from the signal price until the fill is reported). */
  takeProfit: number;
  /** Stop-loss level (likewise). */
  stopLoss: number;
}

/** How {@link LiveStrategy.start} began. */
export type StartMode = "restored" | "warmed_up";

/** Options of {@link LiveStrategy.start}. */
export interface StartOptions {
  /** The persisted state, if any. */
  saved: LiveStrategyState | null;
  /** Closed candles, oldest first: the warm-up window, or those after the snapshot. */
  history: readonly Candle[];
  /** The open trade from the database, if any. */
  openTrade: { signalId: string; tradeId: string; takeProfit: number; stopLoss: number } | null;
}

/** Key of a definition: equal keys mean the same rules and risk. */
export function definitionKey(definition: StrategyDefinition): string {
  return JSON.stringify(definition);
}

/**
 * A live strategy; see the module doc.
 *
 * @example
 * ```ts
 * const live = new LiveStrategy("42", 7, definition);
 * const catchUp = live.start({ saved, history, openTrade: null });
 * for (const signal of live.onCandle(candle)) publish(signal);
 * ```
 */
export class LiveStrategy {
  /** Strategy id (as in signal ids). */
  readonly strategyId: string;
  /** Owner. */
  readonly userId: number;
  /** The rules. */
  readonly definition: StrategyDefinition;
  readonly #runner: StrategyRunner;
  readonly #key: string;
  #position: LivePosition | null = null;
  // Entries this strategy already considers closed (TP/SL seen on a candle, or exited).
  readonly #settled = new Set<string>();

  /** Compiles the rules (validate the definition with parseStrategy first). */
  constructor(strategyId: string, userId: number, definition: StrategyDefinition) {
    this.strategyId = strategyId;
    this.userId = userId;
    this.definition = definition;
    this.#runner = new StrategyRunner(definition, { strategyId });
    this.#key = definitionKey(definition);
  }

  /** Close time of the last processed candle (-1 before the first). */
  get lastCloseTime(): number {
    return this.#runner.lastCloseTime;
  }

  /** The position as this strategy knows it. */
  get position(): Readonly<LivePosition> | null {
    return this.#position;
  }

  /** True once the drawdown breaker halted it (no more entries). */
  get halted(): boolean {
    return this.#runner.halted;
  }

  /**
   * Whether `saved` can be resumed: same definition and `history` starts right
   * after its last candle (or holds nothing newer). Otherwise start() warms up.
   */
  canResume(saved: LiveStrategyState | null, history: readonly Candle[]): boolean {
    if (saved === null || saved.version !== 1 || saved.definitionKey !== this.#key) return false;
    const next = history.find((c) => c.closeTime > saved.runner.lastCloseTime);
    return next === undefined || next.openTime === saved.runner.lastCloseTime + 1;
  }

  /**
   * Starts the strategy. Resuming a fresh snapshot evaluates the candles it
   * missed and returns their signals (deterministic ids: a consumer that saw
   * one already drops it), so a restart neither skips nor repeats a candle.
   * Otherwise the history only warms the indicators up.
   */
  start(options: StartOptions): { mode: StartMode; signals: StrategySignal[] } {
    const t = options.openTrade;
    this.#position = t === null ? null : {
      signalId: t.signalId,
      tradeId: t.tradeId,
      takeProfit: t.takeProfit,
      stopLoss: t.stopLoss,
    };
    this.#runner.setInPosition(t !== null);
    if (this.canResume(options.saved, options.history)) {
      this.#runner.restore(options.saved!.runner);
      const signals: StrategySignal[] = [];
      for (const candle of options.history) signals.push(...this.onCandle(candle));
      return { mode: "restored", signals };
    }
    this.#runner.warmUp(options.history);
    return { mode: "warmed_up", signals: [] };
  }

  /**
   * One closed candle, in the backtester's order: protective exit of an open
   * position, then the rules. Positions are assumed to follow the signals
   * (an ENTRY opens one, an EXIT closes it) until order events say otherwise.
   */
  onCandle(candle: Candle): readonly StrategySignal[] {
    if (!(candle.closeTime > this.#runner.lastCloseTime)) return [];
    const position = this.#position;
    if (position !== null && checkProtectiveExit(candle, position.takeProfit, position.stopLoss)) {
      this.#close(position);
    }
    const signals = this.#runner.step(candle);
    for (const signal of signals) {
      if (signal.action === "EXIT" && this.#position !== null) this.#close(this.#position);
      if (signal.action === "ENTRY") {
        const { takeProfitPercent, stopLossPercent } = this.definition.riskParams;
        const levels = protectiveLevels(candle.close, takeProfitPercent, stopLossPercent);
        this.#position = {
          signalId: signal.id,
          tradeId: null,
          takeProfit: levels.takeProfit,
          stopLoss: levels.stopLoss,
        };
        this.#runner.onEntryFilled();
      }
    }
    return signals;
  }

  /** Applies an order event of this strategy (others are ignored). */
  onOrderEvent(event: OrderEvent): void {
    if (!("strategyId" in event) || event.strategyId !== this.strategyId) return;
    switch (event.type) {
      case "trade_opened": {
        if (this.#settled.has(event.signalId)) return; // closed here already, on a candle
        const position = this.#position;
        this.#position = {
          signalId: event.signalId,
          tradeId: event.tradeId,
          takeProfit: Number(event.takeProfitPrice),
          stopLoss: Number(event.stopLossPrice),
        };
        if (position === null || position.signalId !== event.signalId) {
          this.#runner.setInPosition(true);
        }
        return;
      }
      case "trade_closed":
        if (this.#position?.tradeId === event.tradeId) this.#close(this.#position);
        return;
      case "trade_failed":
        if (event.action === "ENTRY" && this.#position?.signalId === event.signalId) {
          this.#position = null;
          this.#runner.setInPosition(false);
        }
        return;
      case "strategy_halted":
        this.#runner.halted = true;
        return;
      default:
        return;
    }
  }

  /** The state to persist after a candle. */
  state(): LiveStrategyState {
    return { version: 1, definitionKey: this.#key, runner: this.#runner.snapshot() };
  }

  #close(position: LivePosition): void {
    this.#settled.add(position.signalId);
    if (this.#settled.size > 64) this.#settled.delete(this.#settled.values().next().value!);
    this.#position = null;
    this.#runner.onExitFilled();
  }
}
