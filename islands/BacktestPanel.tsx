/**
 * Runs a backtest of the strategy over a date range: starts the job through
 * the API, shows its progress (SSE `backtest_progress`, with polling as a
 * fallback) and opens the result page when it is done.
 *
 * @module
 */
import type { JSX } from "preact";
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { api, ApiError } from "../ui/api.ts";
import { useHydrated } from "../ui/hooks.ts";
import { subscribeEvents } from "../ui/events.ts";

/** Props of {@link BacktestPanel}. */
export interface BacktestPanelProps {
  /** Strategy id. */
  strategyId: number;
  /** Default start date (YYYY-MM-DD). */
  defaultFrom: string;
  /** Default end date (YYYY-MM-DD). */
  defaultTo: string;
}

type Job = Record<string, unknown>;

/** The result id of a finished job, whatever the API names it. */
export function resultIdOf(job: Job): number | null {
  const r = job.result as Job | undefined;
  const id = job.backtestId ?? job.resultId ?? r?.id ?? (job.status ? undefined : job.id);
  return id === undefined || id === null ? null : Number(id);
}

/** Progress in 0–1 from a job or event, whatever the API names it. */
export function fractionOf(job: Job): number | null {
  const v = job.progress ?? job.fraction ?? job.percent;
  if (typeof v !== "number") return null;
  return v > 1 ? v / 100 : v;
}

/** Backtest runner island. */
export default function BacktestPanel(props: BacktestPanelProps): JSX.Element {
  const hydrated = useHydrated();
  const from = useSignal(props.defaultFrom);
  const to = useSignal(props.defaultTo);
  const balance = useSignal(10_000);
  const feePercent = useSignal(0.1);
  const slippageBps = useSignal(0);
  const progress = useSignal<number | null>(null);
  const error = useSignal<string | null>(null);
  const jobId = useRef<string | null>(null);
  const timer = useRef<ReturnType<typeof setInterval> | null>(null);

  const finish = (id: number) => {
    progress.value = 1;
    stop();
    location.assign(`/backtests/${id}`);
  };
  const fail = (message: string) => {
    stop();
    progress.value = null;
    error.value = message;
  };
  const stop = () => {
    if (timer.current !== null) clearInterval(timer.current);
    timer.current = null;
  };

  useEffect(() => {
    const mine = (d: Job) => jobId.current !== null && String(d.jobId) === jobId.current;
    const unsubscribe = subscribeEvents({
      backtest_progress: (d) => {
        const f = fractionOf(d);
        if (mine(d) && f !== null) progress.value = Math.max(progress.value ?? 0, f);
      },
      backtest_done: (d) => {
        if (!mine(d)) return;
        if (d.error) fail(String((d.error as Job).message ?? d.error));
        const id = resultIdOf(d);
        if (id !== null) finish(id);
      },
    });
    return () => {
      unsubscribe();
      stop();
    };
  }, []);

  const poll = async () => {
    if (!jobId.current) return;
    try {
      const job = await api<Job>("GET", `/api/v1/backtests/jobs/${jobId.current}`);
      const f = fractionOf(job);
      if (f !== null) progress.value = Math.max(progress.value ?? 0, f);
      if (job.status === "failed" || job.status === "error") {
        const err = job.error as Job | string | undefined;
        fail(typeof err === "string" ? err : String(err?.message ?? "The backtest failed"));
      }
      const id = resultIdOf(job);
      if (id !== null && (job.status === "done" || job.status === "completed")) finish(id);
    } catch {
      // Progress also arrives over SSE; a failed poll is retried on the next tick.
    }
  };

  const run = async (event: Event) => {
    event.preventDefault();
    error.value = null;
    if (!from.value || !to.value || from.value >= to.value) {
      error.value = "Choose a start date before the end date";
      return;
    }
    if (!(balance.value > 0) || !(feePercent.value >= 0) || !(slippageBps.value >= 0)) {
      error.value = "Balance must be above 0; fee and slippage cannot be negative";
      return;
    }
    progress.value = 0;
    try {
      const res = await api<Job>("POST", `/api/v1/strategies/${props.strategyId}/backtest`, {
        from: new Date(`${from.value}T00:00:00Z`).toISOString(),
        to: new Date(`${to.value}T00:00:00Z`).toISOString(),
        initialBalance: balance.value,
        fee: feePercent.value / 100,
        slippageBps: slippageBps.value,
      });
      if (res.jobId) {
        jobId.current = String(res.jobId);
        timer.current = setInterval(poll, 1000);
        return;
      }
      const id = resultIdOf(res);
      if (id !== null) finish(id);
      else fail("The server did not return a result");
    } catch (e) {
      fail(e instanceof ApiError ? e.message : "Something went wrong; please try again");
    }
  };

  const running = progress.value !== null;
  return (
    <form method="post" class="card form backtest" onSubmit={run} aria-labelledby="backtest-title">
      <h2 id="backtest-title">Backtest</h2>
      <div class="grid-3">
        <div class="field">
          <label for="backtest-from">From</label>
          <input
            id="backtest-from"
            type="date"
            value={from.value}
            onInput={(e) =>
              from.value = (e.target as HTMLInputElement).value}
          />
        </div>
        <div class="field">
          <label for="backtest-to">To</label>
          <input
            id="backtest-to"
            type="date"
            value={to.value}
            onInput={(e) =>
              to.value = (e.target as HTMLInputElement).value}
          />
        </div>
        <div class="field field-end">
          <button class="btn btn-primary" type="submit" disabled={running || !hydrated}>
            {running ? "Running…" : "Run backtest"}
          </button>
        </div>
      </div>
      <details class="options">
        <summary>Options</summary>
        <div class="grid-3">
          <div class="field">
            <label for="backtest-balance">Starting balance (USDT)</label>
            <input
              id="backtest-balance"
              type="number"
              min={1}
              step="any"
              value={balance.value}
              onInput={(e) =>
                balance.value = (e.target as HTMLInputElement).valueAsNumber}
            />
          </div>
          <div class="field">
            <label for="backtest-fee">Fee per side (%)</label>
            <input
              id="backtest-fee"
              type="number"
              min={0}
              max={10}
              step="any"
              value={feePercent.value}
              onInput={(e) =>
                feePercent.value = (e.target as HTMLInputElement).valueAsNumber}
            />
          </div>
          <div class="field">
            <label for="backtest-slippage">Slippage (bps)</label>
            <input
              id="backtest-slippage"
              type="number"
              min={0}
              max={1000}
              step="any"
              value={slippageBps.value}
              onInput={(e) => slippageBps.value = (e.target as HTMLInputElement).valueAsNumber}
            />
          </div>
        </div>
      </details>
      {running && (
        <div class="progress-wrap">
          <progress
            max={100}
            value={Math.round((progress.value ?? 0) * 100)}
            aria-label="Backtest progress"
          />
          <span>{Math.round((progress.value ?? 0) * 100)}%</span>
        </div>
      )}
      {error.value && <p class="alert alert-error" role="alert">{error.value}</p>}
    </form>
  );
}
