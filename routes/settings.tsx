/**
 * GET /settings: Binance API keys (secret write-only, status shown), trading
 * mode and preferences.
 *
 * @module
 */
import { getActiveApiKey } from "../db/api_keys.ts";
import { INTERVALS } from "../engine/candle.ts";
import ApiKeyForm, { type KeyStatus } from "../islands/ApiKeyForm.tsx";
import { maskApiKey } from "../services/api_keys.ts";
import SettingsForm from "../islands/SettingsForm.tsx";
import { Island } from "../ui/island.tsx";
import { symbolOptions } from "../ui/symbols.ts";
import type { PageContext, PageResult } from "../ui/page.ts";

/** Only the status fields the page may show (never the stored secret). */
function statusOf(raw: Record<string, unknown> | null): KeyStatus | null {
  if (!raw) return null;
  return {
    valid: raw.valid === true,
    canTrade: raw.canTrade === true,
    withdrawalsEnabled: raw.withdrawalsEnabled === true,
    error: typeof raw.error === "string" ? raw.error : undefined,
  };
}

/** Renders the settings page. */
export async function handler(ctx: PageContext): Promise<PageResult> {
  const key = await getActiveApiKey(ctx.deps.db, ctx.user.id);
  const status = statusOf(key?.lastStatus ?? null);
  return {
    title: "Settings",
    body: (
      <>
        <div class="page-head">
          <h1>Settings</h1>
        </div>
        <div class="grid-2">
          <Island
            name="ApiKeyForm"
            component={ApiKeyForm}
            props={{ maskedKey: key ? maskApiKey(key.apiKey) : null, status }}
          />
          <Island
            name="SettingsForm"
            component={SettingsForm}
            props={{
              tradingMode: ctx.user.tradingMode,
              preferences: ctx.user.preferences,
              keysReady: key !== null && status?.valid !== false,
              intervals: INTERVALS.filter((i) => i !== "1s"),
              symbols: symbolOptions().map((s) => s.symbol),
            }}
          />
        </div>
      </>
    ),
  };
}
