/**
 * Discovery: entries of AURA's on the exchange that no intent names.
 *
 * The intent journal reaches the disk just after each entry is sent
 * (services/_intent_journal.ts). A process crash loses nothing (the page
 * cache survives it), but a power loss or kernel crash in those few
 * milliseconds can lose the journal line of an order that did leave. Client
 * ids are deterministic — `au-<hash of "<strategy>:<candle close>:ENTRY">-E`
 * — so after an unclean stop, start-up lists each live account's orders
 * over the window the marker bounds (services/_run_marker.ts), recomputes
 * the client ids its strategies could have used, and records every match
 * as a PENDING ENTRY intent. Reconciliation then treats it like any entry
 * in doubt: adopts the fill and protects the position with its OCO.
 *
 * Paper accounts need none of this: a paper entry in flight when the
 * process died never happened (services/exchange_factory.ts).
 *
 * @module
 */

import type { Db } from "../db/port.ts";
import { restoreIntents } from "../db/order_intents.ts";
import { INTERVAL_MS } from "../engine/candle.ts";
import { clientOrderId } from "../engine/orders/client_ids.ts";
import type { Exchange, Order } from "../engine/ports/exchange.ts";
import { createLogger } from "../logger.ts";
import type { ExchangeFactory } from "./exchange_factory.ts";
import type { DiscoveryWindow } from "./_run_marker.ts";

const log = createLogger("discovery");

/** How far before its order a candle is searched for, ms (a late or caught-up signal). */
export const CANDLE_LOOKBACK_MS = 6 * 60 * 60 * 1000;

/** Client ids of entries (attempt 0), the only orders whose intent can be lost. */
const ENTRY_ID = /^au-[0-9a-z]{1,13}-E$/;

/** What discovery needs. */
export interface DiscoveryDeps {
  /** Strategies and intents. */
  db: Db;
  /** Each user's live exchange. */
  exchanges: Pick<ExchangeFactory, "forUser">;
  /** Whether this process executes for a user (its engine shard). */
  owns?: (userId: number) => boolean;
}

/** An entry found on the exchange and recorded as a PENDING intent. */
export interface DiscoveredEntry {
  /** Its user. */
  userId: number;
  /** The strategy whose signal it was. */
  strategyId: number;
  /** The signal id its client id was derived from. */
  signalId: string;
  /** The order's client id. */
  clientOrderId: string;
  /** Symbol. */
  symbol: string;
}

interface StrategyRow {
  id: number;
  userId: number;
  symbol: string;
  interval: string;
  riskParams: Record<string, unknown>;
}

/**
 * Lists the orders of every live account that had strategies during
 * `since..until` (Unix ms, at most 24 h), and records those of AURA's that
 * no intent names. Accounts without live keys are skipped; when an exchange
 * cannot be asked, the others are still searched, then it throws (the
 * caller tries the window again later).
 */
export async function discoverEntries(
  deps: DiscoveryDeps,
  window: DiscoveryWindow,
): Promise<DiscoveredEntry[]> {
  const owns = deps.owns ?? (() => true);
  const rows = await deps.db.query(
    `SELECT s.id, s.user_id, s.symbol, s.interval, s.risk_params FROM strategies s
     WHERE s.is_active OR s.updated_at >= to_timestamp($1::float8 / 1000.0)
        OR EXISTS (SELECT 1 FROM trades t WHERE t.strategy_id = s.id
                   AND t.created_at >= to_timestamp($1::float8 / 1000.0))
     ORDER BY s.user_id, s.symbol, s.id`,
    [window.since],
  );
  const byAccount = new Map<number, Map<string, StrategyRow[]>>();
  for (const row of rows) {
    const strategy: StrategyRow = {
      id: Number(row.id),
      userId: Number(row.user_id),
      symbol: String(row.symbol),
      interval: String(row.interval),
      riskParams: (row.risk_params ?? {}) as Record<string, unknown>,
    };
    if (!owns(strategy.userId)) continue;
    const symbols = byAccount.get(strategy.userId) ?? new Map<string, StrategyRow[]>();
    symbols.set(strategy.symbol, [...(symbols.get(strategy.symbol) ?? []), strategy]);
    byAccount.set(strategy.userId, symbols);
  }
  const found: DiscoveredEntry[] = [];
  const failures: unknown[] = [];
  for (const [userId, symbols] of byAccount) {
    let handle;
    try {
      handle = await deps.exchanges.forUser(userId, false);
    } catch {
      continue; // no live keys: nothing of this user's can be on the exchange
    }
    try {
      found.push(...await discoverAccount(deps.db, handle.exchange, userId, symbols, window));
    } catch (error) {
      failures.push(error);
    }
  }
  if (found.length > 0) {
    log.warn("Entries found on the exchange without an intent; reconciliation adopts them", {
      entries: found.map((f) => f.clientOrderId),
    });
  }
  if (failures.length > 0) {
    throw new AggregateError(failures, `Discovery failed for ${failures.length} account(s)`);
  }
  return found;
}

async function discoverAccount(
  db: Db,
  exchange: Exchange,
  userId: number,
  symbols: Map<string, StrategyRow[]>,
  window: DiscoveryWindow,
): Promise<DiscoveredEntry[]> {
  const found: DiscoveredEntry[] = [];
  for (const [symbol, strategies] of symbols) {
    const orders = (await exchange.getOrders({ symbol, ...window }))
      .filter((o) => o.side === "BUY" && ENTRY_ID.test(o.clientOrderId));
    const unknown = await unrecorded(db, orders);
    for (const order of unknown) {
      const match = matchEntry(order, strategies);
      if (!match) {
        log.warn("An AURA-shaped order on the exchange matches no strategy of this user", {
          userId,
          symbol,
          clientOrderId: order.clientOrderId,
        });
        continue;
      }
      await restoreIntents(db, [{
        clientOrderId: order.clientOrderId,
        userId,
        strategyId: match.strategy.id,
        tradeId: null,
        signalId: match.signalId,
        kind: "ENTRY",
        symbol,
        isPaper: false,
        payload: { risk: match.strategy.riskParams, discovered: true },
        candleCloseTime: match.candleCloseTime,
        journaledAt: order.time,
      }]);
      found.push({
        userId,
        strategyId: match.strategy.id,
        signalId: match.signalId,
        clientOrderId: order.clientOrderId,
        symbol,
      });
    }
  }
  return found;
}

/** The orders no intent names. */
async function unrecorded(db: Db, orders: Order[]): Promise<Order[]> {
  if (orders.length === 0) return [];
  const rows = await db.query(
    "SELECT client_order_id FROM order_intents WHERE client_order_id = ANY($1::text[])",
    [orders.map((o) => o.clientOrderId)],
  );
  const known = new Set(rows.map((r) => String(r.client_order_id)));
  return orders.filter((o) => !known.has(o.clientOrderId));
}

/**
 * The strategy and candle whose ENTRY signal derives `order`'s client id:
 * candles of each strategy's interval closing up to {@link CANDLE_LOOKBACK_MS}
 * before the order (and one after, for a clock behind the exchange's).
 */
export function matchEntry<S extends { id: number; interval: string }>(
  order: Pick<Order, "clientOrderId" | "time">,
  strategies: readonly S[],
): { strategy: S; signalId: string; candleCloseTime: number } | null {
  for (const strategy of strategies) {
    const step = INTERVAL_MS[strategy.interval];
    if (step === undefined) continue;
    const newest = Math.floor(order.time / step) * step + step - 1; // the candle open at the order
    const candles = Math.min(Math.ceil(CANDLE_LOOKBACK_MS / step), 5_000);
    for (let k = 0; k <= candles; k++) {
      const close = newest - k * step;
      const signalId = `${strategy.id}:${close}:ENTRY`;
      if (clientOrderId(signalId, "E") === order.clientOrderId) {
        return { strategy, signalId, candleCloseTime: close };
      }
    }
  }
  return null;
}
