/**
 * The two vocabularies of OCO legs: the Exchange port says `TAKE_PROFIT` /
 * `STOP_LOSS` (Binance's order roles), the bus events (engine/events.ts) say
 * `TP` / `SL`, and trades say `CLOSED_TP` / `CLOSED_SL`. The mapping lives
 * here once so neither module has to rename its types.
 *
 * @module
 */

import type { OcoLeg } from "../ports/exchange.ts";

/** A leg as engine/events.ts names it. */
export type EventLeg = "TP" | "SL";

/** `TAKE_PROFIT` → `TP`, `STOP_LOSS` → `SL`. */
export function toEventLeg(leg: OcoLeg): EventLeg {
  return leg === "TAKE_PROFIT" ? "TP" : "SL";
}

/** The trade status a filled leg closes with. */
export function closeStatusOf(leg: OcoLeg | EventLeg): "CLOSED_TP" | "CLOSED_SL" {
  return leg === "TAKE_PROFIT" || leg === "TP" ? "CLOSED_TP" : "CLOSED_SL";
}
