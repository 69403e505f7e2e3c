/**
 * The execution service: the imperative shell that turns trade signals into
 * orders on the user's exchange and keeps the `trades` table true to it.
 *
 * ENTRY: skip unless the strategy is active, not halted and flat; plan the
 * market buy (TRADE_001/002/003 refuse before anything is sent); record the
 * intent under its deterministic client id; send; record the OPEN trade
 * (average fill price, executed quantity, fee in quote); then protect it with
 * a fee-aware OCO (TP LIMIT_MAKER, SL STOP_LOSS_LIMIT). When the price is
 * already past a leg the position exits at market; when the OCO keeps
 * failing it is rolled back (market sell) and the trade marked FAILED.
 *
 * EXIT (documented choice): cancel the OCO, market sell the position's
 * sellable quantity under the EXIT signal's client id, close CLOSED_SIGNAL
 * (row and `trade_closed` event alike).
 *
 * Every step is recorded before its order leaves, so a crash at any point
 * is recovered by services/reconcile.ts asking the exchange by client id.
 * An ENTRY whose strategy the entry gate knows (services/_entry_gate.ts: its
 * state as read back after its last piece of work) is decided in memory and
 * its intent written to the local journal (services/_intent_journal.ts)
 * before the order — synced to disk just after it, with discovery on the
 * exchange covering a power loss in between (services/_discovery.ts) — then
 * written to order_intents once its burst has left. Any other entry goes
 * through the database first. OCO and EXIT intents always go through the
 * database first (they are not on the candle's critical path).
 *
 * Speed: work runs in per-strategy lanes (services/_lanes.ts), so a user's
 * strategies trade concurrently while each strategy's own steps stay in
 * order; reconciliation takes a user exclusively. On the database way, the
 * reads (strategy, open trade, user mode, own intent) and the intent writes
 * of concurrent signals are group-committed (services/_batcher.ts): a candle
 * that makes a hundred entries costs a few statements. Entries of one user
 * reserve their quote amount until the exchange has it, so concurrent
 * entries never plan with the same balance.
 *
 * @module
 */

import type { Db } from "../db/port.ts";
import { getStrategy } from "../db/strategies.ts";
import { insertOpenTrade, setTradeOco, type TradeRecord } from "../db/trades.ts";
import { type Clock, preciseNow } from "../engine/clock.ts";
import { AuraError, isAuraError } from "../engine/errors.ts";
import type { OrderEvent as BusEvent, TradeSignal } from "../engine/events.ts";
import { decideSignal, levelsOnTicks } from "../engine/execution/mod.ts";
import { quoteFee } from "./_fees.ts";
import { stableHash, tradeClientIds } from "../engine/orders/client_ids.ts";
import { addDecimals, compareDecimals, subtractDecimals } from "../engine/orders/decimal.ts";
import type { SymbolRules } from "../engine/orders/filters.ts";
import { type EntryPlan, planEntry, planOco } from "../engine/orders/plan.ts";
import type { Order, OrderEvent } from "../engine/ports/exchange.ts";
import type { RiskParams } from "../engine/strategy/rules.ts";
import { createLogger } from "../logger.ts";
import {
  claimEntries,
  type ClaimResult,
  dropUnsentIntent,
  findTradeById,
  finishIntent,
  getIntent,
  type IntentRecord,
  listTradeIntents,
  loadSignalContexts,
  type NewIntent,
  recordIntent,
  recordIntents,
  restoreIntents,
  type SignalContext,
  type SignalLookup,
} from "../db/order_intents.ts";
import { Batcher } from "./_batcher.ts";
import { EntryGate, type StrategyContext } from "./_entry_gate.ts";
import type { IntentJournal, JournaledIntent } from "./_intent_journal.ts";
import { Lanes } from "./_lanes.ts";
import type { ExchangeHandle, ExchangeSource } from "./exchange_factory.ts";
import { PositionCloser } from "./_position_closer.ts";
import { signalFailedEvent, tradeOpenedEvent } from "./_execution_events.ts";

export { type ExitFill, type ExitRequest, fillOf } from "./_position_closer.ts";

const log = createLogger("execution");

/** Longest wait of a sent entry's follow-up work for the rest of its burst, ms. */
export const MAX_DEFER_MS = 50;

/**
 * How long a journaled intent's database write waits for the rest of its
 * burst, ms: candles of many symbols close together, and the entries they
 * make should not queue behind database work (the intent is in the journal
 * meanwhile); the burst's intents then go in one statement.
 */
export const WRITE_BEHIND_DELAY_MS = 10;

/** The named steps a crash test can kill the process at. */
export type CrashStep =
  | "signal_received"
  | "entry_sent"
  | "entry_acked"
  | "entry_recorded"
  | "oco_sent"
  | "exit_cancelled";

/** What the service needs. */
export interface ExecutionDeps {
  /** Trades, intents, strategies. */
  db: Db;
  /** Time source. */
  clock: Clock;
  /** Each user's exchange. */
  exchanges: ExchangeSource;
  /** Publishes on the "orders" topic. */
  publish(event: BusEvent): Promise<void>;
  /** Test hook: called at each {@link CrashStep} (the crash fixture kills itself there). */
  crashPoint?: (step: CrashStep) => void | Promise<void>;
  /** OCO placements tried before a rollback (default 3). */
  ocoAttempts?: number;
  /**
   * The local intent journal: with it, an ENTRY whose strategy the entry
   * gate knows is journaled and sent without a database round trip, its
   * intent written to the database right after (services/_intent_journal.ts).
   * Without it every entry's intent is recorded in the database first.
   */
  journal?: IntentJournal | null;
}

/** An entry on its way: what the rest of the entry needs once the exchange answers. */
interface SentEntry {
  handle: ExchangeHandle;
  plan: EntryPlan;
  rules: SymbolRules;
  risk: RiskParams;
  latency: Record<string, number>;
  order: Promise<Order>;
  /** Resolves once the intent is in the database (at once when it was recorded there first). */
  stored: Promise<void>;
}

/** The execution service (see the module doc). */
export class ExecutionService {
  /** Exits, closes and the drawdown breaker. */
  readonly closer: PositionCloser;
  readonly #d: ExecutionDeps;
  readonly #lanes = new Lanes();
  readonly #untracked = new Set<Promise<unknown>>();
  readonly #contexts: Batcher<SignalLookup, SignalContext>;
  readonly #claims: Batcher<NewIntent, ClaimResult>;
  readonly #writeBehind: Batcher<NewIntent, { created: boolean; intent: IntentRecord }>;
  // Journaled intents waiting for their burst to leave before their database write.
  readonly #toStore: (() => void)[] = [];
  readonly #journal: IntentJournal | null;
  readonly #gate: EntryGate | null;
  // Entries between their signal and their order, and the work waiting for none to be.
  #hot = 0;
  // Of those, the entries waiting for their journal write.
  #journaling = 0;
  readonly #coolWaiters: (() => void)[] = [];
  // Entries of candles closed up to here wait (a discovery after an unclean stop is owed).
  #heldUpTo = -Infinity;
  // Quote amounts of entries planned but not yet taken by the exchange, per account and asset.
  readonly #reserved = new Map<string, string>();

  /** Creates the service. */
  constructor(deps: ExecutionDeps) {
    this.#d = deps;
    this.closer = new PositionCloser(deps);
    // A Postgres pool serves batches side by side; PGlite has one connection.
    const parallel = deps.db.kind === "postgres" ? 4 : 1;
    this.#contexts = new Batcher((lookups) => loadSignalContexts(deps.db, lookups), { parallel });
    this.#claims = new Batcher((claims) => claimEntries(deps.db, claims), { parallel });
    this.#writeBehind = new Batcher((intents) => recordIntents(deps.db, intents), { parallel });
    this.#journal = deps.journal ?? null;
    // Entries planned together share one journal write: a flush waits for those still planning.
    this.#journal?.expectAppends(() => this.#hot - this.#journaling);
    this.#gate = this.#journal
      ? new EntryGate({
        read: (refs) => loadSignalContexts(deps.db, refs.map((r) => ({ ...r, clientOrderId: "" }))),
      })
      : null;
  }

  /** How entries were decided: from memory (hits) or the database (misses); null without a journal. */
  get gateStats(): EntryGate["stats"] | null {
    return this.#gate?.stats ?? null;
  }

  /**
   * Copies journaled intents that are not in the database yet (a crash
   * between sending and the write-behind, or a database outage) into
   * `order_intents`, so reconciliation sees them. Start-up and every
   * reconciliation call it first. Returns how many were missing there.
   */
  async restoreJournal(): Promise<number> {
    const journal = this.#journal;
    if (!journal) return 0;
    const records = journal.unsettled();
    if (records.length === 0) return 0;
    const { stored, created } = await restoreIntents(this.#d.db, records);
    const kept = new Set(stored);
    const lost = records.filter((r) => !kept.has(r.clientOrderId));
    if (lost.length > 0) {
      log.error("Journaled intents of unknown users were dropped", {
        clientOrderIds: lost.map((r) => r.clientOrderId),
      });
    }
    journal.settle(...records.map((r) => r.clientOrderId));
    // Entries in flight are written by their own write-behind; only the others were missing.
    if (created.length > 0) {
      log.warn("Journaled intents restored to the database", { clientOrderIds: created });
    }
    return created.length;
  }

  /**
   * Skips ENTRY signals of candles that closed at or before `closeTime`:
   * after an unclean stop, until discovery has searched the exchange, such
   * an entry may already have been sent by the previous run with no intent
   * left to tell (services/_discovery.ts). `-Infinity` lifts the hold.
   */
  holdEntriesUpTo(closeTime: number): void {
    this.#heldUpTo = closeTime;
  }

  /** The API changed a strategy (activation, edit, deletion): its next entry asks the database. */
  onStrategyChanged(strategyId: number): void {
    this.#gate?.invalidateStrategy(strategyId);
  }

  /** The API changed a user's account (trading mode, keys): their next entries ask the database. */
  onAccountChanged(userId: number): void {
    this.#d.exchanges.forget(userId);
    this.#gate?.invalidateUser(userId);
  }

  /** Reads every idle strategy's context again (the periodic safety net for a lost announcement). */
  refreshGate(): Promise<void> {
    return this.#gate?.refreshAll() ?? Promise.resolve();
  }

  /** Sizes of the batches the hot path made so far (tests and benches). */
  get batchSizes(): {
    contexts: readonly number[];
    claims: readonly number[];
    writeBehind: readonly number[];
  } {
    return {
      contexts: this.#contexts.sizes,
      claims: this.#claims.sizes,
      writeBehind: this.#writeBehind.sizes,
    };
  }

  /** See {@link PositionCloser.flatten}. */
  flatten(...args: Parameters<PositionCloser["flatten"]>): Promise<void> {
    return this.closer.flatten(...args);
  }

  /** See {@link PositionCloser.exitTrade}. */
  exitTrade(...args: Parameters<PositionCloser["exitTrade"]>): Promise<void> {
    return this.closer.exitTrade(...args);
  }

  /** See {@link PositionCloser.closeFromExit}. */
  closeFromExit(...args: Parameters<PositionCloser["closeFromExit"]>): Promise<void> {
    return this.closer.closeFromExit(...args);
  }

  /** See {@link PositionCloser.closeFromLeg}. */
  closeFromLeg(...args: Parameters<PositionCloser["closeFromLeg"]>): Promise<void> {
    return this.closer.closeFromLeg(...args);
  }

  /** See {@link PositionCloser.checkBreaker}. */
  checkBreaker(...args: Parameters<PositionCloser["checkBreaker"]>): Promise<void> {
    return this.closer.checkBreaker(...args);
  }

  /** See {@link PositionCloser.entryOrderOf}. */
  entryOrderOf(trade: TradeRecord): Promise<Order> {
    return this.closer.entryOrderOf(trade);
  }

  /**
   * Runs `work` with the user's book at rest: after every earlier piece of
   * work of `userId` (all strategies), before any queued after it.
   */
  exclusive<T>(userId: number, work: () => Promise<T>): Promise<T> {
    return this.#lanes.exclusive(userId, async () => {
      this.#gate?.beginExclusive(userId);
      try {
        return await work();
      } finally {
        this.#gate?.endExclusive(userId);
      }
    });
  }

  /**
   * Runs `work` in the strategy's lane; the entry gate drops its context
   * meanwhile. For an ENTRY of candle `entryCandle`, `work` gets the context
   * the gate held (null: ask the database).
   */
  #inLane<T>(
    userId: number,
    strategyId: number,
    work: (known: StrategyContext | null) => Promise<T>,
    entryCandle?: number,
  ): Promise<T> {
    return this.#lanes.strategy(userId, strategyId, async () => {
      const gate = this.#gate;
      let known: StrategyContext | null = null;
      if (gate && entryCandle !== undefined) known = gate.take(userId, strategyId, entryCandle);
      else gate?.begin(userId, strategyId);
      try {
        return await work(known);
      } finally {
        gate?.end(userId, strategyId);
      }
    });
  }

  /** Resolves once every piece of work queued so far has finished. */
  async idle(): Promise<void> {
    while (this.#untracked.size > 0) await Promise.allSettled([...this.#untracked]);
    await this.#lanes.idle();
    while (this.#untracked.size > 0) {
      await Promise.allSettled([...this.#untracked]);
      await this.#lanes.idle();
    }
  }

  /**
   * Handles one `trade_signal` (idempotent: a redelivery finds its intents),
   * in its strategy's lane: call in delivery order, concurrently is fine.
   */
  handleSignal(signal: TradeSignal): Promise<void> {
    const receivedAt = this.#stamp();
    return this.#inLane(
      signal.userId,
      Number(signal.strategyId),
      (known) => this.#signal(signal, known, receivedAt),
      signal.action === "ENTRY" ? signal.candleCloseTime : undefined,
    );
  }

  /**
   * Handles an exchange order event of `userId`: a filled OCO leg closes its
   * trade; an OCO that ended without a fill while its trade is still open
   * and no exit is under way (cancelled on the exchange by someone else,
   * expired) is re-armed at once instead of waiting for reconciliation.
   */
  handleOrderEvent(userId: number, event: OrderEvent, paper?: boolean): Promise<void> {
    if (event.type !== "oco_leg_filled" && event.type !== "oco_cancelled") {
      return Promise.resolve();
    }
    return this.#track(this.#onListEvent(userId, event, paper));
  }

  /** Keeps `work` (not yet in a lane) in what {@link idle} waits for. */
  #track<T>(work: Promise<T>): Promise<T> {
    this.#untracked.add(work);
    const done = () => void this.#untracked.delete(work);
    work.then(done, done);
    return work;
  }

  async #onListEvent(
    userId: number,
    event: Extract<OrderEvent, { type: "oco_leg_filled" | "oco_cancelled" }>,
    paper: boolean | undefined,
  ): Promise<void> {
    // Which trade (and so which lane) a list belongs to never changes: read it first.
    const owner = await getIntent(this.#d.db, event.listClientOrderId);
    if (!owner?.tradeId || owner.userId !== userId) return;
    const inLane = (work: () => Promise<void>) =>
      owner.strategyId === null
        ? this.exclusive(userId, work)
        : this.#inLane(userId, owner.strategyId, work);
    return await inLane(async () => {
      const intent = owner;
      if (!intent.tradeId) return;
      const trade = await this.#trade(intent.tradeId);
      if (!trade || trade.status !== "OPEN") return;
      const handle = await this.#d.exchanges.forUser(userId, paper ?? trade.isPaper);
      if (event.type === "oco_leg_filled") {
        return await this.closeFromLeg(handle, trade, event.leg, {
          price: event.price,
          quantity: event.quantity,
          quoteQty: event.quoteQty,
          commission: event.commission,
          commissionAsset: event.commissionAsset,
          orderId: event.orderId,
          clientOrderId: event.clientOrderId,
        });
      }
      if (trade.ocoListClientOrderId !== event.listClientOrderId) return;
      const exits = await listTradeIntents(this.#d.db, trade.id, "EXIT");
      if (exits.some((e) => e.status === "PENDING")) return;
      log.warn("OCO ended without a fill; re-arming", { tradeId: trade.id });
      await this.protect(handle, trade, await this.riskOf(trade));
    });
  }

  /** The risk parameters a trade was opened with (its entry intent), else its strategy's. */
  async riskOf(trade: TradeRecord): Promise<RiskParams> {
    const entry = await getIntent(this.#d.db, trade.clientOrderIdEntry);
    const risk = entry?.payload.risk as RiskParams | undefined;
    if (risk) return risk;
    const strategy = await getStrategy(this.#d.db, trade.userId, trade.strategyId);
    return strategy!.riskParams as RiskParams;
  }

  async #signal(
    signal: TradeSignal,
    known: StrategyContext | null,
    receivedAt: number,
  ): Promise<void> {
    await this.#crash("signal_received");
    if (signal.action === "ENTRY" && signal.candleCloseTime <= this.#heldUpTo) {
      return log.warn("Entry held: the previous run may have sent it; discovery not done yet", {
        signalId: signal.id,
      });
    }
    if (signal.action === "ENTRY") return await this.#entry(signal, known, receivedAt);
    const ids = tradeClientIds(signal.id);
    const context = await this.#contexts.load({
      userId: signal.userId,
      strategyId: Number(signal.strategyId),
      clientOrderId: ids.exit,
    });
    if (!context.found) return log.warn("Signal for an unknown strategy", { signalId: signal.id });
    if (context.ownIntentStatus !== null) {
      // A redelivery: the first delivery (or reconciliation) owns the outcome.
      return log.info("Signal already handled", {
        signalId: signal.id,
        status: context.ownIntentStatus,
      });
    }
    const decision = decideSignal({ action: "EXIT", ...context });
    if (decision.kind !== "exit") {
      return log.info("Signal skipped", {
        signalId: signal.id,
        reason: decision.kind === "skip" ? decision.reason : "not an exit",
      });
    }
    const open = await this.#trade(decision.tradeId);
    if (open?.status !== "OPEN") return log.info("Signal skipped", { signalId: signal.id });
    // The position is closed where it was opened, whatever the mode is now.
    const handle = await this.#d.exchanges.forUser(signal.userId, open.isPaper);
    await this.exitTrade(handle, open, {
      clientOrderId: ids.exit,
      signalId: signal.id,
      status: "CLOSED_SIGNAL",
      reason: "exit conditions met",
    });
  }

  /**
   * An ENTRY: plan on the user's current exchange (in memory for paper),
   * make the intent durable (journal, or one batched statement that also
   * reads the strategy), send, and only then — once the burst of entries has
   * left — record the trade and protect it.
   */
  async #entry(
    signal: TradeSignal,
    known: StrategyContext | null,
    receivedAt: number,
  ): Promise<void> {
    let sent: SentEntry | null;
    this.#hot++;
    try {
      sent = await this.#send(signal, 1, known, receivedAt);
    } finally {
      this.#leaveHot();
    }
    if (sent === null) return;
    const { handle, plan, rules, risk, latency, order: pending } = sent;
    let order: Order;
    try {
      order = await pending;
    } catch (error) {
      if (!await this.#stored(sent)) return;
      if (outcomeUnknown(error)) {
        // Reconciliation asks the exchange by client id; never resend blindly.
        return log.warn("Entry outcome unknown", { signalId: signal.id, error: String(error) });
      }
      await finishIntent(this.#d.db, plan.clientOrderId, "FAILED", errorResult(error));
      return await this.#failed(signal, "ENTRY", error);
    }
    latency.entryAckAt = this.#stamp();
    await this.#crash("entry_acked");
    if (!await this.#stored(sent)) return;
    // The rest waits for the entries still on their way to the exchange.
    await this.#cooled();
    const intent: IntentRecord = {
      ...this.#intentBase(handle, signal, plan.clientOrderId, "ENTRY", null),
      status: "PENDING",
      payload: {},
      result: null,
    };
    const trade = await this.adoptEntry(handle, intent, order, rules, latency);
    await this.#crash("entry_recorded");
    await this.protect(handle, trade, risk, order);
  }

  /**
   * Waits for a journaled intent's write-behind; false (logged) when it
   * failed: the journal keeps it and the next reconciliation copies it and
   * finishes the entry from what the exchange says.
   */
  async #stored(sent: SentEntry): Promise<boolean> {
    try {
      await sent.stored;
      return true;
    } catch (error) {
      log.error("Entry sent, but its intent could not be stored yet; reconciliation resumes it", {
        clientOrderId: sent.plan.clientOrderId,
        error: String(error),
      });
      return false;
    }
  }

  /** Plans, records (journal or database) and sends an entry; null when nothing was sent. */
  async #send(
    signal: TradeSignal,
    attempt: number,
    known: StrategyContext | null,
    receivedAt: number,
  ): Promise<SentEntry | null> {
    const { handle, account } = await this.#d.exchanges.current(signal.userId);
    const { exchange } = handle;
    const risk = signal.riskParams as RiskParams;
    const latency: Record<string, number> = { ...signal.trace, receivedAt };
    if (handle.paper) {
      const last = await exchange.getLastPrice(signal.symbol).catch(() => null);
      if (last === null) handle.paper.setPrice(signal.symbol, signal.signalPrice);
    }
    let plan;
    let rules: SymbolRules;
    let release = () => {};
    try {
      rules = await exchange.getSymbolRules(signal.symbol);
      const [balances, lastPrice] = await Promise.all([
        exchange.getBalances(),
        exchange.getLastPrice(signal.symbol),
      ]);
      const account = `${handle.userId}:${handle.isPaper}:${rules.quoteAsset}`;
      plan = planEntry({
        signal: { id: signal.id, symbol: signal.symbol, ...risk },
        rules,
        quoteBalance: this.#available(account, balances[rules.quoteAsset]?.free ?? "0"),
        positionSizeUsd: risk.positionSizeUsd,
        lastPrice,
      });
      release = this.#reserve(account, plan.quoteOrderQty);
      latency.plannedAt = this.#stamp();
    } catch (error) {
      if (!isAuraError(error) || !error.code.startsWith("TRADE_")) throw error;
      await this.#refused(handle, signal, error);
      return null;
    }
    const intent = {
      ...this.#intentBase(handle, signal, plan.clientOrderId, "ENTRY", null),
      payload: { ...plan, risk, trace: signal.trace, latency },
    };
    const exchanges = this.#d.exchanges;
    if (known !== null && this.#journal) {
      // The fast way: decided from the entry gate, made durable in the local journal.
      const decision = decideSignal({ action: "ENTRY", ...known });
      if (decision.kind === "skip") {
        release();
        log.info("Signal skipped", { signalId: signal.id, reason: decision.reason });
        return null;
      }
      if (
        exchanges.accountKey(signal.userId, known) === exchanges.accountKey(signal.userId, account)
      ) {
        const journaled: JournaledIntent = { ...intent, journaledAt: this.#now() };
        let durable = true;
        this.#journaling++;
        try {
          await this.#journal.append(journaled);
        } catch (error) {
          durable = false;
          log.warn("Intent journal failed; recording in the database first", {
            error: String(error),
          });
        } finally {
          this.#journaling--;
        }
        if (durable) {
          latency.intentRecordedAt = this.#stamp();
          const sent = this.#sendEntry(handle, plan, rules, risk, latency, release);
          await this.#crash("entry_sent"); // the intent is only in the journal
          const journal = this.#journal;
          // Stored by this write, or already by a reconciliation's copy of the journal.
          const stored = this.#storeSoon(intent).then(() => journal.settle(plan.clientOrderId));
          stored.catch(() => {});
          return { ...sent, stored };
        }
      }
    }
    if (this.#journal?.has(plan.clientOrderId)) {
      // Journaled and sent before, not yet in the database: reconciliation owns it.
      release();
      log.info("Signal already handled", { signalId: signal.id });
      return null;
    }
    let claim;
    try {
      claim = await this.#claims.load(intent);
    } catch (error) {
      release();
      throw error;
    }
    latency.intentRecordedAt = this.#stamp();
    const { context } = claim;
    if (!claim.created) {
      release();
      if (!context.found) log.warn("Signal for an unknown strategy", { signalId: signal.id });
      // A redelivery: the first delivery (or reconciliation) owns the outcome.
      else log.info("Signal already handled", { signalId: signal.id });
      return null;
    }
    const decision = decideSignal({ action: "ENTRY", ...context });
    if (decision.kind === "skip") {
      release();
      // Never sent: the intent goes, as if the signal had been read and dropped.
      await dropUnsentIntent(this.#d.db, plan.clientOrderId);
      log.info("Signal skipped", { signalId: signal.id, reason: decision.reason });
      return null;
    }
    if (
      exchanges.accountKey(signal.userId, context) !== exchanges.accountKey(signal.userId, account)
    ) {
      // The user switched mode or keys since the factory last looked: plan again on the
      // right exchange (the intent was never sent, and this lane holds the signal).
      release();
      exchanges.forget(signal.userId);
      await dropUnsentIntent(this.#d.db, plan.clientOrderId);
      if (attempt < 2) return await this.#send(signal, attempt + 1, null, receivedAt);
      throw new AuraError("TRADE_004", `Cannot enter "${signal.id}": the account keeps changing`);
    }
    const sent = this.#sendEntry(handle, plan, rules, risk, latency, release);
    await this.#crash("entry_sent");
    return { ...sent, stored: Promise.resolve() };
  }

  /**
   * Writes a journaled intent to the database once the burst it came in has
   * left: the first of a burst waits {@link WRITE_BEHIND_DELAY_MS}, and every
   * intent journaled meanwhile goes in the same statement. Until then the
   * journal holds it (and reconciliation copies it from there).
   */
  #storeSoon(intent: NewIntent): Promise<unknown> {
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#toStore.push(resolve);
    if (this.#toStore.length === 1) {
      setTimeout(() => {
        for (const go of this.#toStore.splice(0)) go();
      }, WRITE_BEHIND_DELAY_MS);
    }
    return promise.then(() => this.#writeBehind.load(intent));
  }

  /** Sends the market entry whose intent is recorded; the reservation goes once the quote is taken. */
  #sendEntry(
    handle: ExchangeHandle,
    plan: EntryPlan,
    rules: SymbolRules,
    risk: RiskParams,
    latency: Record<string, number>,
    release: () => void,
  ): Omit<SentEntry, "stored"> {
    latency.entrySentAt = this.#stamp();
    const order = handle.exchange.marketBuyQuote(plan);
    // The paper book takes the quote as the order is placed; an exchange once it answered.
    if (handle.isPaper) release();
    else order.then(release, release);
    order.catch(() => {});
    return { handle, plan, rules, risk, latency, order };
  }

  /** A TRADE_* refusal before anything was sent: recorded and announced, unless the signal is moot. */
  async #refused(handle: ExchangeHandle, signal: TradeSignal, error: unknown): Promise<void> {
    const id = tradeClientIds(signal.id).entry;
    const context = await this.#contexts.load({
      userId: signal.userId,
      strategyId: Number(signal.strategyId),
      clientOrderId: id,
    });
    if (!context.found || context.ownIntentStatus !== null) return;
    const decision = decideSignal({ action: "ENTRY", ...context });
    if (decision.kind === "skip") {
      return log.info("Signal skipped", { signalId: signal.id, reason: decision.reason });
    }
    const { created } = await recordIntent(this.#d.db, {
      ...this.#intentBase(handle, signal, id, "ENTRY", null),
      status: "FAILED",
      payload: {
        refused: error instanceof Error ? error.message : String(error),
        code: isAuraError(error) ? error.code : "TRADE_004",
      },
    });
    if (created) await this.#failed(signal, "ENTRY", error);
  }

  #leaveHot(): void {
    if (--this.#hot > 0) return;
    for (const resume of this.#coolWaiters.splice(0)) resume();
  }

  /**
   * Resolves when no entry is between its signal and its order (at most
   * {@link MAX_DEFER_MS} later): trade rows and OCOs of a burst's first
   * entries then don't hold the database and the thread from the entries
   * still on their way.
   */
  #cooled(): Promise<void> {
    if (this.#hot === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resume, MAX_DEFER_MS);
      function resume() {
        clearTimeout(timer);
        resolve();
      }
      this.#coolWaiters.push(resume);
    });
  }

  /**
   * Records the OPEN trade of a filled entry and marks its intent DONE, in
   * one statement (idempotent: the trade is unique per signal).
   */
  async adoptEntry(
    handle: ExchangeHandle,
    intent: IntentRecord,
    order: Order,
    rules: SymbolRules,
    latency: Record<string, number> | undefined,
  ): Promise<TradeRecord> {
    const trade = await insertOpenTrade(this.#d.db, {
      userId: intent.userId,
      strategyId: intent.strategyId!,
      symbol: order.symbol,
      isPaper: handle.isPaper,
      signalId: intent.signalId,
      clientOrderIdEntry: order.clientOrderId,
      binanceOrderIdEntry: handle.isPaper ? paperOrderNumber(order.clientOrderId) : order.orderId,
      entryPrice: order.avgPrice,
      quantity: order.executedQty,
      entryFee: await quoteFee(handle.exchange, order, order.avgPrice, rules),
      entryTimestamp: new Date(order.updateTime || this.#now()),
      ...(latency ? { latency } : {}),
    }, { clientOrderId: intent.clientOrderId, result: { order } });
    return trade;
  }

  /**
   * Protects an OPEN trade with an OCO (a new attempt number per placement),
   * exits at market when the price is already past a leg or the position
   * cannot be protected, and rolls back after {@link ExecutionDeps.ocoAttempts} failures.
   */
  async protect(
    handle: ExchangeHandle,
    trade: TradeRecord,
    risk: RiskParams,
    filledEntry?: Order,
  ): Promise<void> {
    const { exchange } = handle;
    const rules = await exchange.getSymbolRules(trade.symbol);
    const entry = filledEntry ?? await this.entryOrderOf(trade);
    const tries = this.#d.ocoAttempts ?? 3;
    let lastError: unknown = null;
    for (let i = 0; i < tries; i++) {
      const attempt = (await listTradeIntents(this.#d.db, trade.id, "OCO")).length;
      const lastPrice = await exchange.getLastPrice(trade.symbol);
      let plan;
      try {
        plan = planOco({
          rules,
          executedQty: entry.executedQty,
          commission: entry.commission,
          commissionAsset: entry.commissionAsset,
          entryPrice: trade.entryPrice,
          lastPrice,
          takeProfitPercent: risk.takeProfitPercent,
          stopLossPercent: risk.stopLossPercent,
        });
      } catch (error) {
        if (!isAuraError(error, "TRADE_002")) throw error;
        return await this.flatten(handle, trade, "FAILED", `cannot be protected: ${error.message}`);
      }
      if (plan.action === "EXIT_AT_MARKET") {
        const status = plan.reason.startsWith("take-profit") ? "CLOSED_TP" : "CLOSED_SL";
        await this.#publishOpened(
          trade,
          null,
          levelsOnTicks(trade.entryPrice, risk, rules.tickSize),
        );
        return await this.flatten(
          handle,
          trade,
          status,
          `price already past a leg: ${plan.reason}`,
        );
      }
      const ids = tradeClientIds(trade.signalId, attempt);
      await recordIntent(this.#d.db, {
        clientOrderId: ids.ocoList,
        userId: trade.userId,
        strategyId: trade.strategyId,
        tradeId: trade.id,
        signalId: trade.signalId,
        kind: "OCO",
        symbol: trade.symbol,
        isPaper: handle.isPaper,
        payload: { ...plan, attempt },
      });
      const command = {
        symbol: trade.symbol,
        quantity: plan.quantity,
        takeProfitPrice: plan.takeProfitPrice,
        stopPrice: plan.stopPrice,
        stopLimitPrice: plan.stopLimitPrice,
        listClientOrderId: ids.ocoList,
        aboveClientOrderId: ids.takeProfit,
        belowClientOrderId: ids.stopLoss,
      };
      let list;
      try {
        list = await exchange.placeOco(command);
      } catch (error) {
        list = outcomeUnknown(error)
          ? await exchange.getOrderList({ listClientOrderId: ids.ocoList }).catch(() => null)
          : null;
        if (!list || list.status !== "EXECUTING") {
          lastError = error;
          await finishIntent(this.#d.db, ids.ocoList, "FAILED", errorResult(error));
          log.warn("OCO placement failed", { tradeId: trade.id, attempt, error: String(error) });
          continue;
        }
      }
      await this.#crash("oco_sent");
      const latency = { ...(trade.latency ?? {}), ocoAckAt: this.#stamp() };
      await setTradeOco(this.#d.db, trade.id, {
        orderListId: list.orderListId,
        listClientOrderId: ids.ocoList,
        takeProfitPrice: plan.takeProfitPrice,
        stopLossPrice: plan.stopPrice,
        stopLimitPrice: plan.stopLimitPrice,
        latency,
      }, { clientOrderId: ids.ocoList, result: { list } });
      await this.#publishOpened(trade, ids.ocoList, plan);
      return;
    }
    const reason = `OCO could not be placed after ${tries} attempts: ${
      lastError instanceof Error ? lastError.message : String(lastError)
    }`;
    await this.flatten(handle, trade, "FAILED", reason);
  }

  /** Free quote balance minus what concurrent entries of the account have reserved. */
  #available(account: string, free: string): string {
    const reserved = this.#reserved.get(account);
    if (reserved === undefined) return free;
    const left = subtractDecimals(free, reserved);
    return compareDecimals(left, "0") < 0 ? "0" : left;
  }

  /** Reserves `amount` of the account's quote; returns the (idempotent) release. */
  #reserve(account: string, amount: string): () => void {
    const current = this.#reserved.get(account);
    this.#reserved.set(account, current === undefined ? amount : addDecimals(current, amount));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = subtractDecimals(this.#reserved.get(account) ?? "0", amount);
      if (compareDecimals(left, "0") <= 0) this.#reserved.delete(account);
      else this.#reserved.set(account, left);
    };
  }

  async #publishOpened(
    trade: TradeRecord,
    listClientOrderId: string | null,
    levels: { takeProfitPrice: string; stopPrice: string },
  ): Promise<void> {
    log.info("Trade opened", { tradeId: trade.id, listClientOrderId });
    await this.#d.publish(tradeOpenedEvent(trade, listClientOrderId, levels, this.#now()));
  }

  async #failed(signal: TradeSignal, action: "ENTRY" | "EXIT", error: unknown): Promise<void> {
    log.warn("Signal failed", { signalId: signal.id, error: String(error) });
    await this.#d.publish(signalFailedEvent(signal, action, error, this.#now()));
  }

  #intentBase(
    handle: ExchangeHandle,
    signal: TradeSignal,
    id: string,
    kind: "ENTRY" | "EXIT",
    tradeId: number | null,
  ) {
    return {
      clientOrderId: id,
      userId: signal.userId,
      strategyId: Number(signal.strategyId),
      tradeId,
      signalId: signal.id,
      kind,
      symbol: signal.symbol,
      isPaper: handle.isPaper,
      candleCloseTime: kind === "ENTRY" ? signal.candleCloseTime : null,
    };
  }

  #trade(id: number): Promise<TradeRecord | null> {
    return findTradeById(this.#d.db, id);
  }

  async #crash(step: CrashStep): Promise<void> {
    await this.#d.crashPoint?.(step);
  }

  #now(): number {
    return this.#d.clock.now();
  }

  /** A latency-trace stamp (sub-millisecond with the system clock). */
  #stamp(): number {
    return preciseNow(this.#d.clock);
  }
}

/** True when an exchange error says the order may have executed. */
export function outcomeUnknown(error: unknown): boolean {
  return isAuraError(error) &&
    (error.details as { outcomeUnknown?: boolean } | undefined)?.outcomeUnknown === true;
}

function errorResult(error: unknown): Record<string, unknown> {
  return {
    code: isAuraError(error) ? error.code : "TRADE_004",
    message: error instanceof Error ? error.message : String(error),
  };
}

/**
 * Paper order ids restart at 1 with each paper account, but trades'
 * `binance_order_id_entry` is unique: paper rows store a 63-bit number
 * derived from the (unique) client id instead.
 */
export function paperOrderNumber(clientOrderId: string): string {
  const hash = [...stableHash(clientOrderId)].reduce(
    (n, c) => n * 36n + BigInt(parseInt(c, 36)),
    0n,
  );
  return String(hash & ((1n << 62n) - 1n));
}
