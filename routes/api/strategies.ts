/**
 * /api/v1/strategies and /api/v1/backtests: strategy CRUD and activation,
 * backtest jobs and stored results. Thin: validate, call the service, map.
 *
 * Mount: `strategiesRoutes(deps)` at `/strategies`, `backtestsRoutes(deps)`
 * at `/backtests` (both behind requireAuth). They share one BacktestService
 * per `deps`, so a job started under /strategies is visible under /backtests.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppDeps } from "../../app.ts";
import { StrategySchema } from "../../engine/strategy/rules.ts";
import { audit } from "../../services/audit.ts";
import { BacktestRequestSchema, BacktestService } from "../../services/backtests.ts";
import { MarketData } from "../../services/market_data.ts";
import { registerRoute } from "../../services/openapi.ts";
import { type StrategyEngineHook, StrategyService } from "../../services/strategies.ts";
import type { ApiEnv } from "./_env.ts";
import { parseId, parseJsonBody, parseQuery, validate } from "./_validate.ts";

/** What these routes need beyond part A's AppDeps (all optional). */
export interface StrategyRouteDeps extends AppDeps {
  /** The live pipeline's hook for strategy changes. */
  engine?: StrategyEngineHook;
  /** Whether a user's live keys are usable. */
  keysReady?: (userId: number) => Promise<boolean>;
  /** History source for backtests (default: klines cache + BINANCE_REST_URL). */
  marketData?: Pick<MarketData, "getHistory">;
}

const services = new WeakMap<object, { strategies: StrategyService; backtests: BacktestService }>();

/** The strategy and backtest services of `deps` (one of each per deps object). */
export function strategyServicesFor(
  deps: StrategyRouteDeps,
): { strategies: StrategyService; backtests: BacktestService } {
  let s = services.get(deps);
  if (!s) {
    const marketData = deps.marketData ??
      new MarketData({ db: deps.db, clock: deps.clock, restUrl: deps.config.BINANCE_REST_URL });
    s = {
      strategies: new StrategyService({
        db: deps.db,
        events: deps.events,
        engine: deps.engine,
        keysReady: deps.keysReady,
      }),
      backtests: new BacktestService({
        db: deps.db,
        clock: deps.clock,
        events: deps.events,
        marketData,
      }),
    };
    services.set(deps, s);
  }
  return s;
}

const StrategyBody = StrategySchema;
const anyJson = z.unknown();

/** Strategy CRUD, activation and backtest runs (mount at /api/v1/strategies). */
export function strategiesRoutes(deps: StrategyRouteDeps): Hono<ApiEnv> {
  const { strategies, backtests } = strategyServicesFor(deps);
  const app = new Hono<ApiEnv>();
  const user = (c: { get(k: "auth"): { userId: number } }) => c.get("auth").userId;

  app.get("/", async (c) => c.json({ strategies: await strategies.list(user(c)) }));
  app.post("/", async (c) => {
    const created = await strategies.create(user(c), await parseJsonBody(c, anyJson));
    await audit(deps, user(c), "strategy.create", {
      strategyId: created.id,
      symbol: created.symbol,
    });
    return c.json(created, 201);
  });
  app.get("/:id", async (c) => c.json(await strategies.get(user(c), parseId(c))));
  app.put("/:id", async (c) => {
    const id = parseId(c);
    const updated = await strategies.update(user(c), id, await parseJsonBody(c, anyJson));
    await audit(deps, user(c), "strategy.update", { strategyId: id });
    return c.json(updated);
  });
  app.delete("/:id", async (c) => {
    const id = parseId(c);
    await strategies.remove(user(c), id);
    await audit(deps, user(c), "strategy.delete", { strategyId: id });
    return c.body(null, 204);
  });
  app.post("/:id/activate", async (c) => {
    const id = parseId(c);
    const view = await strategies.activate(user(c), id);
    await audit(deps, user(c), "strategy.activate", { strategyId: id });
    return c.json(view);
  });
  app.post("/:id/deactivate", async (c) => {
    const id = parseId(c);
    const view = await strategies.deactivate(user(c), id);
    await audit(deps, user(c), "strategy.deactivate", { strategyId: id });
    return c.json(view);
  });
  app.post("/:id/backtest", async (c) => {
    const id = parseId(c);
    const request = await parseJsonBody(c, BacktestRequestSchema);
    const job = await backtests.start(user(c), id, request);
    return c.json({ jobId: job.id, job }, 202);
  });
  app.get("/:id/backtests", async (c) => {
    return c.json({ backtests: await backtests.list(user(c), parseId(c)) });
  });
  return app;
}

const ChartQuery = z.object({
  maxPoints: z.coerce.number().int().min(10).max(5_000).default(1_500)
    .describe("Most bars returned; longer ranges are merged into buckets"),
});
const JobId = z.uuid();

/** Backtest jobs and stored results (mount at /api/v1/backtests). */
export function backtestsRoutes(deps: StrategyRouteDeps): Hono<ApiEnv> {
  const { backtests } = strategyServicesFor(deps);
  const app = new Hono<ApiEnv>();
  app.get("/jobs/:jobId", (c) => {
    const jobId = validate(JobId, c.req.param("jobId"), "API_005", "Job id");
    return c.json(backtests.job(c.get("auth").userId, jobId));
  });
  app.get("/:id", async (c) => c.json(await backtests.get(c.get("auth").userId, parseId(c))));
  app.get("/:id/candles", async (c) => {
    const { maxPoints } = parseQuery(c, ChartQuery);
    return c.json(await backtests.chart(c.get("auth").userId, parseId(c), maxPoints));
  });
  return app;
}

const S = "/api/v1/strategies";
registerRoute({
  method: "get",
  path: S,
  summary: "List strategies with state and figures",
  auth: true,
});
registerRoute({
  method: "post",
  path: S,
  summary: "Create a strategy",
  body: StrategyBody,
  status: 201,
  auth: true,
});
registerRoute({ method: "get", path: `${S}/{id}`, summary: "One strategy", auth: true });
registerRoute({
  method: "put",
  path: `${S}/{id}`,
  summary: "Replace an inactive strategy's definition (409 while active)",
  body: StrategyBody,
  auth: true,
});
registerRoute({
  method: "delete",
  path: `${S}/{id}`,
  summary: "Delete a strategy (409 while it has an open trade)",
  status: 204,
  auth: true,
});
registerRoute({
  method: "post",
  path: `${S}/{id}/activate`,
  summary: "Activate a strategy",
  auth: true,
});
registerRoute({
  method: "post",
  path: `${S}/{id}/deactivate`,
  summary: "Deactivate a strategy",
  auth: true,
});
registerRoute({
  method: "post",
  path: `${S}/{id}/backtest`,
  summary: "Start a backtest job (202 with jobId; progress as backtest_progress events)",
  body: BacktestRequestSchema,
  status: 202,
  auth: true,
});
registerRoute({
  method: "get",
  path: `${S}/{id}/backtests`,
  summary: "Stored backtests of a strategy",
  auth: true,
});
registerRoute({
  method: "get",
  path: "/api/v1/backtests/jobs/{jobId}",
  summary: "A backtest job's status and progress",
  auth: true,
  tag: "backtests",
});
registerRoute({
  method: "get",
  path: "/api/v1/backtests/{id}",
  summary: "A stored backtest with trades and equity",
  auth: true,
});
registerRoute({
  method: "get",
  path: "/api/v1/backtests/{id}/candles",
  summary: "Chart data of a backtest: OHLC, indicator lines, entry/exit markers",
  query: ChartQuery,
  auth: true,
});
