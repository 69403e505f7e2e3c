/**
 * Exchange adapters: the ccxt Binance adapter (live, testnet, simulator), the
 * in-process paper exchange, their shared resilience policy and error mapping.
 *
 * @module
 */

export {
  type BinanceEndpoint,
  CcxtBinanceExchange,
  type CcxtBinanceOptions,
} from "./ccxt_binance.ts";
export { type PaperCandle, PaperExchange, type PaperExchangeOptions } from "./paper.ts";
export {
  type BreakerState,
  CircuitBreaker,
  ExchangeResilience,
  type ResilienceOptions,
} from "./resilience.ts";
export { classifyExchangeError, type ExchangeFailure, toAuraError } from "./errors.ts";
