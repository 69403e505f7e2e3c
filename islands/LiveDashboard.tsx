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
import type { DashboardData, PositionView, StrategyView, TradeView } from "../ui/dashboard_data.ts";
import { type CheckResult, healthFromChecks } from "../ui/health.ts";
import { type EventHandlers, type StreamStatus, subscribeEvents } from "../ui/events.ts";
import { dateTime, money, price, signedMoney, statusLabel, tone } from "../ui/format.ts";
import { StateBadge } from "../components/StateBadge.tsx";
import { EmptyState } from "../components/EmptyState.tsx";

/** Props: the server's snapshot. */
export type LiveDashboardProps = DashboardData;

type Json = Record<string, unknown>;

/** Unrealized P&L of a position at its latest price, net of the entry fee (null without a price). */
export function unrealizedOf(p: PositionView): number | null {
  if (p.price === null) return null;
  return (Number(p.price) - Number(p.entryPrice)) * Number(p.quantity) - Number(p.entryFee);
}

const str = (v: unknown): string | null => (v === undefined || v === null ? null : String(v));

/** A `trade` event (the engine's trade_opened) as a position. */
export function positionFromEvent(d: Json, names: Map<number, string>): PositionView {
  const strategyId = Number(d.strategyId);
  return {
    id: Number(d.tradeId ?? d.id),
    strategyId,
    strategyName: String(d.strategyName ?? names.get(strategyId) ?? `#${strategyId}`),
    symbol: String(d.symbol),
    entryPrice: String(d.entryPrice),
    quantity: String(d.quantity),
    entryFee: String(d.entryFee ?? d.fees ?? "0"),
    takeProfitPrice: str(d.takeProfitPrice),
    stopLossPrice: str(d.stopLossPrice),
    entryTime: new Date(Number(d.occurredAt ?? Date.now())).toISOString(),
    price: str(d.price) ?? String(d.entryPrice),
    isPaper: d.isPaper !== false,
  };
}

/** A `trade` event (the engine's trade_closed) as a history row. */
export function closedFromEvent(d: Json, names: Map<number, string>): TradeView {
  const strategyId = Number(d.strategyId);
  return {
    id: Number(d.tradeId ?? d.id),
    strategyName: String(names.get(strategyId) ?? `#${strategyId}`),
    symbol: String(d.symbol ?? ""),
    status: String(d.status ?? ""),
    entryPrice: String(d.entryPrice ?? ""),
    exitPrice: str(d.exitPrice),
    pnl: str(d.pnl),
    time: new Date(Number(d.occurredAt ?? Date.now())).toISOString(),
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
  const notices = useSignal<string[]>([]);
  const connected = useSignal<StreamStatus>("connecting");

  useEffect(() => {
    const names = new Map(props.strategies.map((s) => [s.id, s.name]));
    const notify = (text: string) => notices.value = [text, ...notices.value].slice(0, 5);
    const setState = (id: number, state: StrategyView["state"], only?: StrategyView["state"]) =>
      strategies.value = strategies.value.map((s) =>
        s.id === id && (only === undefined || s.state === only) ? { ...s, state } : s
      );
    const handlers: EventHandlers = {};
    const on = (type: string, fn: (d: Json) => void) => handlers[type] = fn;
    on("hello", (d) => {
      const checks = (d.health as Json | undefined)?.checks as Record<string, CheckResult>;
      if (checks) {
        health.value = { ...healthFromChecks(checks), lastCandleTime: health.value.lastCandleTime };
      }
    });
    on("health", (d) => {
      const checks = d.checks as Record<string, CheckResult> | undefined;
      health.value = checks
        ? { ...healthFromChecks(checks), lastCandleTime: health.value.lastCandleTime }
        : { ...health.value, ...d };
    });
    on("price", (d) => {
      const symbol = String(d.symbol);
      const p = String(d.price);
      positions.value = positions.value.map((x) => x.symbol === symbol ? { ...x, price: p } : x);
      // Prices come from closed candles: the stream is alive and this is the newest close.
      const time = Number(d.time);
      if (Number.isFinite(time) && time > (health.value.lastCandleTime ?? 0)) {
        health.value = { ...health.value, marketData: "connected", lastCandleTime: time };
      }
    });
    on("trade", (d) => {
      const opened = d.type === "trade_opened" || d.status === "OPEN";
      const closed = d.type === "trade_closed" ||
        (typeof d.status === "string" && d.status !== "OPEN" && d.type === undefined);
      if (opened) {
        const view = positionFromEvent(d, names);
        positions.value = [view, ...positions.value.filter((x) => x.id !== view.id)];
        setState(view.strategyId, "in_position");
      } else if (closed) {
        const row = closedFromEvent(d, names);
        positions.value = positions.value.filter((x) => x.id !== row.id);
        trades.value = [row, ...trades.value.filter((t) => t.id !== row.id)].slice(0, 10);
        const pnl = Number(d.pnl ?? 0);
        realized.value += pnl;
        today.value += pnl;
        setState(Number(d.strategyId), "waiting", "in_position");
      } else if (d.type === "trade_failed") {
        notify(
          `${String(d.symbol ?? "")} ${String(d.action ?? "order")} failed: ${String(d.message)}`,
        );
      }
    });
    on("strategy", (d) => {
      const id = Number(d.strategyId ?? d.id);
      if (d.type === "strategy_halted") {
        setState(id, "halted");
        notify(`Strategy ${names.get(id) ?? `#${id}`} halted: ${String(d.message)}`);
      } else if (typeof d.state === "string") setState(id, d.state as StrategyView["state"]);
    });
    on("notification", (d) => {
      if (d.type === "reconciliation_report") {
        const findings = Array.isArray(d.findings) ? d.findings.length : 0;
        notify(
          `Reconciliation checked ${String(d.openTradesChecked)} open trades: ${findings} findings`,
        );
      } else if (d.message) notify(String(d.message));
    });
    return subscribeEvents(handlers, (status) => connected.value = status);
  }, []);

  const open = positions.value;
  const unrealizedTotal = open.reduce((acc, p) => acc + (unrealizedOf(p) ?? 0), 0);
  // The server valued the portfolio exactly at render; live changes are added on top.
  const value = Number(props.totalValue) + (unrealizedTotal - Number(props.unrealizedPnl)) +
    (realized.value - Number(props.realizedPnl));
  const active = strategies.value.filter((s) => s.state !== "inactive");
  const h = health.value;

  return (
    <div class="dashboard">
      <section class="kpis" aria-label="Portfolio">
        <div class="kpi">
          <span class="kpi-label">
            {props.mode === "paper" ? "Paper portfolio value" : "Portfolio value"}
          </span>
          <span class="kpi-value" data-testid="portfolio-value">{money(value)} USDT</span>
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
                    const u = unrealizedOf(p);
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
                        <td class="num levels">
                          <span class="pos">{price(p.takeProfitPrice)}</span>
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
        {h.detail && <p class="hint">{h.detail}</p>}
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

      {notices.value.length > 0 && (
        <section class="card span-3 notices" aria-label="Notifications" role="status">
          <ul class="list">
            {notices.value.map((n, i) => <li key={i} class="warn">{n}</li>)}
          </ul>
        </section>
      )}

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
