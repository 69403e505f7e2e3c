/**
 * Execution worker latency: from a `trade_signal` reaching the execution
 * service to its market entry order being sent (strategy checks, rules,
 * balance, planEntry, the intent written first), and to the whole entry
 * being protected (entry ack, trade row, OCO ack, OCO recorded). On the
 * paper exchange and on ccxt against the local simulator; storage is PGlite
 * in memory. One signal per strategy, so every signal enters. Then the
 * journaled fast way: one strategy entering again and again.
 *
 * Run: `deno run -A bench/execution.ts [signals]`. Prints plain lines such as
 * `execution.paper signal→entry sent: p50 1.9 ms, p99 4.2 ms (100 signals)`.
 *
 * @module
 */

import { CcxtBinanceExchange } from "../adapters/exchange/ccxt_binance.ts";
import { PaperExchange } from "../adapters/exchange/paper.ts";
import { migrate } from "../db/migrate.ts";
import { openPglite } from "../db/pglite.ts";
import type { Db } from "../db/port.ts";
import { createStrategy, setStrategyActive } from "../db/strategies.ts";
import { createUser } from "../db/users.ts";
import { systemClock } from "../engine/clock.ts";
import { tradeSignal } from "../engine/events.ts";
import type { Exchange } from "../engine/ports/exchange.ts";
import { singleExchange } from "../services/exchange_factory.ts";
import { ExecutionService } from "../services/execution.ts";
import { IntentJournal } from "../services/_intent_journal.ts";
import { startSimulator } from "../sim/server.ts";

const RISK = {
  positionSizeUsd: 100,
  takeProfitPercent: 2,
  stopLossPercent: 1,
  maxDrawdownPercent: 50,
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function measure(db: Db, exchange: Exchange, isPaper: boolean, signals: number, tag: string) {
  const user = await createUser(db, {
    username: tag,
    email: `${tag}@bench.test`,
    passwordHash: "x",
  });
  const strategyIds: number[] = [];
  for (let i = 0; i < signals; i++) {
    const s = await createStrategy(db, user.id, {
      name: `${tag}${i}`,
      symbol: "BTCUSDT",
      interval: "1m",
      entryConditions: [],
      exitConditions: [],
      riskParams: RISK,
    });
    await setStrategyActive(db, user.id, s.id, true);
    strategyIds.push(s.id);
  }
  let sentAt = 0;
  // Measurement only: notes when the entry leaves, then forwards unchanged.
  const timed = sendTimer(exchange, (t) => sentAt = t);
  const handle = { userId: user.id, exchange: timed, isPaper, paper: null };
  const service = new ExecutionService({
    db,
    clock: systemClock,
    exchanges: singleExchange(handle),
    publish: () => Promise.resolve(),
  });
  const toEntry: number[] = [];
  const toProtected: number[] = [];
  for (let i = 0; i < signals; i++) {
    const closeTime = Date.UTC(2026, 0, 1) + i * 60_000;
    const signal = tradeSignal({
      strategyId: String(strategyIds[i]),
      userId: user.id,
      symbol: "BTCUSDT",
      interval: "1m",
      action: "ENTRY",
      signalPrice: "50000",
      candleCloseTime: closeTime,
      riskParams: RISK,
      trace: { candleCloseTime: closeTime, klineReceivedAt: closeTime, signalAt: closeTime },
    });
    const start = performance.now();
    await service.handleSignal(signal);
    toProtected.push(performance.now() - start);
    toEntry.push(sentAt - start);
  }
  toEntry.sort((a, b) => a - b);
  toProtected.sort((a, b) => a - b);
  return {
    entryP50: percentile(toEntry, 50),
    entryP99: percentile(toEntry, 99),
    protectedP50: percentile(toProtected, 50),
    protectedP99: percentile(toProtected, 99),
  };
}

/**
 * The fast way (services/_entry_gate.ts, services/_intent_journal.ts): one
 * strategy enters and exits again and again, so each ENTRY after the first is
 * decided in memory and journaled (fdatasync) instead of recorded in the
 * database first. Paper exchange; `db` is the database behind the rest.
 */
async function measureFast(db: Db, exchange: Exchange, signals: number) {
  const user = await createUser(db, {
    username: "fast",
    email: "fast@bench.test",
    passwordHash: "x",
  });
  const strategy = await createStrategy(db, user.id, {
    name: "fast",
    symbol: "BTCUSDT",
    interval: "1m",
    entryConditions: [],
    exitConditions: [],
    riskParams: RISK,
  });
  await setStrategyActive(db, user.id, strategy.id, true);
  let sentAt = 0;
  const timed = sendTimer(exchange, (t) => sentAt = t);
  const dir = await Deno.makeTempDir({ prefix: "aura-bench-journal-" });
  const journal = await IntentJournal.open(`${dir}/execution.jsonl`);
  const service = new ExecutionService({
    db,
    clock: systemClock,
    exchanges: singleExchange({ userId: user.id, exchange: timed, isPaper: true, paper: null }),
    publish: () => Promise.resolve(),
    journal,
  });
  const signal = (action: "ENTRY" | "EXIT", at: number) =>
    tradeSignal({
      strategyId: String(strategy.id),
      userId: user.id,
      symbol: "BTCUSDT",
      interval: "1m",
      action,
      signalPrice: "50000",
      candleCloseTime: at,
      riskParams: RISK,
      trace: { candleCloseTime: at, klineReceivedAt: at, signalAt: at },
    });
  const toEntry: number[] = [];
  try {
    for (let i = 0; i <= signals; i++) {
      const at = Date.UTC(2026, 0, 1) + i * 120_000;
      const start = performance.now();
      await service.handleSignal(signal("ENTRY", at));
      if (i > 0) toEntry.push(sentAt - start); // the first one goes through the database
      await service.handleSignal(signal("EXIT", at + 60_000));
      await service.idle();
      await service.refreshGate();
    }
  } finally {
    journal.close();
    await Deno.remove(dir, { recursive: true });
  }
  toEntry.sort((a, b) => a - b);
  return { p50: percentile(toEntry, 50), p99: percentile(toEntry, 99), gate: service.gateStats! };
}

/** Wraps `exchange` so `onSent` learns when each market entry leaves. */
function sendTimer(exchange: Exchange, onSent: (at: number) => void): Exchange {
  return new Proxy(exchange, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === "marketBuyQuote") {
        return (command: Parameters<Exchange["marketBuyQuote"]>[0]) => {
          onSent(performance.now());
          return target.marketBuyQuote(command);
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Signal → entry sent and signal → OCO recorded, p50/p99 in ms, paper and ccxt→simulator. */
export async function benchExecution(signals = 100): Promise<Record<string, number>> {
  const db = await openPglite();
  const sim = await startSimulator({ startPrices: { BTCUSDT: "50000" } });
  sim.addAccount("bench", "bench-secret", { USDT: "10000000" });
  const ccxt = new CcxtBinanceExchange({
    apiKey: "bench",
    secret: "bench-secret",
    endpoint: sim.url,
  });
  const paper = new PaperExchange({
    clock: systemClock,
    balances: { USDT: "10000000" },
    prices: { BTCUSDT: "50000" },
  });
  try {
    await migrate(db);
    await ccxt.getSymbolRules("BTCUSDT"); // markets loaded once, as in a running worker
    const p = await measure(db, paper, true, signals, "paper");
    const c = await measure(db, ccxt, false, signals, "ccxt");
    const f = await measureFast(db, paper, signals);
    return {
      "paper_signal_to_entry_sent_p50_ms": p.entryP50,
      "paper_signal_to_entry_sent_p99_ms": p.entryP99,
      "paper_signal_to_oco_recorded_p50_ms": p.protectedP50,
      "paper_signal_to_oco_recorded_p99_ms": p.protectedP99,
      "ccxt_sim_signal_to_entry_sent_p50_ms": c.entryP50,
      "ccxt_sim_signal_to_entry_sent_p99_ms": c.entryP99,
      "ccxt_sim_signal_to_oco_recorded_p50_ms": c.protectedP50,
      "ccxt_sim_signal_to_oco_recorded_p99_ms": c.protectedP99,
      "paper_journaled_signal_to_entry_sent_p50_ms": f.p50,
      "paper_journaled_signal_to_entry_sent_p99_ms": f.p99,
      "journaled_entries_decided_in_memory": f.gate.hits,
      signals,
    };
  } finally {
    await ccxt.close();
    await paper.close();
    await sim.close();
    await db.close();
  }
}

if (import.meta.main) {
  const signals = Number(Deno.args[0] ?? 100);
  const f = await benchExecution(signals);
  const line = (name: string, key: string) =>
    console.log(
      `execution.${name}: p50 ${f[`${key}_p50_ms`]!.toFixed(2)} ms, p99 ${
        f[`${key}_p99_ms`]!.toFixed(2)
      } ms (${signals} signals)`,
    );
  line("paper signal→entry sent", "paper_signal_to_entry_sent");
  line("paper signal→entry sent, journaled", "paper_journaled_signal_to_entry_sent");
  line("paper signal→OCO recorded", "paper_signal_to_oco_recorded");
  line("ccxt→simulator signal→entry sent", "ccxt_sim_signal_to_entry_sent");
  line("ccxt→simulator signal→OCO recorded", "ccxt_sim_signal_to_oco_recorded");
}
