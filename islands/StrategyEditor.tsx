/**
 * Create or edit a strategy without code: name, symbol and interval pickers,
 * entry and exit condition builders, risk parameters checked against the
 * symbol's exchange minimums, saved through the strategies API (its
 * STRATEGY_001 issues are shown beside the field they name).
 *
 * @module
 */
import type { JSX } from "preact";
import { useSignal } from "@preact/signals";
import { api, ApiError } from "../ui/api.ts";
import { useHydrated } from "../ui/hooks.ts";
import { strategyActive } from "../ui/shared_state.ts";
import type { SymbolOption } from "../ui/symbols.ts";
import { type ConditionJson, ConditionList, newComparison } from "./_ConditionBuilder.tsx";

/** A strategy definition as the API takes it. */
export interface StrategyDraft {
  /** Name. */
  name: string;
  /** Symbol. */
  symbol: string;
  /** Interval. */
  interval: string;
  /** Entry conditions (all must hold). */
  entryConditions: ConditionJson[];
  /** Exit conditions (all must hold). */
  exitConditions: ConditionJson[];
  /** Risk parameters. */
  riskParams: {
    positionSizeUsd: number;
    takeProfitPercent: number;
    stopLossPercent: number;
    maxDrawdownPercent: number;
  };
}

/** Props of {@link StrategyEditor}. */
export interface StrategyEditorProps {
  /** Strategy id when editing; null when creating. */
  id: number | null;
  /** The definition to start from. */
  initial: StrategyDraft;
  /** Whether it is running (the API refuses edits until it is deactivated). */
  isActive: boolean;
  /** Symbols with their minimums. */
  symbols: SymbolOption[];
  /** Allowed intervals. */
  intervals: string[];
}

/** A sensible starting definition. */
export function defaultDraft(): StrategyDraft {
  return {
    name: "",
    symbol: "BTCUSDT",
    interval: "1h",
    entryConditions: [newComparison()],
    exitConditions: [{ left: { indicator: "RSI", period: 14 }, op: ">", right: { value: 70 } }],
    riskParams: {
      positionSizeUsd: 100,
      takeProfitPercent: 3,
      stopLossPercent: 1.5,
      maxDrawdownPercent: 20,
    },
  };
}

type Risk = keyof StrategyDraft["riskParams"];

/** Client-side checks (the API re-checks everything); keys are JSON paths. */
export function draftProblems(
  d: StrategyDraft,
  sym: SymbolOption | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (!d.name.trim()) out.name = "Give the strategy a name";
  if (!d.entryConditions.length) out.entryConditions = "Add at least one entry condition";
  const r = d.riskParams;
  if (!(r.positionSizeUsd > 0)) out["riskParams.positionSizeUsd"] = "Must be above 0";
  else if (sym && r.positionSizeUsd < Number(sym.minNotional)) {
    out["riskParams.positionSizeUsd"] =
      `Must be at least ${sym.minNotional} USDT, the exchange's minimum order for ${sym.symbol}`;
  }
  if (!(r.takeProfitPercent > 0)) out["riskParams.takeProfitPercent"] = "Must be above 0";
  if (!(r.stopLossPercent > 0 && r.stopLossPercent < 100)) {
    out["riskParams.stopLossPercent"] = "Must be above 0 and below 100";
  }
  if (!(r.maxDrawdownPercent > 0 && r.maxDrawdownPercent <= 100)) {
    out["riskParams.maxDrawdownPercent"] = "Must be above 0 and at most 100";
  }
  return out;
}

const RISK_FIELDS: [Risk, string, string][] = [
  ["positionSizeUsd", "Position size (USDT)", "Spent on each entry"],
  ["takeProfitPercent", "Take-profit (%)", "Above the entry price"],
  ["stopLossPercent", "Stop-loss (%)", "Below the entry price"],
  ["maxDrawdownPercent", "Max drawdown (%)", "Halts the strategy when equity falls this far"],
];

function under(issues: Record<string, string>, prefix: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(issues).filter(([p]) => p.startsWith(`${prefix}[`)).map((
      [p, m],
    ) => [p.slice(prefix.length), m]),
  );
}

/** Strategy editor island. */
export default function StrategyEditor(props: StrategyEditorProps): JSX.Element {
  const hydrated = useHydrated();
  const draft = useSignal<StrategyDraft>(props.initial);
  const issues = useSignal<Record<string, string>>({});
  const error = useSignal<string | null>(null);
  const saved = useSignal<string | null>(null);
  const busy = useSignal(false);
  const d = draft.value;
  const isActive = strategyActive.value ?? props.isActive;
  const sym = props.symbols.find((s) => s.symbol === d.symbol);
  const update = (patch: Partial<StrategyDraft>) => {
    draft.value = { ...draft.value, ...patch };
    saved.value = null;
  };
  const setRisk = (key: Risk, v: number) =>
    update({ riskParams: { ...draft.value.riskParams, [key]: v } });

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    error.value = null;
    const local = draftProblems(draft.value, sym);
    issues.value = local;
    if (Object.keys(local).length) {
      error.value = "Please correct the highlighted fields";
      return;
    }
    busy.value = true;
    try {
      const body = { ...draft.value, name: draft.value.name.trim() };
      if (props.id === null) {
        const created = await api<{ id?: number; strategy?: { id: number } }>(
          "POST",
          "/api/v1/strategies",
          body,
        );
        location.assign(`/strategies/${created.id ?? created.strategy?.id}`);
        return;
      }
      await api("PUT", `/api/v1/strategies/${props.id}`, body);
      saved.value = "Saved";
    } catch (e) {
      if (e instanceof ApiError) {
        issues.value = Object.fromEntries(e.issues.map((i) => [i.path, i.message]));
        error.value = e.issues.length
          ? "The strategy is invalid: see the marked fields"
          : e.message;
      } else error.value = "Something went wrong; please try again";
    }
    busy.value = false;
  };

  const risk = d.riskParams;
  const fieldError = (path: string) =>
    issues.value[path] && <p class="field-error" role="alert">{issues.value[path]}</p>;

  return (
    <form
      method="post"
      class="card form editor"
      onSubmit={onSubmit}
      noValidate
      aria-label="Strategy"
    >
      {isActive && (
        <p class="alert alert-warn">
          This strategy is running: deactivate it before changing its rules.
        </p>
      )}
      <div class="grid-3">
        <div class="field">
          <label for="strategy-name">Name</label>
          <input
            id="strategy-name"
            maxLength={100}
            value={d.name}
            onInput={(e) => update({ name: (e.target as HTMLInputElement).value })}
            aria-invalid={issues.value.name ? "true" : undefined}
          />
          {fieldError("name")}
        </div>
        <div class="field">
          <label for="strategy-symbol">Symbol</label>
          <select
            id="strategy-symbol"
            value={d.symbol}
            onChange={(e) => update({ symbol: (e.target as HTMLSelectElement).value })}
          >
            {props.symbols.map((s) => <option key={s.symbol} value={s.symbol}>{s.symbol}</option>)}
          </select>
          {sym && (
            <p class="hint" data-testid="min-order">
              Minimum order: {sym.minNotional} USDT and {sym.minQty} {sym.baseAsset}
            </p>
          )}
        </div>
        <div class="field">
          <label for="strategy-interval">Interval</label>
          <select
            id="strategy-interval"
            value={d.interval}
            onChange={(e) => update({ interval: (e.target as HTMLSelectElement).value })}
          >
            {props.intervals.map((i) => <option key={i} value={i}>{i}</option>)}
          </select>
        </div>
      </div>

      <fieldset class="block">
        <legend>Enter when all of these hold on a closed candle</legend>
        <ConditionList
          id="entry"
          label="Entry"
          value={d.entryConditions}
          onChange={(entryConditions) => update({ entryConditions })}
          issues={under(issues.value, "entryConditions")}
        />
        {fieldError("entryConditions")}
      </fieldset>
      <fieldset class="block">
        <legend>Exit when all of these hold (take-profit and stop-loss always apply)</legend>
        <ConditionList
          id="exit"
          label="Exit"
          value={d.exitConditions}
          onChange={(exitConditions) => update({ exitConditions })}
          issues={under(issues.value, "exitConditions")}
        />
      </fieldset>

      <fieldset class="block">
        <legend>Risk</legend>
        <div class="grid-4">
          {RISK_FIELDS.map(([key, label, hint]) => {
            const path = `riskParams.${key}`;
            return (
              <div class="field">
                <label for={`risk-${key}`}>{label}</label>
                <input
                  id={`risk-${key}`}
                  type="number"
                  step="any"
                  min={0}
                  value={risk[key]}
                  onInput={(e) => setRisk(key, (e.target as HTMLInputElement).valueAsNumber)}
                  aria-invalid={issues.value[path] ? "true" : undefined}
                  aria-describedby={`risk-${key}-help`}
                />
                <p
                  class={issues.value[path] ? "field-error" : "hint"}
                  id={`risk-${key}-help`}
                >
                  {issues.value[path] ?? hint}
                </p>
              </div>
            );
          })}
        </div>
      </fieldset>

      {error.value && <p class="alert alert-error" role="alert">{error.value}</p>}
      <div class="form-actions">
        <button
          class="btn btn-primary"
          type="submit"
          disabled={busy.value || isActive || !hydrated}
        >
          {busy.value ? "Saving…" : props.id === null ? "Create strategy" : "Save changes"}
        </button>
        {saved.value && <span class="pos" role="status">{saved.value}</span>}
      </div>
    </form>
  );
}
