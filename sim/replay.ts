/**
 * Replays candles into a simulator on a timer, for `deno task sim --data` and
 * `deno task demo`.
 *
 * @module
 */

import { AuraError, ErrorCode } from "../engine/errors.ts";
import type { SimCandle } from "./market.ts";
import type { Simulator } from "./server.ts";

/** Options of {@link startReplay}. */
export interface ReplayOptions {
  /** Path (or file URL) of a CSV `open_time,open,high,low,close,volume,close_time`. */
  csvPath?: string | URL;
  /** Candles to replay instead of a CSV. */
  candles?: SimCandle[];
  /** Symbol the candles belong to, e.g. `BTCUSDT`. */
  symbol: string;
  /** Kline interval of the candles, e.g. `1m`. */
  interval: string;
  /**
   * Replay speed in candles per second (e.g. 600 = ten hours of 1m candles
   * per minute). Timers tick at most every 10 ms, pushing several candles per
   * tick when the speed asks for more.
   */
  speed: number;
  /** Pushes the first N candles at once, so klines have history before the timer starts. */
  warmup?: number;
  /**
   * Shifts every candle's times by one constant so the first timed candle
   * closes at `rebaseTo` (e.g. `Date.now()`): a replay at one candle per
   * interval then looks live to clients that check candle freshness.
   */
  rebaseTo?: number;
  /** Called after the last candle. */
  onEnd?: () => void;
}

/** A running replay. */
export interface Replay {
  /** Candles pushed so far. */
  readonly pushed: number;
  /** Total candles in the replay. */
  readonly total: number;
  /** Resolves when the last candle has been pushed or the replay was stopped. */
  readonly done: Promise<void>;
  /** Stops pushing (idempotent). */
  stop(): void;
}

/** Parses a kline CSV (header `open_time,open,high,low,close,volume,close_time`). */
export function parseKlineCsv(text: string): SimCandle[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  const header = lines.shift()?.trim();
  if (header !== "open_time,open,high,low,close,volume,close_time") {
    throw new AuraError(
      ErrorCode.VALIDATION_FAILED,
      `Cannot read kline CSV: unexpected header "${header}"`,
    );
  }
  return lines.map((line, i) => {
    const [openTime, open, high, low, close, volume, closeTime] = line.split(",");
    if (closeTime === undefined) {
      throw new AuraError(
        ErrorCode.VALIDATION_FAILED,
        `Cannot read kline CSV: line ${i + 2} has fewer than 7 fields`,
      );
    }
    return {
      openTime: Number(openTime),
      closeTime: Number(closeTime),
      open: open!,
      high: high!,
      low: low!,
      close: close!,
      volume: volume!,
    };
  });
}

const TICK_MS = 10;

/** Starts pushing candles into `sim`; see {@link ReplayOptions}. */
export async function startReplay(sim: Simulator, opts: ReplayOptions): Promise<Replay> {
  let candles = opts.candles ??
    parseKlineCsv(await Deno.readTextFile(requirePath(opts.csvPath)));
  const warmup = Math.min(opts.warmup ?? 0, candles.length);
  if (opts.rebaseTo !== undefined && warmup < candles.length) {
    const shift = opts.rebaseTo - candles[warmup]!.closeTime;
    candles = candles.map((c) => ({
      ...c,
      openTime: c.openTime + shift,
      closeTime: c.closeTime + shift,
    }));
  }
  for (let i = 0; i < warmup; i++) sim.pushCandle(opts.symbol, candles[i]!, opts.interval);
  const rest = candles.slice(warmup);
  return driveCandles(sim, rest[Symbol.iterator](), rest.length, opts);
}

/**
 * Pushes candles from `source` at `opts.speed` candles per second until it
 * runs dry (`total` may be `Infinity` for generated markets).
 */
export function driveCandles(
  sim: Simulator,
  source: Iterator<SimCandle>,
  total: number,
  opts: Pick<ReplayOptions, "symbol" | "interval" | "speed" | "onEnd">,
): Replay {
  if (!(opts.speed > 0)) {
    throw new AuraError(
      ErrorCode.VALIDATION_FAILED,
      `Cannot replay at speed ${opts.speed}: must be a positive number of candles per second`,
    );
  }
  let pushed = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  const { promise: done, resolve } = Promise.withResolvers<void>();
  const started = performance.now();
  const finish = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
    resolve();
  };
  const tick = () => {
    // Catch up to where the wall clock says the replay should be, so slow ticks don't slow it down.
    const due = Math.floor((performance.now() - started) / 1000 * opts.speed) + 1;
    while (pushed < due && timer !== undefined) {
      const next = source.next();
      if (next.done) {
        finish();
        opts.onEnd?.();
        return;
      }
      sim.pushCandle(opts.symbol, next.value, opts.interval);
      pushed++;
    }
  };
  timer = setInterval(tick, Math.max(1, Math.min(TICK_MS, 1000 / opts.speed)));
  tick();
  return {
    get pushed() {
      return pushed;
    },
    total,
    done,
    stop: finish,
  };
}

function requirePath(path: string | URL | undefined): string | URL {
  if (path === undefined) {
    throw new AuraError(
      ErrorCode.VALIDATION_FAILED,
      "Cannot start a replay: give csvPath or candles",
    );
  }
  return path;
}
