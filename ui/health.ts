/**
 * Pipeline health as the dashboard shows it, from the same named checks
 * /health and the SSE `hello` event report (`{ ok, detail }` per check).
 * No server imports: the dashboard island uses it too.
 *
 * @module
 */

/** Pipeline health as the dashboard shows it. */
export interface PipelineHealth {
  /** Whether the market-data stream is connected. */
  marketData: "connected" | "disconnected" | "unknown";
  /** Close time (ms) of the last candle received, if known. */
  lastCandleTime: number | null;
  /** Exchange status. */
  exchange: "ok" | "degraded" | "down" | "unknown";
  /** Free-text detail from the checks (never secrets). */
  detail?: string | undefined;
}

/** One check's result. */
export interface CheckResult {
  /** Healthy. */
  ok: boolean;
  /** Detail, e.g. "bus memory, 2 strategies, 1 streams". */
  detail?: string | undefined;
}

/**
 * Maps named checks to the dashboard's view: `pipeline` (the engine: stream,
 * strategies, execution) and `exchange`/`binance`/`market*` when present.
 * Without any of them (a web-only process, or no engine yet) it says unknown.
 */
export function healthFromChecks(checks: Record<string, CheckResult | undefined>): PipelineHealth {
  const find = (re: RegExp) => Object.entries(checks).find(([name]) => re.test(name))?.[1];
  const market = find(/market|ingest|stream/i) ?? find(/pipeline|engine/i);
  const exchange = find(/exchange|binance/i) ?? find(/pipeline|engine/i);
  const detail = Object.entries(checks)
    .filter(([name]) => name !== "database")
    .map(([name, r]) => `${name}: ${r?.ok ? "ok" : "failing"}${r?.detail ? ` (${r.detail})` : ""}`)
    .join("; ");
  return {
    marketData: market === undefined ? "unknown" : market.ok ? "connected" : "disconnected",
    lastCandleTime: null,
    exchange: exchange === undefined ? "unknown" : exchange.ok ? "ok" : "down",
    detail: detail || undefined,
  };
}
