/**
 * Display formatting shared by server components and islands. Inputs are the
 * API's decimal strings (or numbers from statistics); output is text only.
 *
 * @module
 */

/** Formats a quote amount: `"1234.5"` → `"1,234.50"`; `null` → `"—"`. */
export function money(value: string | number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || value === "") return "—";
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) return "—";
  return n.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** Formats a signed amount with an explicit sign: `"+12.30"`, `"−4.00"`. */
export function signedMoney(value: string | number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || value === "") return "—";
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) return "—";
  const abs = money(Math.abs(n), digits);
  return n > 0 ? `+${abs}` : n < 0 ? `−${abs}` : abs;
}

/** Formats a price keeping the exchange's precision (up to 8 decimals, trailing zeros dropped). */
export function price(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) return "—";
  const digits = n >= 1000 ? 2 : n >= 1 ? 4 : 8;
  return n.toLocaleString("en-US", { maximumFractionDigits: digits });
}

/** Formats a percentage: `12.345` → `"12.35%"`. */
export function percent(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return `${value.toFixed(digits)}%`;
}

/** CSS class for a signed figure: `pos`, `neg` or `flat`. */
export function tone(value: string | number | null | undefined): "pos" | "neg" | "flat" {
  const n = typeof value === "number" ? value : Number(value ?? 0);
  return n > 0 ? "pos" : n < 0 ? "neg" : "flat";
}

/** Formats a time in UTC: `"2026-11-24 06:40"` (ms, ISO string or Date). */
export function dateTime(value: number | string | Date | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return "—";
  return d.toISOString().slice(0, 16).replace("T", " ");
}

/** Formats a date in UTC: `"2026-11-24"`. */
export function dateOnly(value: number | string | Date | null | undefined): string {
  return dateTime(value).slice(0, 10);
}

/** Human label of a trade status. */
export function statusLabel(status: string): string {
  const labels: Record<string, string> = {
    OPEN: "Open",
    CLOSED_TP: "Take-profit",
    CLOSED_SL: "Stop-loss",
    CLOSED_SIGNAL: "Exit signal",
    CLOSED_MANUAL: "Manual",
    CLOSED_DUST: "Dust (unsellable)",
    FAILED: "Failed",
  };
  return labels[status] ?? status;
}
