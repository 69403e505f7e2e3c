/**
 * Order rules of AURA's pure core: exact decimals, symbol filters, fees,
 * deterministic client ids and the entry/OCO planners.
 *
 * @module
 */

export * from "./decimal.ts";
export * from "./filters.ts";
export * from "./fees.ts";
export * from "./client_ids.ts";
export * from "./plan.ts";
export * from "./known_symbols.ts";
