/**
 * GET /: the dashboard — portfolio figures, equity curve, open positions,
 * recent trades, strategies' state and pipeline health, live over SSE.
 *
 * @module
 */
import LiveDashboard from "../islands/LiveDashboard.tsx";
import { EquityChart } from "../components/EquityChart.tsx";
import { Island } from "../ui/island.tsx";
import { loadDashboard } from "../ui/dashboard_data.ts";
import type { PageContext, PageResult } from "../ui/page.ts";

/** Renders the dashboard. */
export async function handler(ctx: PageContext): Promise<PageResult> {
  const data = await loadDashboard(ctx);
  return {
    title: "Dashboard",
    body: (
      <>
        <div class="page-head">
          <h1>Dashboard</h1>
          {data.strategies.length === 0 && (
            <a class="btn btn-primary" href="/strategies/new">Create your first strategy</a>
          )}
        </div>
        <Island name="LiveDashboard" component={LiveDashboard} props={data} />
        <section class="card" aria-labelledby="equity-title">
          <header class="card-head">
            <h2 id="equity-title">Equity (realized)</h2>
            <span class="muted">{data.closedTrades} closed trades</span>
          </header>
          <EquityChart points={data.equity} label="Realized equity curve" />
        </section>
      </>
    ),
  };
}
