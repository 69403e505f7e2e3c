/**
 * The Binance-compatible simulator: a local spot exchange for tests, demos
 * and offline runs (`deno task sim`).
 *
 * @module
 */

export { startSimulator } from "./server.ts";
export type { Simulator, SimulatorFaults, SimulatorOptions } from "./server.ts";
export { startReplay } from "./replay.ts";
export type { Replay, ReplayOptions } from "./replay.ts";
export type { SimCandle } from "./market.ts";
