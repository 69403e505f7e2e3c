/**
 * GET /strategies/new and /strategies/:id: the no-code editor, and for a
 * saved strategy its activation controls, the backtest runner and the list
 * of past backtests.
 *
 * @module
 */
import { getStrategy } from "../db/strategies.ts";
import { listBacktests } from "../db/backtests.ts";
import { getActiveApiKey } from "../db/api_keys.ts";
import { INTERVALS } from "../engine/candle.ts";
import StrategyEditor, { defaultDraft, type StrategyDraft } from "../islands/StrategyEditor.tsx";
import StrategyControls from "../islands/StrategyControls.tsx";
import BacktestPanel from "../islands/BacktestPanel.tsx";
import { EmptyState } from "../components/EmptyState.tsx";
import { Island } from "../ui/island.tsx";
import { symbolOptions } from "../ui/symbols.ts";
import { dateOnly, dateTime, percent, signedMoney, tone } from "../ui/format.ts";
import type { PageContext, PageResult } from "../ui/page.ts";

const DAY = 86_400_000;

/** Renders the editor (new or existing strategy). */
export async function handler(ctx: PageContext): Promise<PageResult> {
  const { db } = ctx.deps;
  const symbols = symbolOptions();
  const intervals = INTERVALS.filter((i) => i !== "1s");
  const raw = ctx.params.id;
  if (raw === undefined) {
    return {
      title: "New strategy",
      body: (
        <>
          <div class="page-head">
            <h1>New strategy</h1>
          </div>
          <Island
            name="StrategyEditor"
            component={StrategyEditor}
            props={{ id: null, initial: defaultDraft(), isActive: false, symbols, intervals }}
          />
        </>
      ),
    };
  }
  if (!/^[1-9]\d{0,9}$/.test(raw)) return { notFound: true };
  const strategy = await getStrategy(db, ctx.user.id, Number(raw));
  if (!strategy) return { notFound: true };
  const [backtests, key] = await Promise.all([
    listBacktests(db, ctx.user.id, strategy.id),
    getActiveApiKey(db, ctx.user.id),
  ]);
  const initial = {
    name: strategy.name,
    symbol: strategy.symbol,
    interval: strategy.interval,
    entryConditions: strategy.entryConditions,
    exitConditions: strategy.exitConditions,
    riskParams: strategy.riskParams,
  } as StrategyDraft;
  const now = ctx.deps.clock.now();
  return {
    title: strategy.name,
    body: (
      <>
        <div class="page-head">
          <h1>{strategy.name}</h1>
          <span class="muted">{strategy.symbol} · {strategy.interval}</span>
        </div>
        <div class="grid-main">
          <div class="stack">
            <Island
              name="StrategyEditor"
              component={StrategyEditor}
              props={{ id: strategy.id, initial, isActive: strategy.isActive, symbols, intervals }}
            />
          </div>
          <aside class="stack">
            <section class="card" aria-label="Activation">
              <Island
                name="StrategyControls"
                component={StrategyControls}
                props={{
                  id: strategy.id,
                  name: strategy.name,
                  isActive: strategy.isActive,
                  haltReason: strategy.haltReason,
                  mode: ctx.user.tradingMode,
                  keysReady: key !== null && key.lastStatus?.valid !== false,
                }}
              />
            </section>
            <Island
              name="BacktestPanel"
              component={BacktestPanel}
              props={{
                strategyId: strategy.id,
                defaultFrom: dateOnly(now - 90 * DAY),
                defaultTo: dateOnly(now),
              }}
            />
            <section class="card" aria-labelledby="past-title">
              <h2 id="past-title">Past backtests</h2>
              {backtests.length === 0
                ? (
                  <EmptyState title="No backtests yet">
                    Run one above to see how the rules would have traded.
                  </EmptyState>
                )
                : (
                  <ul class="list" data-testid="past-backtests">
                    {backtests.map((b) => (
                      <li>
                        <a href={`/backtests/${b.id}`}>
                          {dateOnly(b.startDate)} → {dateOnly(b.endDate)}
                        </a>
                        <span class={tone(b.totalPnl)}>{signedMoney(b.totalPnl)}</span>
                        <span class="muted">
                          {b.totalTrades} trades · {percent(b.winRate * 100, 0)} win · run{" "}
                          {dateTime(b.createdAt)}
                        </span>
                      </li>
                    ))}
                  </ul>
                )}
            </section>
          </aside>
        </div>
      </>
    ),
  };
}
