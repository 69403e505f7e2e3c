/**
 * The one client entry: finds every island marker the server rendered and
 * hydrates it. Each island is a dynamic import, so the bundler splits it into
 * its own chunk and a page downloads only the islands it shows (the chart
 * library only where a chart is).
 *
 * @module
 */
import { h, hydrate } from "preact";
import type { ComponentType } from "preact";

type Loader = () => Promise<{ default: ComponentType<Record<string, unknown>> }>;

/** Registry of islands by marker name; keep in step with islands/. */
const ISLANDS: Record<string, Loader> = {
  LoginForm: () => import("../islands/LoginForm.tsx") as unknown as ReturnType<Loader>,
  RegisterForm: () => import("../islands/RegisterForm.tsx") as unknown as ReturnType<Loader>,
  LogoutButton: () => import("../islands/LogoutButton.tsx") as unknown as ReturnType<Loader>,
  LiveDashboard: () => import("../islands/LiveDashboard.tsx") as unknown as ReturnType<Loader>,
  StrategyEditor: () => import("../islands/StrategyEditor.tsx") as unknown as ReturnType<Loader>,
  StrategyControls: () =>
    import("../islands/StrategyControls.tsx") as unknown as ReturnType<Loader>,
  BacktestPanel: () => import("../islands/BacktestPanel.tsx") as unknown as ReturnType<Loader>,
  CandleChart: () => import("../islands/CandleChart.tsx") as unknown as ReturnType<Loader>,
  ApiKeyForm: () => import("../islands/ApiKeyForm.tsx") as unknown as ReturnType<Loader>,
  SettingsForm: () => import("../islands/SettingsForm.tsx") as unknown as ReturnType<Loader>,
};

for (const el of Array.from(document.querySelectorAll<HTMLElement>("[data-island]"))) {
  const name = el.dataset.island ?? "";
  const load = ISLANDS[name];
  if (!load) {
    console.error(`Unknown island "${name}"`);
    continue;
  }
  const props = JSON.parse(el.dataset.props ?? "{}") as Record<string, unknown>;
  load().then((mod) => {
    hydrate(h(mod.default, props), el);
    el.dataset.hydrated = "true";
  }).catch((error) => console.error(`Cannot hydrate island "${name}": ${String(error)}`));
}
