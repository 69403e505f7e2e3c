/**
 * GET /history: closed trades with filters (strategy, symbol, status, dates),
 * sortable columns, pagination, totals over the filtered set and a CSV
 * export of the same filter. Plain links and a GET form: no JavaScript.
 *
 * @module
 */
import type { JSX } from "preact";
import { listTradeHistory, type TradeHistoryFilter, type TradeStatus } from "../db/trades.ts";
import { listStrategies } from "../db/strategies.ts";
import { EmptyState } from "../components/EmptyState.tsx";
import { dateTime, money, price, signedMoney, statusLabel, tone } from "../ui/format.ts";
import type { PageContext, PageResult } from "../ui/page.ts";

const PAGE_SIZE = 25;
const STATUSES: TradeStatus[] = [
  "CLOSED_TP",
  "CLOSED_SL",
  "CLOSED_SIGNAL",
  "CLOSED_MANUAL",
  "CLOSED_DUST",
  "FAILED",
];
const SORTS = ["entry_timestamp", "exit_timestamp", "pnl", "symbol"] as const;
type Sort = typeof SORTS[number];

/** Reads the history filter from the query string, ignoring invalid values. */
export function filterFromQuery(q: URLSearchParams): TradeHistoryFilter & { page: number } {
  const date = (v: string | null) => {
    if (!v || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return undefined;
    const d = new Date(`${v}T00:00:00Z`);
    return Number.isNaN(d.getTime()) ? undefined : d;
  };
  const strategyId = Number(q.get("strategyId"));
  const status = q.get("status") as TradeStatus | null;
  const sort = q.get("sort") as Sort | null;
  const page = Math.max(1, Math.min(10_000, Math.floor(Number(q.get("page")) || 1)));
  const symbol = q.get("symbol")?.toUpperCase();
  const to = date(q.get("to"));
  return {
    strategyId: Number.isInteger(strategyId) && strategyId > 0 ? strategyId : undefined,
    symbol: symbol && /^[A-Z0-9]{2,20}$/.test(symbol) ? symbol : undefined,
    status: status && STATUSES.includes(status) ? status : undefined,
    from: date(q.get("from")),
    // "to" is inclusive for people: trades on that day are shown.
    to: to ? new Date(to.getTime() + 86_400_000) : undefined,
    sort: sort && SORTS.includes(sort) ? sort : "exit_timestamp",
    order: q.get("order") === "asc" ? "asc" : "desc",
    limit: PAGE_SIZE,
    offset: (page - 1) * PAGE_SIZE,
    page,
  };
}

const API_SORT: Record<Sort, string> = {
  entry_timestamp: "entryTime",
  exit_timestamp: "exitTime",
  pnl: "pnl",
  symbol: "symbol",
};

/** The query of GET /api/v1/portfolio/history?format=csv for the same filter. */
export function csvQuery(filter: TradeHistoryFilter): URLSearchParams {
  const out = new URLSearchParams({ format: "csv" });
  if (filter.strategyId !== undefined) out.set("strategyId", String(filter.strategyId));
  if (filter.symbol !== undefined) out.set("symbol", filter.symbol);
  if (filter.status !== undefined) out.set("status", filter.status);
  if (filter.from !== undefined) out.set("from", filter.from.toISOString());
  if (filter.to !== undefined) out.set("to", filter.to.toISOString());
  out.set("sort", API_SORT[filter.sort ?? "exit_timestamp"]);
  out.set("order", filter.order ?? "desc");
  return out;
}

/** Renders the trade history. */
export async function handler(ctx: PageContext): Promise<PageResult> {
  const q = ctx.url.searchParams;
  const filter = filterFromQuery(q);
  const [result, strategies] = await Promise.all([
    listTradeHistory(ctx.deps.db, ctx.user.id, filter),
    listStrategies(ctx.deps.db, ctx.user.id),
  ]);
  const names = new Map(strategies.map((s) => [s.id, s.name]));
  const pages = Math.max(1, Math.ceil(result.total / PAGE_SIZE));
  const link = (patch: Record<string, string | undefined>) => {
    const next = new URLSearchParams(q);
    for (const [k, v] of Object.entries(patch)) v === undefined ? next.delete(k) : next.set(k, v);
    const s = next.toString();
    return s ? `/history?${s}` : "/history";
  };
  const csv = csvQuery(filter);
  const sortHeader = (key: Sort, label: string, numeric = false): JSX.Element => {
    const current = filter.sort === key;
    const nextOrder = current && filter.order === "desc" ? "asc" : "desc";
    return (
      <th
        scope="col"
        class={numeric ? "num" : undefined}
        aria-sort={current ? (filter.order === "asc" ? "ascending" : "descending") : undefined}
      >
        <a href={link({ sort: key, order: nextOrder, page: undefined })}>
          {label}
          {current ? (filter.order === "asc" ? " ▲" : " ▼") : ""}
        </a>
      </th>
    );
  };
  const v = (k: string) => q.get(k) ?? "";
  return {
    title: "History",
    body: (
      <>
        <div class="page-head">
          <h1>Trade history</h1>
          <a class="btn" href={`/api/v1/portfolio/history?${csv}`} download>Export CSV</a>
        </div>
        <form class="card filters" method="get" action="/history" aria-label="Filters">
          <div class="field">
            <label for="f-strategy">Strategy</label>
            <select id="f-strategy" name="strategyId">
              <option value="">All</option>
              {strategies.map((s) => (
                <option value={String(s.id)} selected={filter.strategyId === s.id}>{s.name}</option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="f-symbol">Symbol</label>
            <input id="f-symbol" name="symbol" value={v("symbol")} placeholder="BTCUSDT" />
          </div>
          <div class="field">
            <label for="f-status">Status</label>
            <select id="f-status" name="status">
              <option value="">Any closed</option>
              {STATUSES.map((s) => (
                <option value={s} selected={filter.status === s}>{statusLabel(s)}</option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="f-from">From</label>
            <input id="f-from" type="date" name="from" value={v("from")} />
          </div>
          <div class="field">
            <label for="f-to">To</label>
            <input id="f-to" type="date" name="to" value={v("to")} />
          </div>
          <div class="field field-end">
            <button class="btn btn-primary" type="submit">Apply</button>
          </div>
        </form>
        <section class="kpis" aria-label="Totals">
          <div class="kpi">
            <span class="kpi-label">Trades</span>
            <span class="kpi-value" data-testid="history-total">{result.total}</span>
          </div>
          <div class="kpi">
            <span class="kpi-label">Net P&L</span>
            <span class={`kpi-value ${tone(result.totalPnl)}`}>
              {signedMoney(result.totalPnl)}
            </span>
          </div>
          <div class="kpi">
            <span class="kpi-label">Fees</span>
            <span class="kpi-value">{money(result.totalFees, 4)}</span>
          </div>
        </section>
        <section class="card">
          {result.trades.length === 0
            ? (
              <EmptyState title="No closed trades match">
                Trades appear here once a position closes by take-profit, stop-loss or an exit
                signal.
              </EmptyState>
            )
            : (
              <div class="table-wrap">
                <table class="table" data-testid="history">
                  <thead>
                    <tr>
                      {sortHeader("entry_timestamp", "Opened")}
                      {sortHeader("exit_timestamp", "Closed")}
                      {sortHeader("symbol", "Symbol")}
                      <th scope="col">Strategy</th>
                      <th scope="col">Status</th>
                      <th scope="col" class="num">Entry</th>
                      <th scope="col" class="num">Exit</th>
                      <th scope="col" class="num">Qty</th>
                      {sortHeader("pnl", "P&L", true)}
                    </tr>
                  </thead>
                  <tbody>
                    {result.trades.map((t) => (
                      <tr>
                        <td>{dateTime(t.entryTimestamp)}</td>
                        <td>{dateTime(t.exitTimestamp)}</td>
                        <td>
                          <a href={`/history/${t.id}`}>{t.symbol}</a>
                          {t.isPaper && <span class="tag">paper</span>}
                        </td>
                        <td>{names.get(t.strategyId) ?? `#${t.strategyId}`}</td>
                        <td>{statusLabel(t.status)}</td>
                        <td class="num">{price(t.entryPrice)}</td>
                        <td class="num">{price(t.exitPrice)}</td>
                        <td class="num">{t.quantity}</td>
                        <td class={`num ${tone(t.pnl)}`}>{signedMoney(t.pnl)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          {pages > 1 && (
            <nav class="pager" aria-label="Pages">
              {filter.page > 1 && (
                <a class="btn btn-sm" href={link({ page: String(filter.page - 1) })}>← Newer</a>
              )}
              <span>Page {filter.page} of {pages}</span>
              {filter.page < pages && (
                <a class="btn btn-sm" href={link({ page: String(filter.page + 1) })}>Older →</a>
              )}
            </nav>
          )}
        </section>
      </>
    ),
  };
}
