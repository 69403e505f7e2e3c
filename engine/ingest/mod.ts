/**
 * The pure core of market data ingest: kline validation, the closed-candle
 * gate (exactly once, in order, gaps reported) and stream reference counts.
 * The WebSocket/REST shell is adapters/market/binance_ws.ts.
 *
 * @module
 */

export { type AnomalyKind, type KlineAnomaly, klineAnomaly } from "./validate.ts";
export { type Admission, ClosedCandleTracker, streamKey } from "./tracker.ts";
export { klineStreamName, type StreamId, SubscriptionCounts } from "./subscriptions.ts";
