/**
 * A strategy state badge (used by server pages and islands alike).
 *
 * @module
 */
import type { JSX } from "preact";

const LABELS: Record<string, string> = {
  inactive: "Inactive",
  warming_up: "Warming up",
  waiting: "Waiting for signal",
  in_position: "In position",
  halted: "Halted by drawdown",
};

/** Props of {@link StateBadge}. */
export interface StateBadgeProps {
  /** State key, e.g. `in_position`. */
  state: string;
  /** Extra text shown as a tooltip (e.g. the halt reason). */
  title?: string | null | undefined;
}

/** The badge. */
export function StateBadge({ state, title }: StateBadgeProps): JSX.Element {
  return (
    <span class={`badge state-${state}`} title={title ?? undefined}>
      {LABELS[state] ?? state}
    </span>
  );
}
