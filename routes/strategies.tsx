/**
 * GET /strategies: the user's strategies with their state and key figures
 * (realized P&L, trades, last backtest).
 *
 * @module
 */
import { listStrategyOverviews } from "../db/strategies.ts";
import { strategyState } from "../services/strategies.ts";
import { EmptyState } from "../components/EmptyState.tsx";
import { StateBadge } from "../components/StateBadge.tsx";
import { percent, signedMoney, tone } from "../ui/format.ts";
import type { PageContext, PageResult } from "../ui/page.ts";

/** Renders the strategy list. */
export async function handler(ctx: PageContext): Promise<PageResult> {
  // One query with state and figures: the same rows GET /api/v1/strategies answers.
  const rows = await listStrategyOverviews(ctx.deps.db, ctx.user.id);
  return {
    title: "Strategies",
    body: (
      <>
        <div class="page-head">
          <h1>Strategies</h1>
          <a class="btn btn-primary" href="/strategies/new">New strategy</a>
        </div>
        {rows.length === 0
          ? (
            <section class="card">
              <EmptyState title="No strategies yet">
                <p>
                  A strategy enters when its conditions hold on a closed candle (for example RSI
                  below 30) and exits by take-profit, stop-loss or its exit conditions.
                </p>
                <a class="btn btn-primary" href="/strategies/new">Create a strategy</a>
              </EmptyState>
            </section>
          )
          : (
            <section class="card">
              <div class="table-wrap">
                <table class="table" data-testid="strategies">
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Market</th>
                      <th scope="col">State</th>
                      <th scope="col" class="num">Trades</th>
                      <th scope="col" class="num">Realized P&L</th>
                      <th scope="col" class="num">Last backtest</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((row) => {
                      const s = row.strategy;
                      const last = row.lastBacktest;
                      return (
                        <tr>
                          <td>
                            <a href={`/strategies/${s.id}`}>{s.name}</a>
                          </td>
                          <td>{s.symbol} · {s.interval}</td>
                          <td>
                            <StateBadge state={strategyState(row)} title={s.haltReason} />
                          </td>
                          <td class="num">{row.closedTrades}</td>
                          <td class={`num ${tone(row.realizedPnl)}`}>
                            {signedMoney(row.realizedPnl)}
                          </td>
                          <td class="num">
                            {last
                              ? (
                                <a href={`/backtests/${last.id}`}>
                                  <span class={tone(last.totalPnl)}>
                                    {signedMoney(last.totalPnl)}
                                  </span>{" "}
                                  · {last.totalTrades} trades · {percent(last.winRate * 100, 0)} win
                                </a>
                              )
                              : <span class="muted">none</span>}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            </section>
          )}
      </>
    ),
  };
}
