/**
 * GET /backtests/:id: a backtest's results — metrics, equity curve, the
 * candlestick chart with entries/exits and indicators, and its trades.
 *
 * @module
 */
import { getBacktest } from "../db/backtests.ts";
import { getStrategy } from "../db/strategies.ts";
import CandleChart from "../islands/CandleChart.tsx";
import { EquityChart, type EquityChartPoint } from "../components/EquityChart.tsx";
import { EmptyState } from "../components/EmptyState.tsx";
import { Island } from "../ui/island.tsx";
import {
  dateOnly,
  dateTime,
  money,
  percent,
  price,
  signedMoney,
  statusLabel,
  tone,
} from "../ui/format.ts";
import type { PageContext, PageResult } from "../ui/page.ts";

interface StoredTrade {
  entryTime: number;
  entryPrice: number;
  exitTime: number;
  exitPrice: number;
  quantity: number;
  status: string;
  pnl: number;
  fees: number;
}

/** Renders a backtest result. */
export async function handler(ctx: PageContext): Promise<PageResult> {
  const raw = ctx.params.id ?? "";
  if (!/^[1-9]\d{0,9}$/.test(raw)) return { notFound: true };
  const b = await getBacktest(ctx.deps.db, ctx.user.id, Number(raw));
  if (!b) return { notFound: true };
  const strategy = await getStrategy(ctx.deps.db, ctx.user.id, b.strategyId);
  const initial = Number(b.params.initialBalance ?? 10_000);
  const points = (b.equityCurve as EquityChartPoint[]).filter((p) => Number.isFinite(p?.equity));
  const trades = b.trades as StoredTrade[];
  const ret = (Number(b.totalPnl) / initial) * 100;
  const symbol = strategy?.symbol ?? String(b.params.symbol ?? "");
  const interval = strategy?.interval ?? String(b.params.interval ?? "");
  const metric = (label: string, value: string, cls = "") => (
    <div class="kpi">
      <span class="kpi-label">{label}</span>
      <span class={`kpi-value ${cls}`}>{value}</span>
    </div>
  );
  return {
    title: `Backtest ${b.id}`,
    body: (
      <>
        <div class="page-head">
          <h1>
            Backtest of {strategy
              ? <a href={`/strategies/${strategy.id}`}>{strategy.name}</a>
              : `#${b.strategyId}`}
          </h1>
          <span class="muted">
            {symbol} · {interval} · {dateOnly(b.startDate)} → {dateOnly(b.endDate)} · {b.candles}
            {" "}
            candles
          </span>
        </div>
        <section class="kpis" aria-label="Backtest metrics" data-testid="backtest-metrics">
          {metric("Net P&L", `${signedMoney(b.totalPnl)} USDT`, tone(b.totalPnl))}
          {metric("Return", percent(ret), tone(ret))}
          {metric("Trades", String(b.totalTrades))}
          {metric("Win rate", percent(b.winRate * 100, 1))}
          {metric("Max drawdown", percent(b.maxDrawdown), b.maxDrawdown > 0 ? "neg" : "")}
          {metric("Sharpe", b.sharpeRatio === null ? "—" : b.sharpeRatio.toFixed(2))}
        </section>
        <section class="card" aria-labelledby="chart-title">
          <h2 id="chart-title">Price, indicators and trades</h2>
          <Island
            name="CandleChart"
            component={CandleChart}
            props={{ backtestId: b.id, symbol, interval }}
          />
        </section>
        <section class="card" aria-labelledby="bt-equity-title">
          <h2 id="bt-equity-title">Equity</h2>
          <EquityChart points={points} label={`Equity of backtest ${b.id}`} />
          <p class="muted">Starting balance {money(initial)} USDT.</p>
        </section>
        <section class="card" aria-labelledby="bt-trades-title">
          <h2 id="bt-trades-title">Trades</h2>
          {trades.length === 0
            ? (
              <EmptyState title="No trades">
                The entry conditions never held in this range.
              </EmptyState>
            )
            : (
              <div class="table-wrap">
                <table class="table" data-testid="backtest-trades">
                  <thead>
                    <tr>
                      <th scope="col">Entry</th>
                      <th scope="col">Exit</th>
                      <th scope="col" class="num">Entry price</th>
                      <th scope="col" class="num">Exit price</th>
                      <th scope="col">Closed by</th>
                      <th scope="col" class="num">P&L</th>
                    </tr>
                  </thead>
                  <tbody>
                    {trades.map((t) => (
                      <tr>
                        <td>{dateTime(t.entryTime)}</td>
                        <td>{dateTime(t.exitTime)}</td>
                        <td class="num">{price(t.entryPrice)}</td>
                        <td class="num">{price(t.exitPrice)}</td>
                        <td>{statusLabel(t.status)}</td>
                        <td class={`num ${tone(t.pnl)}`}>{signedMoney(t.pnl)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
        </section>
      </>
    ),
  };
}
