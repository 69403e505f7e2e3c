/**
 * Strategy management as the API offers it: create, read, update, delete,
 * activate and deactivate a user's strategies. Definitions are validated by
 * the engine's {@link parseStrategy} (the one rule language), every query is
 * scoped by the caller's user id, and a strategy that is not the caller's is
 * reported exactly like one that does not exist (API_005).
 *
 * Editing policy: an ACTIVE strategy, or one still holding an open trade,
 * cannot be edited (409, "deactivate it first" / "close it first"). Changing
 * rules under a running position would leave its OCO levels and the runner's
 * indicator state describing a different strategy; refusing keeps the live
 * state and the stored definition the same thing.
 *
 * @module
 */
import type { Db } from "../db/port.ts";
import {
  createStrategy,
  deleteStrategy,
  getStrategy,
  listStrategyOverviews,
  setStrategyActive,
  type StrategyOverviewRow,
  type StrategyRecord,
  updateStrategy,
} from "../db/strategies.ts";
import { findOpenTradeForStrategy } from "../db/trades.ts";
import { findUserById } from "../db/users.ts";
import { getActiveApiKey } from "../db/api_keys.ts";
import { AuraError } from "../engine/errors.ts";
import { parseStrategy, type StrategyDefinition } from "../engine/strategy/rules.ts";
import type { EventHub } from "./events.ts";
import { createLogger } from "../logger.ts";

const log = createLogger("strategies");

/** Where a strategy is in its life, as the strategy list shows it. */
export type StrategyState = "inactive" | "warming_up" | "waiting" | "in_position" | "halted";

/**
 * The hook the live pipeline provides to pick up what the API changed: the
 * engine in this process, or an announcement on the shared bus for engine
 * processes elsewhere (the web role).
 */
export interface StrategyEngineHook {
  /** Called after a strategy was created, changed, (de)activated or deleted. */
  onStrategyChanged(strategyId: number, userId: number): void | Promise<void>;
  /** Called after a user's trading mode or API keys changed. */
  onAccountChanged?(userId: number): void | Promise<void>;
}

/** What the strategy service needs. */
export interface StrategyServiceDeps {
  /** Storage. */
  db: Db;
  /** Real-time events (a `strategy` event per change). */
  events: EventHub;
  /** The live pipeline, when this process runs one. */
  engine?: StrategyEngineHook | undefined;
  /** Whether a user's live keys are usable; default: an active key pair whose last check did not fail. */
  keysReady?: ((userId: number) => Promise<boolean>) | undefined;
}

/** A strategy as the API returns it: the definition, its state and key figures. */
export interface StrategyView extends StrategyDefinition {
  /** Strategy id. */
  id: number;
  /** Whether the live pipeline runs it. */
  isActive: boolean;
  /** Derived state. */
  state: StrategyState;
  /** Why the drawdown breaker halted it (when halted). */
  haltReason: string | null;
  /** ISO creation time. */
  createdAt: string;
  /** ISO last change. */
  updatedAt: string;
  /** Open position, realized P&L, trade count and the last backtest. */
  figures: {
    openPosition: StrategyOverviewRow["openTrade"];
    realizedPnl: string;
    tradeCount: number;
    lastBacktest: StrategyOverviewRow["lastBacktest"];
  };
}

/** Derives the displayed state from stored flags and runtime. */
export function strategyState(row: StrategyOverviewRow): StrategyState {
  if (row.openTrade !== null) return "in_position";
  if (row.strategy.haltedAt !== null) return "halted";
  if (!row.strategy.isActive) return "inactive";
  return row.lastCandleCloseTime === null ? "warming_up" : "waiting";
}

function toView(row: StrategyOverviewRow): StrategyView {
  const s = row.strategy;
  return {
    id: s.id,
    name: s.name,
    symbol: s.symbol,
    interval: s.interval,
    entryConditions: s.entryConditions as StrategyDefinition["entryConditions"],
    exitConditions: s.exitConditions as StrategyDefinition["exitConditions"],
    riskParams: s.riskParams as StrategyDefinition["riskParams"],
    isActive: s.isActive,
    state: strategyState(row),
    haltReason: s.haltReason,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    figures: {
      openPosition: row.openTrade,
      realizedPnl: row.realizedPnl,
      tradeCount: row.closedTrades,
      lastBacktest: row.lastBacktest,
    },
  };
}

/** A user's strategies: CRUD plus activation, with events and engine notification. */
export class StrategyService {
  readonly #deps: StrategyServiceDeps;

  /** Creates the service over its dependencies. */
  constructor(deps: StrategyServiceDeps) {
    this.#deps = deps;
  }

  /** The user's strategies with state and figures, newest first. */
  async list(userId: number): Promise<StrategyView[]> {
    return (await listStrategyOverviews(this.#deps.db, userId)).map(toView);
  }

  /** One strategy with state and figures; API_005 when missing or someone else's. */
  async get(userId: number, strategyId: number): Promise<StrategyView> {
    const [row] = await listStrategyOverviews(this.#deps.db, userId, strategyId);
    if (!row) throw notFound(strategyId);
    return toView(row);
  }

  /** The stored record (for the backtester); API_005 when missing or someone else's. */
  async record(userId: number, strategyId: number): Promise<StrategyRecord> {
    const s = await getStrategy(this.#deps.db, userId, strategyId);
    if (!s) throw notFound(strategyId);
    return s;
  }

  /** Validates and stores a new (inactive) strategy. */
  async create(userId: number, body: unknown): Promise<StrategyView> {
    const definition = parseStrategy(body);
    const created = await createStrategy(this.#deps.db, userId, definition);
    await this.#changed(userId, created.id, "created");
    return this.get(userId, created.id);
  }

  /** Replaces an inactive strategy's definition; 409 while it is active or holds an open trade. */
  async update(userId: number, strategyId: number, body: unknown): Promise<StrategyView> {
    const current = await this.record(userId, strategyId);
    const definition = parseStrategy(body);
    if (current.isActive) {
      throw new AuraError(
        "API_006",
        `Cannot update strategy ${strategyId}: it is active; deactivate it first`,
        { strategyId, reason: "active" },
      );
    }
    const open = await findOpenTradeForStrategy(this.#deps.db, strategyId);
    if (open) {
      throw new AuraError(
        "API_006",
        `Cannot update strategy ${strategyId}: trade ${open.id} on "${open.symbol}" is still open; close it first`,
        { strategyId, tradeId: open.id, reason: "open_trade" },
      );
    }
    await updateStrategy(this.#deps.db, userId, strategyId, definition);
    await this.#changed(userId, strategyId, "updated");
    return this.get(userId, strategyId);
  }

  /** Deletes a strategy with its history; 409 while it holds an open trade. */
  async remove(userId: number, strategyId: number): Promise<void> {
    await this.record(userId, strategyId);
    const open = await findOpenTradeForStrategy(this.#deps.db, strategyId);
    if (open) {
      throw new AuraError(
        "API_006",
        `Cannot delete strategy ${strategyId}: trade ${open.id} on "${open.symbol}" is still open; close it first`,
        { strategyId, tradeId: open.id, reason: "open_trade" },
      );
    }
    if (!await deleteStrategy(this.#deps.db, userId, strategyId)) throw notFound(strategyId);
    await this.#changed(userId, strategyId, "deleted");
  }

  /** Activates a strategy (live mode needs usable API keys); clears a drawdown halt. */
  async activate(userId: number, strategyId: number): Promise<StrategyView> {
    await this.record(userId, strategyId);
    const user = await findUserById(this.#deps.db, userId);
    if (user?.tradingMode === "live" && !await this.#keysReady(userId)) {
      throw new AuraError(
        "API_001",
        `Cannot activate strategy ${strategyId} in live mode: no valid Binance API keys are stored`,
        { strategyId, reason: "keys_missing" },
      );
    }
    await setStrategyActive(this.#deps.db, userId, strategyId, true);
    await this.#changed(userId, strategyId, "activated");
    return this.get(userId, strategyId);
  }

  /** Deactivates a strategy; an open position keeps its OCO protection. */
  async deactivate(userId: number, strategyId: number): Promise<StrategyView> {
    if (!await setStrategyActive(this.#deps.db, userId, strategyId, false)) {
      throw notFound(strategyId);
    }
    await this.#changed(userId, strategyId, "deactivated");
    return this.get(userId, strategyId);
  }

  async #keysReady(userId: number): Promise<boolean> {
    if (this.#deps.keysReady) return await this.#deps.keysReady(userId);
    const key = await getActiveApiKey(this.#deps.db, userId);
    // Keys never checked yet count as ready; the exchange's verdict, once cached, decides.
    return key !== null && key.lastStatus?.valid !== false && key.lastStatus?.canTrade !== false;
  }

  async #changed(userId: number, strategyId: number, change: string): Promise<void> {
    let state: StrategyState | null = null;
    if (change !== "deleted") state = (await this.get(userId, strategyId)).state;
    this.#deps.events.publish(userId, { type: "strategy", data: { strategyId, change, state } });
    try {
      await this.#deps.engine?.onStrategyChanged(strategyId, userId);
    } catch (error) {
      // The change is stored; the pipeline also re-reads strategies on restart.
      log.warn("Engine did not take a strategy change", {
        strategyId,
        change,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

function notFound(strategyId: number): AuraError {
  return new AuraError("API_005", `Strategy ${strategyId} was not found`);
}
