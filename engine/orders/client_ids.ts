/**
 * Deterministic client order ids derived from a signal id, so a retried or
 * recovered command finds the order it already sent (query by client id)
 * instead of sending a second one.
 *
 * Shape: `au-<hash>-<role>[<attempt>]`, where `<hash>` is the 64-bit FNV-1a
 * hash of the signal id in base 36 (at most 13 characters) and `<role>` is `E`
 * entry, `O` OCO list, `T` take-profit leg, `S` stop-loss leg, `X` market exit.
 * The longest id (`au-` + 13 + `-X` + a 3-digit attempt) is 21 characters,
 * within Binance's `^[a-zA-Z0-9-_]{1,36}$`.
 *
 * @module
 */

/** Which order of a trade a client id names. */
export type ClientIdRole = "E" | "O" | "T" | "S" | "X";

/** The client ids of every order one signal can lead to. */
export interface TradeClientIds {
  /** Market buy entry. */
  entry: string;
  /** OCO order list (`listClientOrderId`). */
  ocoList: string;
  /** Take-profit leg (LIMIT_MAKER, `aboveClientOrderId`). */
  takeProfit: string;
  /** Stop-loss leg (STOP_LOSS_LIMIT, `belowClientOrderId`). */
  stopLoss: string;
  /** Market sell exit. */
  exit: string;
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = (1n << 64n) - 1n;

/** 64-bit FNV-1a of the UTF-8 bytes of `text`, in base 36. */
export function stableHash(text: string): string {
  let hash = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(text)) {
    hash = ((hash ^ BigInt(byte)) * FNV_PRIME) & MASK_64;
  }
  return hash.toString(36);
}

/**
 * The client id of one order for `signalId`. `attempt` (0 by default) tells
 * apart a deliberate re-placement, e.g. a new OCO after a cancelled one.
 */
export function clientOrderId(signalId: string, role: ClientIdRole, attempt = 0): string {
  if (!Number.isInteger(attempt) || attempt < 0 || attempt > 999) {
    throw new RangeError(`Cannot derive a client id for attempt ${attempt}: use 0..999`);
  }
  return `au-${stableHash(signalId)}-${role}${attempt === 0 ? "" : attempt}`;
}

/** All client ids for `signalId` (see {@link clientOrderId}). */
export function tradeClientIds(signalId: string, attempt = 0): TradeClientIds {
  return {
    entry: clientOrderId(signalId, "E", attempt),
    ocoList: clientOrderId(signalId, "O", attempt),
    takeProfit: clientOrderId(signalId, "T", attempt),
    stopLoss: clientOrderId(signalId, "S", attempt),
    exit: clientOrderId(signalId, "X", attempt),
  };
}
