/**
 * Binance API keys: the secret is write-only (never sent back to the page);
 * after saving, the keys are checked against the exchange and the status is
 * shown — valid, trading allowed, and a warning when withdrawals are enabled.
 *
 * @module
 */
import type { JSX } from "preact";
import { useSignal } from "@preact/signals";
import { api, ApiError } from "../ui/api.ts";
import { useHydrated } from "../ui/hooks.ts";
import { keysReady } from "../ui/shared_state.ts";

/** Key status as the API reports it. */
export interface KeyStatus {
  /** The exchange accepted the keys. */
  valid: boolean;
  /** Spot trading is enabled for them. */
  canTrade: boolean;
  /** Withdrawals are enabled (AURA never needs that). */
  withdrawalsEnabled: boolean;
  /** Why validation failed. */
  error?: string | undefined;
}

/** Props of {@link ApiKeyForm}. */
export interface ApiKeyFormProps {
  /** Masked public key of the stored pair (e.g. "abcd…wxyz"), or null. */
  maskedKey: string | null;
  /** Last known status, if any. */
  status: KeyStatus | null;
}

/** Masks a public API key as the API does (`abcd…wxyz`): the page never holds it whole. */
export function maskKey(key: string): string {
  return key.length <= 8 ? "****" : `${key.slice(0, 4)}…${key.slice(-4)}`;
}

/** API key island. */
export default function ApiKeyForm(props: ApiKeyFormProps): JSX.Element {
  const hydrated = useHydrated();
  const masked = useSignal(props.maskedKey);
  const status = useSignal<KeyStatus | null>(props.status);
  const apiKey = useSignal("");
  const secret = useSignal("");
  const error = useSignal<string | null>(null);
  const busy = useSignal<"save" | "check" | "delete" | null>(null);

  const check = async () => {
    busy.value = "check";
    try {
      status.value = await api<KeyStatus>("GET", "/api/v1/settings/api-keys/status");
      keysReady.value = status.value.valid;
    } catch (e) {
      error.value = e instanceof ApiError ? e.message : "Cannot check the keys right now";
    }
    busy.value = null;
  };

  const save = async (event: Event) => {
    event.preventDefault();
    error.value = null;
    if (!apiKey.value.trim() || !secret.value.trim()) {
      error.value = "Enter both the API key and the secret key";
      return;
    }
    busy.value = "save";
    try {
      await api("POST", "/api/v1/settings/api-keys", {
        apiKey: apiKey.value.trim(),
        secretKey: secret.value.trim(),
      });
      masked.value = maskKey(apiKey.value.trim());
      apiKey.value = "";
      secret.value = "";
      await check();
    } catch (e) {
      error.value = e instanceof ApiError
        ? e.code === "API_001" ? `Binance rejected these keys: ${e.message}` : e.message
        : "Something went wrong; please try again";
    }
    busy.value = null;
  };

  const remove = async () => {
    if (!confirm("Remove the stored Binance keys? Live strategies stop trading.")) return;
    busy.value = "delete";
    try {
      await api("DELETE", "/api/v1/settings/api-keys");
      masked.value = null;
      status.value = null;
      keysReady.value = false;
    } catch (e) {
      error.value = e instanceof ApiError ? e.message : "Something went wrong; please try again";
    }
    busy.value = null;
  };

  const s = status.value;
  return (
    <form method="post" class="card form" onSubmit={save} aria-labelledby="keys-title" noValidate>
      <h2 id="keys-title">Binance API keys</h2>
      {masked.value
        ? (
          <div class="key-status" data-testid="key-status">
            <p>
              Stored key <code>{masked.value}</code>
            </p>
            {s && (
              <ul class="checks">
                <li class={s.valid ? "pos" : "neg"}>{s.valid ? "✓ Valid" : "✗ Not valid"}</li>
                <li class={s.canTrade ? "pos" : "neg"}>
                  {s.canTrade ? "✓ Spot trading enabled" : "✗ Spot trading disabled"}
                </li>
                {s.withdrawalsEnabled && (
                  <li class="warn" role="alert">
                    ⚠ Withdrawals are enabled on this key. AURA never withdraws: disable withdrawals
                    on Binance to limit the damage if the key leaks.
                  </li>
                )}
                {s.error && <li class="neg">{s.error}</li>}
              </ul>
            )}
          </div>
        )
        : (
          <p class="muted" data-testid="no-keys">
            No keys stored yet. Paper trading works without them; live trading needs a key with spot
            trading enabled (and withdrawals disabled).
          </p>
        )}
      <div class="field">
        <label for="api-key">API key</label>
        <input
          id="api-key"
          autocomplete="off"
          spellcheck={false}
          value={apiKey.value}
          onInput={(e) =>
            apiKey.value = (e.target as HTMLInputElement).value}
        />
      </div>
      <div class="field">
        <label for="api-secret">Secret key</label>
        <input
          id="api-secret"
          type="password"
          autocomplete="new-password"
          spellcheck={false}
          value={secret.value}
          onInput={(e) =>
            secret.value = (e.target as HTMLInputElement).value}
          aria-describedby="api-secret-help"
        />
        <p class="hint" id="api-secret-help">
          Stored encrypted and never shown again.
        </p>
      </div>
      {error.value && <p class="alert alert-error" role="alert">{error.value}</p>}
      <div class="form-actions">
        <button class="btn btn-primary" type="submit" disabled={busy.value !== null || !hydrated}>
          {busy.value === "save" ? "Saving…" : masked.value ? "Replace keys" : "Save keys"}
        </button>
        {masked.value && (
          <>
            <button type="button" class="btn" onClick={check} disabled={busy.value !== null}>
              {busy.value === "check" ? "Checking…" : "Check status"}
            </button>
            <button
              type="button"
              class="btn btn-ghost"
              onClick={remove}
              disabled={busy.value !== null}
            >
              Remove
            </button>
          </>
        )}
      </div>
    </form>
  );
}
