/**
 * Backtests as jobs: a request is checked at once (strategy ownership, range),
 * answered with a job id, and run in the background through the engine's
 * {@link runBacktest} — the same runner and fill model as live. Progress goes
 * out as `backtest_progress` events, the stored result as `backtest_done`.
 * Jobs run one at a time (the backtest is CPU-bound; the host has 2 cores).
 *
 * Every run answers 202 with a job, however small: one code path for the UI,
 * and a request never holds a connection for a long replay.
 *
 * @module
 */
import { z } from "zod";
import type { Db } from "../db/port.ts";
import {
  type BacktestDetail,
  type BacktestRecord,
  getBacktest,
  insertBacktest,
  listBacktests,
} from "../db/backtests.ts";
import { allocateSeries } from "../engine/backtest/series.ts";
import type { BacktestWorkerRequest } from "./_backtest_worker.ts";
import type { ExchangeFilters } from "../engine/backtest/filters.ts";
import type { BacktestReport } from "../engine/backtest/report.ts";
import { INTERVAL_MS, toCandle } from "../engine/candle.ts";
import type { Clock } from "../engine/clock.ts";
import { AuraError, type ErrorCode, isAuraError } from "../engine/errors.ts";
import { normalizeDecimal, toDecimalString } from "../engine/orders/decimal.ts";
import { knownSymbol } from "../engine/orders/known_symbols.ts";
import { parseSymbolRules } from "../engine/orders/filters.ts";
import { downsampleEquity } from "../engine/portfolio/equity.ts";
import { parseStrategy, type StrategyDefinition } from "../engine/strategy/rules.ts";
import { getStrategy } from "../db/strategies.ts";
import { type BacktestChart, buildChart, type StoredTrade } from "./_backtest_chart.ts";

export type { BacktestChart } from "./_backtest_chart.ts";
import type { EventHub } from "./events.ts";
import type { MarketData } from "./market_data.ts";

/** Longest replay one request may ask for. */
export const MAX_BACKTEST_CANDLES = 400_000;
/** Points kept of the equity curve. */
export const EQUITY_POINTS = 1_000;
const MONEY_DECIMALS = 10;

/** The body of POST /strategies/:id/backtest. */
export const BacktestRequestSchema = z.strictObject({
  from: z.iso.datetime({ offset: true }).or(z.iso.date())
    .describe("Start of the replay (ISO date or date-time, UTC when no offset)"),
  to: z.iso.datetime({ offset: true }).or(z.iso.date())
    .describe("End of the replay (exclusive)"),
  initialBalance: z.number().positive().max(1e12).default(10_000)
    .describe("Starting cash in USDT (default 10,000)"),
  fee: z.number().min(0).max(0.1).default(0.001)
    .describe("Fee rate per side (default 0.001 = 0.1%)"),
  slippageBps: z.number().min(0).max(1_000).default(0)
    .describe("Slippage of market fills in basis points (default 0)"),
}).describe("Backtest run parameters");

/** A validated backtest request. */
export type BacktestRequest = z.output<typeof BacktestRequestSchema>;

/** A backtest job as GET /backtests/jobs/:jobId shows it. */
export interface BacktestJob {
  /** Job id (UUID). */
  id: string;
  /** Strategy backtested. */
  strategyId: number;
  /** Where it is. */
  status: "queued" | "running" | "done" | "failed";
  /** Fraction done, 0–1. */
  progress: number;
  /** Stored result id once done. */
  resultId: number | null;
  /** Why it failed. */
  error: { code: string; message: string } | null;
  /** ISO creation time. */
  createdAt: string;
}

/** What the backtest service needs. */
export interface BacktestServiceDeps {
  /** Storage. */
  db: Db;
  /** Time source. */
  clock: Clock;
  /** Real-time events. */
  events: EventHub;
  /** History source. */
  marketData: Pick<MarketData, "getHistory">;
}

/** Exchange filters of a known symbol, as the backtester applies them. */
export function backtestFilters(symbol: string): ExchangeFilters {
  const info = knownSymbol(symbol);
  if (!info) return {};
  const r = parseSymbolRules(info);
  const n = normalizeDecimal;
  return {
    stepSize: n(r.stepSize),
    tickSize: n(r.tickSize),
    minQty: n(r.minQty),
    minNotional: n(r.minNotional),
  };
}

/** The trade list as stored: money as decimal strings, times as Unix ms. */
export function storedTrades(report: BacktestReport): Record<string, unknown>[] {
  const d = (x: number) => toDecimalString(x, MONEY_DECIMALS);
  return report.trades.map((t) => ({
    entryTime: t.entryTime,
    entryPrice: d(t.entryPrice),
    exitTime: t.exitTime,
    exitPrice: d(t.exitPrice),
    quantity: d(t.quantity),
    status: t.status,
    pnl: d(t.pnl),
    fees: d(t.fees),
  }));
}

/** Runs, tracks and stores backtests. */
export class BacktestService {
  readonly #deps: BacktestServiceDeps;
  readonly #jobs = new Map<string, BacktestJob & { userId: number }>();
  #queue: Promise<void> = Promise.resolve();

  /** Creates the service. */
  constructor(deps: BacktestServiceDeps) {
    this.#deps = deps;
  }

  /** Checks the request and queues the run; resolves with the queued job. */
  async start(userId: number, strategyId: number, request: BacktestRequest): Promise<BacktestJob> {
    const record = await getStrategy(this.#deps.db, userId, strategyId);
    if (!record) throw new AuraError("API_005", `Strategy ${strategyId} was not found`);
    const definition = parseStrategy({
      name: record.name,
      symbol: record.symbol,
      interval: record.interval,
      entryConditions: record.entryConditions,
      exitConditions: record.exitConditions,
      riskParams: record.riskParams,
    });
    const from = Date.parse(request.from);
    const to = Date.parse(request.to);
    const step = INTERVAL_MS[definition.interval]!;
    if (!(to > from)) {
      throw new AuraError(
        "API_004",
        `Cannot backtest: "to" (${request.to}) must be after "from" (${request.from})`,
        {
          issues: [{ path: "to", message: "must be after from" }],
        },
      );
    }
    if ((to - from) / step > MAX_BACKTEST_CANDLES) {
      throw new AuraError(
        "API_004",
        `Cannot backtest: the range holds ${
          Math.ceil((to - from) / step)
        } ${definition.interval} candles, above the limit of ${MAX_BACKTEST_CANDLES}`,
        {
          issues: [{
            path: "to",
            message: `range must hold at most ${MAX_BACKTEST_CANDLES} candles`,
          }],
        },
      );
    }
    const job = {
      id: crypto.randomUUID(),
      userId,
      strategyId,
      status: "queued" as BacktestJob["status"],
      progress: 0,
      resultId: null,
      error: null,
      createdAt: new Date(this.#deps.clock.now()).toISOString(),
    };
    this.#remember(job);
    this.#queue = this.#queue.then(() => this.#run(job, definition, request, from, to));
    return publicJob(job);
  }

  /** A user's job; API_005 when unknown or someone else's. */
  job(userId: number, jobId: string): BacktestJob {
    const job = this.#jobs.get(jobId);
    if (!job || job.userId !== userId) {
      throw new AuraError("API_005", `Backtest job "${jobId}" was not found`);
    }
    return publicJob(job);
  }

  /** Resolves when every queued job has finished (tests, shutdown). */
  idle(): Promise<void> {
    return this.#queue;
  }

  /** A user's stored results for one strategy, newest first. */
  async list(userId: number, strategyId: number): Promise<BacktestRecord[]> {
    if (!await getStrategy(this.#deps.db, userId, strategyId)) {
      throw new AuraError("API_005", `Strategy ${strategyId} was not found`);
    }
    return await listBacktests(this.#deps.db, userId, strategyId);
  }

  /** One stored result with trades and equity; API_005 when missing or someone else's. */
  async get(userId: number, backtestId: number): Promise<BacktestDetail> {
    const b = await getBacktest(this.#deps.db, userId, backtestId);
    if (!b) throw new AuraError("API_005", `Backtest ${backtestId} was not found`);
    return b;
  }

  /**
   * The chart of a stored result: OHLC of the replayed range, the strategy's
   * indicator series (computed by the engine's batch helpers over the same
   * candles, so they are the values the runner saw) and entry/exit markers.
   * Past `maxPoints` candles, consecutive candles are merged into buckets
   * (OHLC aggregated, indicators read at the bucket's last candle, markers
   * snapped to their bucket).
   */
  async chart(userId: number, backtestId: number, maxPoints = 1_500): Promise<BacktestChart> {
    const b = await this.get(userId, backtestId);
    const definition = parseStrategy(b.params.strategy);
    const klines = await this.#deps.marketData.getHistory(
      definition.symbol,
      definition.interval,
      b.startDate.getTime(),
      b.endDate.getTime() + 1,
    );
    return buildChart(definition, klines.map(toCandle), b.trades as StoredTrade[], maxPoints);
  }

  async #run(
    job: BacktestJob & { userId: number },
    definition: StrategyDefinition,
    request: BacktestRequest,
    from: number,
    to: number,
  ): Promise<void> {
    const { events } = this.#deps;
    const progress = (fraction: number) => {
      job.progress = fraction;
      events.publish(job.userId, {
        type: "backtest_progress",
        data: { jobId: job.id, strategyId: job.strategyId, progress: fraction },
      });
    };
    try {
      job.status = "running";
      const klines = await this.#deps.marketData.getHistory(
        definition.symbol,
        definition.interval,
        from,
        to,
      );
      if (klines.length === 0) {
        throw new AuraError(
          "STRATEGY_003",
          `Cannot backtest "${definition.symbol}" ${definition.interval}: no candles between ${request.from} and ${request.to}`,
        );
      }
      const series = allocateSeries(klines.length);
      klines.forEach((k, i) => {
        series.openTime[i] = k.openTime;
        series.closeTime[i] = k.closeTime;
        series.open[i] = Number(k.open);
        series.high[i] = Number(k.high);
        series.low[i] = Number(k.low);
        series.close[i] = Number(k.close);
        series.volume[i] = Number(k.volume);
      });
      const filters = backtestFilters(definition.symbol);
      const options = {
        feeRate: request.fee,
        slippageBps: request.slippageBps,
        initialBalance: request.initialBalance,
        filters,
        strategyId: String(job.strategyId),
      };
      const report = await runInWorker({ definition, series, options }, progress);
      const stored = await insertBacktest(this.#deps.db, {
        strategyId: job.strategyId,
        startDate: new Date(klines[0]!.openTime),
        endDate: new Date(klines[klines.length - 1]!.closeTime),
        totalTrades: report.totalTrades,
        winningTrades: report.winningTrades,
        losingTrades: report.losingTrades,
        totalPnl: toDecimalString(report.totalPnl, MONEY_DECIMALS),
        maxDrawdown: report.maxDrawdown,
        sharpeRatio: report.sharpeRatio,
        winRate: report.winRate,
        params: {
          request,
          options,
          strategy: definition,
          finalEquity: toDecimalString(report.finalEquity, MONEY_DECIMALS),
          openPosition: report.openPosition,
          haltedAt: report.haltedAt,
          insufficientCashEntries: report.insufficientCashEntries,
          filteredEntries: report.filteredEntries,
        },
        trades: storedTrades(report),
        equityCurve: downsampleEquity(report.equityCurve, EQUITY_POINTS),
        candles: report.candles,
      });
      job.status = "done";
      job.progress = 1;
      job.resultId = stored.id;
      events.publish(job.userId, {
        type: "backtest_done",
        data: {
          jobId: job.id,
          strategyId: job.strategyId,
          backtestId: stored.id,
          totalTrades: stored.totalTrades,
          totalPnl: stored.totalPnl,
        },
      });
    } catch (error) {
      const failure = isAuraError(error)
        ? {
          code: error.code === "STRATEGY_001" ? error.code : "STRATEGY_003",
          message: error.message,
        }
        : {
          code: "STRATEGY_003",
          message: `Backtest failed: ${error instanceof Error ? error.message : String(error)}`,
        };
      job.status = "failed";
      job.error = failure;
      events.publish(job.userId, {
        type: "backtest_done",
        data: { jobId: job.id, strategyId: job.strategyId, backtestId: null, error: failure },
      });
    }
  }

  #remember(job: BacktestJob & { userId: number }): void {
    this.#jobs.set(job.id, job);
    // Jobs are a short-lived status board (results live in the database): keep the last 200.
    if (this.#jobs.size > 200) {
      for (const [id, j] of this.#jobs) {
        if (j.status === "done" || j.status === "failed") {
          this.#jobs.delete(id);
          if (this.#jobs.size <= 200) break;
        }
      }
    }
  }
}

/**
 * Runs the engine's backtester in a worker, so a long replay neither stalls
 * the HTTP event loop nor holds back its own progress events.
 */
function runInWorker(
  request: BacktestWorkerRequest,
  onProgress: (fraction: number) => void,
): Promise<BacktestReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./_backtest_worker.ts", import.meta.url).href, {
      type: "module",
    });
    worker.onmessage = (e) => {
      const m = e.data as
        | { type: "progress"; fraction: number }
        | { type: "done"; report: BacktestReport }
        | { type: "error"; code: ErrorCode; message: string };
      if (m.type === "progress") return onProgress(m.fraction);
      worker.terminate();
      if (m.type === "done") resolve(m.report);
      else reject(new AuraError(m.code, m.message));
    };
    worker.onerror = (e) => {
      e.preventDefault();
      worker.terminate();
      reject(new AuraError("STRATEGY_003", `Backtest failed: ${e.message}`));
    };
    const s = request.series;
    worker.postMessage(request, [
      s.openTime.buffer,
      s.closeTime.buffer,
      s.open.buffer,
      s.high.buffer,
      s.low.buffer,
      s.close.buffer,
      s.volume.buffer,
    ]);
  });
}

function publicJob(job: BacktestJob & { userId: number }): BacktestJob {
  const { userId: _userId, ...rest } = job;
  return { ...rest };
}
