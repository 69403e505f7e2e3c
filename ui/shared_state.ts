/**
 * State shared between islands of one page. Islands hydrate as separate
 * roots but load this module once, so a signal here is seen by all of them
 * (e.g. the key form tells the mode switch that live trading is now possible).
 *
 * @module
 */
import { signal } from "@preact/signals";

/** Whether valid exchange keys are stored; null until an island learns it in this page view. */
export const keysReady = signal<boolean | null>(null);

/** Whether the strategy on this page runs, once its controls changed it (the editor locks edits). */
export const strategyActive = signal<boolean | null>(null);
