/**
 * An empty state: says why a list is empty and offers the next step.
 *
 * @module
 */
import type { ComponentChildren, JSX } from "preact";

/** Props of {@link EmptyState}. */
export interface EmptyStateProps {
  /** Short heading, e.g. "No strategies yet". */
  title: string;
  /** What to do next (text or a link). */
  children?: ComponentChildren;
}

/** Empty state block. */
export function EmptyState({ title, children }: EmptyStateProps): JSX.Element {
  return (
    <div class="empty" role="status">
      <p class="empty-title">{title}</p>
      {children && <div class="empty-body">{children}</div>}
    </div>
  );
}
