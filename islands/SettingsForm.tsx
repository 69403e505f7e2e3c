/**
 * Trading mode (paper / live, with a clear warning before live) and
 * preferences, saved through PUT /api/v1/settings.
 *
 * @module
 */
import type { JSX } from "preact";
import { useSignal } from "@preact/signals";
import { api, ApiError } from "../ui/api.ts";
import { useHydrated } from "../ui/hooks.ts";
import { keysReady } from "../ui/shared_state.ts";

/** Props of {@link SettingsForm}. */
export interface SettingsFormProps {
  /** Current mode. */
  tradingMode: "paper" | "live";
  /** Current preferences. */
  preferences: Record<string, unknown>;
  /** Whether valid keys are stored (live needs them). */
  keysReady: boolean;
  /** Intervals to offer as the default. */
  intervals: string[];
  /** Symbols to offer as the default. */
  symbols: string[];
}

/** Settings island. */
export default function SettingsForm(props: SettingsFormProps): JSX.Element {
  const hydrated = useHydrated();
  const mode = useSignal(props.tradingMode);
  const symbol = useSignal(String(props.preferences.defaultSymbol ?? "BTCUSDT"));
  const interval = useSignal(String(props.preferences.defaultInterval ?? "1h"));
  const error = useSignal<string | null>(null);
  const saved = useSignal(false);
  const busy = useSignal(false);

  const ready = keysReady.value ?? props.keysReady;

  const save = async (event: Event) => {
    event.preventDefault();
    error.value = null;
    saved.value = false;
    if (mode.value === "live" && props.tradingMode !== "live") {
      const ok = confirm(
        "Switch to LIVE trading? Active strategies will place real orders on Binance with your funds.",
      );
      if (!ok) return;
    }
    busy.value = true;
    try {
      await api("PUT", "/api/v1/settings", {
        tradingMode: mode.value,
        preferences: {
          ...props.preferences,
          defaultSymbol: symbol.value,
          defaultInterval: interval.value,
        },
      });
      saved.value = true;
      if (mode.value !== props.tradingMode) location.reload();
    } catch (e) {
      error.value = e instanceof ApiError ? e.message : "Something went wrong; please try again";
    }
    busy.value = false;
  };

  return (
    <form method="post" class="card form" onSubmit={save} aria-labelledby="mode-title">
      <h2 id="mode-title">Trading mode</h2>
      <fieldset class="radio-group">
        <legend class="sr-only">Trading mode</legend>
        <label class="radio">
          <input
            type="radio"
            name="mode"
            value="paper"
            checked={mode.value === "paper"}
            onChange={() => mode.value = "paper"}
          />
          <span>
            <strong>Paper</strong> — simulated orders against live prices
          </span>
        </label>
        <label class="radio">
          <input
            type="radio"
            name="mode"
            value="live"
            checked={mode.value === "live"}
            disabled={!ready && props.tradingMode !== "live"}
            onChange={() => mode.value = "live"}
          />
          <span>
            <strong>Live</strong> — real orders on Binance with your funds
          </span>
        </label>
      </fieldset>
      {!ready && <p class="hint">Live mode becomes available once valid API keys are stored.</p>}
      {mode.value === "live" && (
        <p class="alert alert-error" role="alert">
          Live mode: active strategies trade real funds. Start with a small position size.
        </p>
      )}
      <h2>Preferences</h2>
      <div class="grid-2">
        <div class="field">
          <label for="pref-symbol">Default symbol</label>
          <select
            id="pref-symbol"
            value={symbol.value}
            onChange={(e) => symbol.value = (e.target as HTMLSelectElement).value}
          >
            {props.symbols.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="pref-interval">Default interval</label>
          <select
            id="pref-interval"
            value={interval.value}
            onChange={(e) => interval.value = (e.target as HTMLSelectElement).value}
          >
            {props.intervals.map((i) => <option key={i} value={i}>{i}</option>)}
          </select>
        </div>
      </div>
      {error.value && <p class="alert alert-error" role="alert">{error.value}</p>}
      <div class="form-actions">
        <button class="btn btn-primary" type="submit" disabled={busy.value || !hydrated}>
          {busy.value ? "Saving…" : "Save settings"}
        </button>
        {saved.value && <span class="pos" role="status">Saved</span>}
      </div>
    </form>
  );
}
