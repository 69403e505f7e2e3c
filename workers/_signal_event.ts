/**
 * Builds the `trade_signal` event of a strategy signal on the hot path.
 *
 * engine/events.ts `tradeSignal()` validates with zod (~20 µs per event);
 * with 1,000 strategies that alone is tens of milliseconds per candle. Every
 * field here is already valid by construction (ids and times from the
 * runner, risk parameters parsed when the strategy started), so only the one
 * free-form value, the price string, is normalized (it throws when unparsable). Consumers off Redis, KV or
 * postMessage still run `parseEvent`; the unit test checks this builder
 * against the zod schema.
 *
 * @module
 */

import { EVENT_VERSION, type TradeSignal } from "../engine/events.ts";
import { normalizeDecimal } from "../engine/orders/decimal.ts";
import type { RiskParams, StrategyDefinition } from "../engine/strategy/rules.ts";
import type { StrategySignal } from "../engine/strategy/runner.ts";

const PLAIN = /^\d+(\.\d+)?$/;

/** Freezes the risk parameters once per strategy (events share them). */
export function frozenRisk(definition: StrategyDefinition): Readonly<RiskParams> {
  return Object.freeze({ ...definition.riskParams });
}

/** The `trade_signal` for `signal`, frozen; id `${strategyId}:${closeTime}:${action}`. */
export function signalEvent(
  signal: StrategySignal,
  strategy: { userId: number; interval: string; risk: Readonly<RiskParams> },
  price: string,
  klineReceivedAt: number,
  signalAt: number,
): TradeSignal {
  // Plain digits as Binance sends them pass as they are; a float's "1e-7" is spelled out.
  const signalPrice = PLAIN.test(price) ? price : normalizeDecimal(price);
  return Object.freeze({
    v: EVENT_VERSION,
    type: "trade_signal",
    id: signal.id,
    occurredAt: signalAt,
    strategyId: signal.strategyId,
    userId: strategy.userId,
    symbol: signal.symbol,
    interval: strategy.interval,
    action: signal.action,
    signalPrice,
    candleCloseTime: signal.candleCloseTime,
    riskParams: strategy.risk,
    trace: Object.freeze({
      candleCloseTime: signal.candleCloseTime,
      klineReceivedAt,
      signalAt,
    }),
  }) as TradeSignal;
}
