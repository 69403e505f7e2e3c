/**
 * The execution engine's pure core: signal decisions, trade P&L in exact
 * decimals, the live drawdown breaker and the reconciliation decisions.
 * services/execution.ts and services/reconcile.ts are the imperative shell.
 *
 * @module
 */

export * from "./pnl.ts";
export * from "./legs.ts";
export * from "./breaker.ts";
export * from "./signal.ts";
export * from "./reconcile.ts";
export * from "./levels.ts";
