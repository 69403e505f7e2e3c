/**
 * Activate / deactivate a strategy, always through a confirmation dialog —
 * and in live mode a plain warning that real orders will be placed with real
 * funds (refused up front when no valid keys are stored).
 *
 * @module
 */
import type { JSX } from "preact";
import { useSignal } from "@preact/signals";
import { useRef } from "preact/hooks";
import { api, ApiError } from "../ui/api.ts";
import { strategyActive } from "../ui/shared_state.ts";

/** Props of {@link StrategyControls}. */
export interface StrategyControlsProps {
  /** Strategy id. */
  id: number;
  /** Strategy name. */
  name: string;
  /** Whether it runs. */
  isActive: boolean;
  /** Halt reason when the drawdown breaker stopped it. */
  haltReason: string | null;
  /** The user's trading mode. */
  mode: "paper" | "live";
  /** Whether valid Binance keys are stored (needed for live). */
  keysReady: boolean;
}

/** Activation controls island. */
export default function StrategyControls(props: StrategyControlsProps): JSX.Element {
  const active = useSignal(props.isActive);
  const error = useSignal<string | null>(null);
  const busy = useSignal(false);
  const dialog = useRef<HTMLDialogElement>(null);
  const live = props.mode === "live";
  const blocked = live && !props.keysReady && !active.value;

  const remove = async () => {
    if (!globalThis.confirm(`Delete “${props.name}” with its backtests and trade history?`)) return;
    busy.value = true;
    error.value = null;
    try {
      await api("DELETE", `/api/v1/strategies/${props.id}`);
      location.assign("/strategies");
    } catch (e) {
      // 409 while a position is open: the API says so in words.
      error.value = e instanceof ApiError ? e.message : "Something went wrong; please try again";
      busy.value = false;
    }
  };

  const confirm = async () => {
    busy.value = true;
    error.value = null;
    const action = active.value ? "deactivate" : "activate";
    try {
      await api("POST", `/api/v1/strategies/${props.id}/${action}`);
      active.value = !active.value;
      strategyActive.value = active.value;
      dialog.current?.close();
    } catch (e) {
      error.value = e instanceof ApiError ? e.message : "Something went wrong; please try again";
    }
    busy.value = false;
  };

  return (
    <div class="controls">
      <p class="status-line">
        Status:{" "}
        <strong data-testid="strategy-status" class={active.value ? "pos" : "muted"}>
          {active.value ? `Active (${live ? "live" : "paper"})` : "Inactive"}
        </strong>
        {props.haltReason && !active.value && <span class="neg">— halted: {props.haltReason}</span>}
      </p>
      {blocked && (
        <p class="alert alert-warn">
          Live mode needs valid Binance API keys. <a href="/settings">Add them in Settings</a>{" "}
          or switch to paper mode.
        </p>
      )}
      <button
        type="button"
        class={active.value ? "btn" : "btn btn-primary"}
        disabled={blocked}
        onClick={() => {
          error.value = null;
          dialog.current?.showModal();
        }}
      >
        {active.value ? "Deactivate" : live ? "Activate (live)" : "Activate (paper)"}
      </button>
      {!active.value && (
        <button type="button" class="btn btn-ghost btn-sm" onClick={remove} disabled={busy.value}>
          Delete strategy
        </button>
      )}
      {error.value && !dialog.current?.open && (
        <p class="alert alert-error" role="alert">{error.value}</p>
      )}
      <dialog ref={dialog} class="dialog" aria-labelledby={`confirm-${props.id}`}>
        <h2 id={`confirm-${props.id}`}>
          {active.value ? `Deactivate “${props.name}”?` : `Activate “${props.name}”?`}
        </h2>
        {active.value
          ? (
            <p>
              It stops evaluating new candles. An open position keeps its take-profit and stop-loss
              orders.
            </p>
          )
          : live
          ? (
            <p class="alert alert-error">
              Live trading: this strategy will place REAL orders on Binance with your funds,{" "}
              sized at its position size on every entry signal. Losses are possible.
            </p>
          )
          : <p>Paper mode: orders are simulated against live prices; no real funds are used.</p>}
        {error.value && <p class="alert alert-error" role="alert">{error.value}</p>}
        <div class="form-actions">
          <button
            type="button"
            class={live && !active.value ? "btn btn-danger" : "btn btn-primary"}
            onClick={confirm}
            disabled={busy.value}
          >
            {active.value ? "Deactivate" : live ? "Yes, trade live" : "Activate"}
          </button>
          <button type="button" class="btn btn-ghost" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </div>
      </dialog>
    </div>
  );
}
