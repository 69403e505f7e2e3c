/**
 * The Binance-compatible simulator: a local spot exchange for tests, demos
 * and offline runs (`deno task sim`). See sim/README.md.
 *
 * @module
 */

export { START_PRICES, startSimulator } from "./server.ts";
export type { Simulator, SimulatorFaults, SimulatorOptions } from "./server.ts";
export { driveCandles, parseKlineCsv, startReplay } from "./replay.ts";
export type { Replay, ReplayOptions } from "./replay.ts";
export { randomWalk } from "./random_walk.ts";
export type { RandomWalkOptions } from "./random_walk.ts";
export type { SimCandle } from "./market.ts";
