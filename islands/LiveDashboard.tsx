/**
 * The live part of the dashboard: portfolio figures, open positions with
 * their live price and unrealized P&L, active strategies' state, recent
 * trades and pipeline health. Server-rendered first, then kept current from
 * the SSE stream (`/api/v1/events`, cookie session) without reloading.
 *
 * @module
 */
import type { JSX } from "preact";
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { DashboardData, PositionView, TradeView } from "../ui/dashboard_data.ts";
import { dateTime, money, price, signedMoney, statusLabel, tone } from "../ui/format.ts";
import { StateBadge } from "../components/StateBadge.tsx";
import { EmptyState } from "../components/EmptyState.tsx";

/** Props: the server's snapshot. */
export type LiveDashboardProps = DashboardData;

const unrealized = (p: PositionView): number | null =>
  p.price === null ? null : (Number(p.price) - Number(p.entryPrice)) * Number(p.quantity);

function toTradeView(d: Record<string, unknown>, names: Map<number, string>): TradeView {
  const sid = Number(d.strategyId);
  return {
    id: Number(d.id ?? d.tradeId),
    strategyName: String(d.strategyName ?? names.get(sid) ?? `#${sid}`),
    symbol: String(d.symbol ?? ""),
    status: String(d.status ?? ""),
    entryPrice: String(d.entryPrice ?? ""),
    exitPrice: d.exitPrice === undefined || d.exitPrice === null ? null : String(d.exitPrice),
    pnl: d.pnl === undefined || d.pnl === null ? null : String(d.pnl),
    time: String(d.exitTimestamp ?? d.entryTimestamp ?? new Date().toISOString()),
  };
}

/** Dashboard island. */
export default function LiveDashboard(props: LiveDashboardProps): JSX.Element {
  const positions = useSignal(props.positions);
  const trades = useSignal(props.recentTrades);
  const strategies = useSignal(props.strategies);
  const health = useSignal(props.health);
  const realized = useSignal(Number(props.realizedPnl));
  const today = useSignal(Number(props.todayPnl));
  const connected = useSignal<"connecting" | "live" | "lost" | "off">("connecting");

  useEffect(() => {
    const names = new Map(props.strategies.map((s) => [s.id, s.name]));
    const source = new EventSource("/api/v1/events");
    const on = (type: string, fn: (d: Record<string, unknown>) => void) =>
      source.addEventListener(type, (e) => {
        try {
          fn(JSON.parse((e as MessageEvent).data));
        } catch {
          // A malformed event must not break the page.
        }
      });
    source.onopen = () => connected.value = "live";
    // CLOSED means the server refused the stream (it will not retry); else it reconnects.
    source.onerror = () =>
      connected.value = source.readyState === EventSource.CLOSED ? "off" : "lost";
    on("price", (d) => {
      const symbol = String(d.symbol);
      const p = String(d.price ?? d.close);
      positions.value = positions.value.map((x) => x.symbol === symbol ? { ...x, price: p } : x);
    });
    on("trade", (d0) => {
      const d = (d0.trade as Record<string, unknown> | undefined) ?? d0;
      const id = Number(d.id ?? d.tradeId);
      if (d.status === "OPEN") {
        const view: PositionView = {
          id,
          strategyId: Number(d.strategyId),
          strategyName: String(d.strategyName ?? names.get(Number(d.strategyId)) ?? ""),
          symbol: String(d.symbol),
          entryPrice: String(d.entryPrice),
          quantity: String(d.quantity),
          takeProfitPrice: (d.takeProfitPrice as string | null | undefined) ?? null,
          stopLossPrice: (d.stopLossPrice as string | null | undefined) ?? null,
          entryTime: String(d.entryTimestamp ?? new Date().toISOString()),
          price: (d.price as string | undefined) ?? String(d.entryPrice),
          isPaper: d.isPaper !== false,
        };
        const rest = positions.value.filter((x) => x.id !== id);
        positions.value = [view, ...rest];
        strategies.value = strategies.value.map((s) =>
          s.id === view.strategyId ? { ...s, state: "in_position" } : s
        );
      } else if (d.status) {
        const closed = positions.value.find((x) => x.id === id);
        positions.value = positions.value.filter((x) => x.id !== id);
        trades.value = [toTradeView(d, names), ...trades.value.filter((t) => t.id !== id)]
          .slice(0, 10);
        const pnl = Number(d.pnl ?? 0);
        realized.value += pnl;
        today.value += pnl;
        const sid = closed?.strategyId ?? Number(d.strategyId);
        strategies.value = strategies.value.map((s) =>
          s.id === sid && s.state === "in_position" ? { ...s, state: "waiting" } : s
        );
      }
    });
    on("strategy", (d) => {
      const id = Number(d.strategyId ?? d.id);
      const state = d.state ? String(d.state) : d.isActive === false ? "inactive" : undefined;
      if (!state) return;
      strategies.value = strategies.value.map((s) =>
        s.id === id ? { ...s, state: state as typeof s.state } : s
      );
    });
    on("health", (d) => health.value = { ...health.value, ...d });
    return () => source.close();
  }, []);

  const open = positions.value;
  const unrealizedTotal = open.reduce((acc, p) => acc + (unrealized(p) ?? 0), 0);
  const equity = props.startingBalance + realized.value + unrealizedTotal;
  const active = strategies.value.filter((s) => s.state !== "inactive");
  const h = health.value;

  return (
    <div class="dashboard">
      <section class="kpis" aria-label="Portfolio">
        <div class="kpi">
          <span class="kpi-label">
            {props.mode === "paper" ? "Paper portfolio value" : "Realized + unrealized"}
          </span>
          <span class="kpi-value" data-testid="portfolio-value">
            {props.mode === "paper"
              ? `${money(equity)} USDT`
              : `${signedMoney(realized.value + unrealizedTotal)} USDT`}
          </span>
        </div>
        <div class="kpi">
          <span class="kpi-label">Today's P&L</span>
          <span class={`kpi-value ${tone(today.value)}`}>{signedMoney(today.value)}</span>
        </div>
        <div class="kpi">
          <span class="kpi-label">Realized P&L</span>
          <span class={`kpi-value ${tone(realized.value)}`} data-testid="realized-pnl">
            {signedMoney(realized.value)}
          </span>
        </div>
        <div class="kpi">
          <span class="kpi-label">Unrealized P&L</span>
          <span class={`kpi-value ${tone(unrealizedTotal)}`}>{signedMoney(unrealizedTotal)}</span>
        </div>
      </section>

      <section class="card span-2" aria-labelledby="positions-title">
        <header class="card-head">
          <h2 id="positions-title">Open positions</h2>
          <span class={`live live-${connected.value}`} role="status">
            {connected.value === "live"
              ? "Live"
              : connected.value === "lost"
              ? "Reconnecting…"
              : connected.value === "off"
              ? "Live updates unavailable"
              : "Connecting…"}
          </span>
        </header>
        {open.length === 0
          ? (
            <EmptyState title="No open positions">
              Active strategies open one when their entry conditions hold on a closed candle.
            </EmptyState>
          )
          : (
            <div class="table-wrap">
              <table class="table" data-testid="positions">
                <thead>
                  <tr>
                    <th scope="col">Symbol</th>
                    <th scope="col">Strategy</th>
                    <th scope="col" class="num">Entry</th>
                    <th scope="col" class="num">Price</th>
                    <th scope="col" class="num">Qty</th>
                    <th scope="col" class="num">Unrealized</th>
                    <th scope="col" class="num">TP / SL</th>
                  </tr>
                </thead>
                <tbody>
                  {open.map((p) => {
                    const u = unrealized(p);
                    return (
                      <tr key={p.id}>
                        <td>
                          <a href={`/history/${p.id}`}>{p.symbol}</a>
                          {p.isPaper && <span class="tag">paper</span>}
                        </td>
                        <td>{p.strategyName}</td>
                        <td class="num">{price(p.entryPrice)}</td>
                        <td class="num">{price(p.price)}</td>
                        <td class="num">{p.quantity}</td>
                        <td class={`num ${tone(u)}`}>{signedMoney(u)}</td>
                        <td class="num">
                          <span class="pos">{price(p.takeProfitPrice)}</span> /{" "}
                          <span class="neg">{price(p.stopLossPrice)}</span>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
      </section>

      <section class="card" aria-labelledby="health-title">
        <h2 id="health-title">Pipeline</h2>
        <dl class="health">
          <dt>Market data</dt>
          <dd
            class={h.marketData === "connected" ? "pos" : h.marketData === "unknown" ? "" : "neg"}
          >
            {h.marketData === "connected"
              ? "Connected"
              : h.marketData === "disconnected"
              ? "Disconnected"
              : "Unknown"}
          </dd>
          <dt>Last candle</dt>
          <dd>{h.lastCandleTime ? dateTime(h.lastCandleTime) : "—"}</dd>
          <dt>Exchange</dt>
          <dd class={h.exchange === "ok" ? "pos" : h.exchange === "unknown" ? "" : "neg"}>
            {h.exchange === "ok"
              ? "Operational"
              : h.exchange === "unknown"
              ? "Unknown"
              : h.exchange}
          </dd>
        </dl>
        {h.marketData === "disconnected" && (
          <p class="alert alert-warn" role="alert">
            Market data is disconnected: strategies will not see new candles until it reconnects.
          </p>
        )}
      </section>

      <section class="card" aria-labelledby="active-title">
        <h2 id="active-title">Active strategies</h2>
        {active.length === 0
          ? (
            <EmptyState title="No active strategies">
              <p>
                <a href="/strategies">Create or activate a strategy</a> to start trading.
              </p>
            </EmptyState>
          )
          : (
            <ul class="list" data-testid="active-strategies">
              {active.map((s) => (
                <li key={s.id}>
                  <a href={`/strategies/${s.id}`}>{s.name}</a>
                  <span class="muted">{s.symbol} · {s.interval}</span>
                  <StateBadge state={s.state} title={s.haltReason} />
                </li>
              ))}
            </ul>
          )}
      </section>

      <section class="card span-2" aria-labelledby="recent-title">
        <header class="card-head">
          <h2 id="recent-title">Recent trades</h2>
          <a href="/history">All trades →</a>
        </header>
        {trades.value.length === 0
          ? <EmptyState title="No closed trades yet" />
          : (
            <div class="table-wrap">
              <table class="table" data-testid="recent-trades">
                <thead>
                  <tr>
                    <th scope="col">Closed</th>
                    <th scope="col">Symbol</th>
                    <th scope="col">Strategy</th>
                    <th scope="col">Exit</th>
                    <th scope="col" class="num">P&L</th>
                  </tr>
                </thead>
                <tbody>
                  {trades.value.map((t) => (
                    <tr key={t.id}>
                      <td>{dateTime(t.time)}</td>
                      <td>
                        <a href={`/history/${t.id}`}>{t.symbol}</a>
                      </td>
                      <td>{t.strategyName}</td>
                      <td>{statusLabel(t.status)}</td>
                      <td class={`num ${tone(t.pnl)}`}>{signedMoney(t.pnl)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
      </section>
    </div>
  );
}
