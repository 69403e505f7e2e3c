/**
 * Portfolio maths: drawdown (and its circuit breaker), Sharpe ratio, equity curves.
 *
 * @module
 */

export { DrawdownBreaker, type DrawdownBreakerSnapshot, maxDrawdownPercent } from "./drawdown.ts";
export { candlesPerYear, sharpeRatio } from "./sharpe.ts";
export { downsampleEquity, type EquityCurve, type EquityPoint } from "./equity.ts";
