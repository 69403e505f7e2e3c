/**
 * Compiles a strategy's conditions once into closures over two small typed
 * arrays (operand values on this candle and on the previous one), so that
 * evaluating a candle allocates nothing.
 *
 * Warm-up needs no special case: indicators are NaN until stable, every
 * comparison with NaN is false, and the "previous" values start as NaN, so a
 * cross cannot fire before two defined values exist.
 *
 * @module
 */

import { createIndicator, type StreamingIndicator } from "../indicators/mod.ts";
import type { Comparison, Condition, IndicatorOperand, Operand } from "./rules.ts";

/** A MACD instance as the factory returns it: the three lines are readable. */
type MacdLike = StreamingIndicator & {
  readonly macd: number;
  readonly signal: number;
  readonly histogram: number;
};

// Which value of an indicator feeds a slot.
const TAP_VALUE = 0;
const TAP_MACD = 1;
const TAP_SIGNAL = 2;
const TAP_HISTOGRAM = 3;
type Tap = 0 | 1 | 2 | 3;

/** A predicate over the current slot values. */
export type Predicate = () => boolean;

/**
 * The canonical key of an indicator operand; operands with the same key share
 * one indicator instance (e.g. `EMA:12`, `MACD:12:26:9`; PRICE → `PRICE`).
 */
export function indicatorKey(operand: IndicatorOperand): string {
  switch (operand.indicator) {
    case "MACD":
      return `MACD:${operand.fast}:${operand.slow}:${operand.signal}`;
    case "PRICE":
      return "PRICE";
    default:
      return `${operand.indicator}:${operand.period}`;
  }
}

/**
 * The compiled rules of one strategy: deduplicated indicators, operand slots
 * and the entry/exit predicates.
 */
export class CompiledRules {
  /** Canonical keys of the indicators, in {@link indicators} order. */
  readonly keys: string[] = [];
  /** One instance per distinct indicator spec. */
  readonly indicators: StreamingIndicator[] = [];
  /** True when all entry conditions hold on the current candle. */
  readonly entry: Predicate;
  /** True when all exit conditions hold (never, when there are none). */
  readonly exit: Predicate;

  // Slot values on the current and the previous candle.
  #cur: Float64Array;
  #prev: Float64Array;
  #slotCount = 0;
  #slotByKey = new Map<string, number>();
  #initial: number[] = [];
  // Taps: slot ← indicator output, read after the indicators are updated.
  #tapSlot: number[] = [];
  #tapIndicator: StreamingIndicator[] = [];
  #tapKind: Tap[] = [];
  #priceSlots: number[] = [];

  /** Compiles `entryConditions` and `exitConditions` (already validated). */
  constructor(entryConditions: readonly Condition[], exitConditions: readonly Condition[]) {
    // First pass allocates the slots, so the closures can capture the final arrays.
    for (const c of [...entryConditions, ...exitConditions]) this.#allocate(c);
    this.#cur = Float64Array.from(this.#initial);
    this.#prev = Float64Array.from(this.#initial);
    this.entry = this.#all(entryConditions);
    this.exit = exitConditions.length === 0 ? () => false : this.#all(exitConditions);
  }

  /** Feeds a closed candle's close to every indicator and moves the slots one candle on. */
  advance(close: number): void {
    const cur = this.#cur;
    this.#prev.set(cur);
    const indicators = this.indicators;
    for (let i = 0; i < indicators.length; i++) indicators[i]!.update(close);
    this.refresh(close);
  }

  /**
   * Re-reads every slot from the indicators without feeding them (after a
   * restore, the slots must show the last processed candle).
   */
  refresh(close: number): void {
    const cur = this.#cur;
    const slots = this.#tapSlot, kinds = this.#tapKind, sources = this.#tapIndicator;
    for (let i = 0; i < slots.length; i++) {
      const source = sources[i]!;
      const kind = kinds[i];
      cur[slots[i]!] = kind === TAP_VALUE
        ? source.value
        : kind === TAP_MACD
        ? (source as MacdLike).macd
        : kind === TAP_SIGNAL
        ? (source as MacdLike).signal
        : (source as MacdLike).histogram;
    }
    const price = this.#priceSlots;
    for (let i = 0; i < price.length; i++) cur[price[i]!] = close;
  }

  /** Forgets the previous candle's values (crosses need two fresh candles again). */
  clearPrevious(): void {
    this.#prev.set(this.#initial);
  }

  #all(conditions: readonly Condition[]): Predicate {
    const parts = conditions.map((c) => this.#condition(c));
    if (parts.length === 1) return parts[0]!;
    if (parts.length === 2) {
      const [a, b] = parts as [Predicate, Predicate];
      return () => a() && b();
    }
    return () => {
      for (let i = 0; i < parts.length; i++) if (!parts[i]!()) return false;
      return true;
    };
  }

  #any(conditions: readonly Condition[]): Predicate {
    const parts = conditions.map((c) => this.#condition(c));
    if (parts.length === 1) return parts[0]!;
    if (parts.length === 2) {
      const [a, b] = parts as [Predicate, Predicate];
      return () => a() || b();
    }
    return () => {
      for (let i = 0; i < parts.length; i++) if (parts[i]!()) return true;
      return false;
    };
  }

  #condition(condition: Condition): Predicate {
    return "any" in condition ? this.#any(condition.any) : this.#comparison(condition);
  }

  #allocate(condition: Condition): void {
    if ("any" in condition) {
      for (const c of condition.any) this.#allocate(c);
    } else {
      this.#slot(condition.left);
      this.#slot(condition.right);
    }
  }

  #comparison(c: Comparison): Predicate {
    const a = this.#slot(c.left);
    const b = this.#slot(c.right);
    const cur = this.#cur, prev = this.#prev;
    switch (c.op) {
      case ">":
        return () => cur[a]! > cur[b]!;
      case ">=":
        return () => cur[a]! >= cur[b]!;
      case "<":
        return () => cur[a]! < cur[b]!;
      case "<=":
        return () => cur[a]! <= cur[b]!;
      case "crosses_above":
        return () => prev[a]! <= prev[b]! && cur[a]! > cur[b]!;
      case "crosses_below":
        return () => prev[a]! >= prev[b]! && cur[a]! < cur[b]!;
    }
  }

  /** The slot of an operand, creating its indicator and tap on first use. */
  #slot(operand: Operand): number {
    if ("value" in operand) return this.#newSlot(`VALUE:${operand.value}`, operand.value);
    const key = indicatorKey(operand);
    const tap = operand.indicator === "MACD"
      ? ({ macd: TAP_MACD, signal: TAP_SIGNAL, histogram: TAP_HISTOGRAM } as const)[operand.output]
      : TAP_VALUE;
    const slotKey = `${key}#${tap}`;
    const existing = this.#slotByKey.get(slotKey);
    if (existing !== undefined) return existing;
    const slot = this.#newSlot(slotKey, NaN);
    if (operand.indicator === "PRICE") {
      this.#priceSlots.push(slot);
      return slot;
    }
    let index = this.keys.indexOf(key);
    if (index < 0) {
      index = this.keys.push(key) - 1;
      this.indicators.push(
        operand.indicator === "MACD"
          ? createIndicator({
            indicator: "MACD",
            fast: operand.fast,
            slow: operand.slow,
            signal: operand.signal,
          })
          : createIndicator({ indicator: operand.indicator, period: operand.period }),
      );
    }
    this.#tapSlot.push(slot);
    this.#tapIndicator.push(this.indicators[index]!);
    this.#tapKind.push(tap);
    return slot;
  }

  #newSlot(key: string, initial: number): number {
    const existing = this.#slotByKey.get(key);
    if (existing !== undefined) return existing;
    const slot = this.#slotCount++;
    this.#slotByKey.set(key, slot);
    this.#initial.push(initial);
    return slot;
  }
}
