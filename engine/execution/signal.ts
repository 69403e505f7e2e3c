/**
 * What a trade signal asks of the execution worker, decided from the
 * strategy's state before anything is sent.
 *
 * @module
 */

/** The strategy state a signal is checked against. */
export interface SignalContext {
  /** Signal action. */
  action: "ENTRY" | "EXIT";
  /** Whether the strategy is active. */
  isActive: boolean;
  /** Whether the breaker halted it. */
  halted: boolean;
  /** Id of its OPEN trade, null when flat. */
  openTradeId: number | null;
  /**
   * True while an earlier ENTRY of the strategy has no known outcome (sent,
   * not yet adopted or failed: reconciliation asks the exchange). Absent: false.
   */
  pendingEntry?: boolean;
}

/** The decision: skip (with the reason), enter, or exit the open trade. */
export type SignalDecision =
  | { kind: "skip"; reason: string }
  | { kind: "enter" }
  | { kind: "exit"; tradeId: number };

/**
 * An ENTRY is taken only by an active, not halted strategy that is flat (one
 * position per strategy) and has no earlier entry still in doubt; an EXIT only when there is a position. An EXIT is
 * honoured even for a halted or deactivated strategy: closing is always safe.
 */
export function decideSignal(context: SignalContext): SignalDecision {
  if (context.action === "EXIT") {
    return context.openTradeId === null
      ? { kind: "skip", reason: "no open trade to exit" }
      : { kind: "exit", tradeId: context.openTradeId };
  }
  if (context.halted) return { kind: "skip", reason: "strategy is halted" };
  if (!context.isActive) return { kind: "skip", reason: "strategy is not active" };
  if (context.openTradeId !== null) {
    return { kind: "skip", reason: `strategy already has open trade ${context.openTradeId}` };
  }
  if (context.pendingEntry) {
    return { kind: "skip", reason: "an earlier entry's outcome is not known yet" };
  }
  return { kind: "enter" };
}
