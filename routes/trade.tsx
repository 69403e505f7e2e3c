/**
 * GET /history/:id: one trade — prices, fees, P&L, its orders (entry, OCO,
 * exit) and the latency trace from candle close to the OCO acknowledgement.
 *
 * @module
 */
import { portfolioServiceFor } from "./api/portfolio.ts";
import { isAuraError } from "../engine/errors.ts";
import { getStrategy } from "../db/strategies.ts";
import { dateTime, money, price, signedMoney, statusLabel, tone } from "../ui/format.ts";
import type { PageContext, PageResult } from "../ui/page.ts";

/** The latency trace as ordered steps with the time since the previous step. */
export function latencySteps(
  latency: Record<string, number> | null,
): { step: string; at: number; deltaMs: number; totalMs: number }[] {
  if (!latency) return [];
  const entries = Object.entries(latency).filter(([, v]) => Number.isFinite(v))
    .sort((a, b) => a[1] - b[1]);
  const start = entries[0]?.[1] ?? 0;
  return entries.map(([step, at], i) => ({
    step,
    at,
    deltaMs: i === 0 ? 0 : at - entries[i - 1]![1],
    totalMs: at - start,
  }));
}

/** Milliseconds as shown in the trace: whole when whole, else to 0.01 ms. */
export function formatMs(ms: number): string {
  return Number.isInteger(ms) ? String(ms) : ms.toFixed(2);
}

/**
 * A one-line summary of an exchange answer: order (or list) id and status,
 * or the error — looking inside `{ order }` / `{ list }` wrappers.
 */
export function answerOf(result: unknown): string {
  if (result === null || result === undefined) return "—";
  if (typeof result !== "object") return String(result);
  const outer = result as Record<string, unknown>;
  const inner = (outer.order ?? outer.list ?? outer) as Record<string, unknown>;
  const parts = [
    inner.orderId ?? inner.orderListId,
    inner.status ?? inner.listOrderStatus,
    inner.executedQty === undefined ? undefined : `qty ${String(inner.executedQty)}`,
    outer.code ?? inner.code,
    outer.msg ?? outer.message ?? inner.msg,
  ].filter((x) => x !== undefined && x !== null).map(String);
  return parts.length ? parts.join(" · ") : JSON.stringify(result).slice(0, 80);
}

/** Renders a trade's detail. */
export async function handler(ctx: PageContext): Promise<PageResult> {
  const raw = ctx.params.id ?? "";
  if (!/^[1-9]\d{0,9}$/.test(raw)) return { notFound: true };
  // The same read as GET /api/v1/trades/:id: the trade plus its order intents.
  let t;
  try {
    t = await portfolioServiceFor(ctx.deps).trade(ctx.user.id, Number(raw));
  } catch (error) {
    if (isAuraError(error, "API_005")) return { notFound: true };
    throw error;
  }
  const strategy = await getStrategy(ctx.deps.db, ctx.user.id, t.strategyId);
  const steps = latencySteps(t.latency);
  const row = (label: string, value: string | null | undefined, cls = "") => (
    <>
      <dt>{label}</dt>
      <dd class={cls}>{value ?? "—"}</dd>
    </>
  );
  return {
    title: `Trade ${t.id}`,
    body: (
      <>
        <div class="page-head">
          <h1>
            {t.symbol} trade #{t.id}
          </h1>
          <span class="badge">{statusLabel(t.status)}</span>
          {t.isPaper && <span class="tag">paper</span>}
        </div>
        <div class="grid-2">
          <section class="card" aria-labelledby="trade-summary">
            <h2 id="trade-summary">Summary</h2>
            <dl class="facts">
              {row("Strategy", strategy?.name ?? `#${t.strategyId}`)}
              {row("Opened", dateTime(t.entryTimestamp))}
              {row("Closed", dateTime(t.exitTimestamp))}
              {row("Entry price", price(t.entryPrice))}
              {row("Exit price", price(t.exitPrice))}
              {row("Quantity", t.quantity)}
              {row("Take-profit", price(t.takeProfitPrice))}
              {row("Stop-loss", price(t.stopLossPrice))}
              {row("Fees", `${money(t.fees, 4)} USDT`)}
              {row("P&L", t.pnl === null ? null : `${signedMoney(t.pnl)} USDT`, tone(t.pnl))}
              {t.failureReason && row("Failure", t.failureReason, "neg")}
            </dl>
          </section>
          <section class="card" aria-labelledby="trade-orders">
            <h2 id="trade-orders">Orders</h2>
            <dl class="facts mono">
              {row("Entry client id", t.clientOrderIdEntry)}
              {row("Entry exchange id", t.binanceOrderIdEntry)}
              {row("OCO list client id", t.ocoListClientOrderId)}
              {row("OCO exchange id", t.binanceOrderIdOco)}
              {row("Exit client id", t.clientOrderIdExit)}
              {row("Signal", t.signalId)}
            </dl>
          </section>
        </div>
        <section class="card" aria-labelledby="trade-intents">
          <h2 id="trade-intents">Order intents</h2>
          {t.intents.length === 0
            ? <p class="muted">No order intents were recorded for this trade.</p>
            : (
              <div class="table-wrap">
                <table class="table" data-testid="intents">
                  <thead>
                    <tr>
                      <th scope="col">Kind</th>
                      <th scope="col">Client order id</th>
                      <th scope="col">Status</th>
                      <th scope="col">Exchange answer</th>
                      <th scope="col">Recorded</th>
                    </tr>
                  </thead>
                  <tbody>
                    {t.intents.map((i) => (
                      <tr key={i.clientOrderId}>
                        <td>{i.kind}</td>
                        <td class="mono">{i.clientOrderId}</td>
                        <td class={i.status === "FAILED" ? "neg" : undefined}>{i.status}</td>
                        <td class="mono">{answerOf(i.result)}</td>
                        <td>{dateTime(i.createdAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
        </section>
        <section class="card" aria-labelledby="trade-latency">
          <h2 id="trade-latency">Latency trace</h2>
          {steps.length === 0
            ? <p class="muted">No latency trace was recorded for this trade.</p>
            : (
              <div class="table-wrap">
                <table class="table" data-testid="latency">
                  <thead>
                    <tr>
                      <th scope="col">Step</th>
                      <th scope="col">At (UTC)</th>
                      <th scope="col" class="num">+ms</th>
                      <th scope="col" class="num">Total ms</th>
                    </tr>
                  </thead>
                  <tbody>
                    {steps.map((s) => (
                      <tr>
                        <td>{s.step}</td>
                        <td>{new Date(s.at).toISOString().slice(11, 23)}</td>
                        <td class="num">{formatMs(s.deltaMs)}</td>
                        <td class="num">{formatMs(s.totalMs)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
        </section>
        <p>
          <a href="/history">← Back to history</a>
        </p>
      </>
    ),
  };
}
