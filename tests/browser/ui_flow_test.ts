/**
 * The web UI in headless Chromium against the real server (API + pages on
 * 127.0.0.1:0, PGlite, the Binance simulator for key checks): register, log
 * out and in, build a strategy with the no-code builder, backtest it on real
 * BTCUSDT candles (generated ones when the data folder is absent), see its
 * metrics and chart, activate it in paper mode, watch a trade arrive on the
 * dashboard live, find it in the history, and get an error for invalid keys.
 * Every page is screenshotted (desktop and phone) into
 * test-artifacts/screenshots/; no console error and no failed request is
 * allowed.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { createUiTestApp, launchChromium, skipWithoutChromium } from "../helpers/browser.ts";
import { importKlinesCsv } from "../../services/market_data.ts";
import { upsertKlines } from "../../db/klines.ts";
import { closeTrade, insertOpenTrade, setTradeOco } from "../../db/trades.ts";
import { findUserByLogin } from "../../db/users.ts";
import { listStrategies } from "../../db/strategies.ts";
import { startSimulator } from "../../sim/mod.ts";
import { MemoryBus } from "../../adapters/bus/mod.ts";
import { bridgeOrderEvents } from "../../engine_host.ts";
import { createEvent } from "../../engine/events.ts";
import type { KlineData } from "../../engine/candle.ts";
import type { Db } from "../../db/port.ts";

const SHOTS = new URL("../../test-artifacts/screenshots/", import.meta.url);
const KLINES = new URL("../../../shared/data/klines/BTCUSDT-1h-2022-01.csv", import.meta.url);
const JAN_2022 = Date.UTC(2022, 0, 1);
const HOUR = 3_600_000;

/** Seeds January 2022 BTCUSDT 1h candles: the real ones, or a generated wave. */
async function seedKlines(db: Db): Promise<string> {
  try {
    const n = await importKlinesCsv(db, KLINES, "BTCUSDT", "1h");
    return `real Binance candles (${n})`;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const klines: KlineData[] = [];
  let price = 46_000;
  for (let i = 0; i < 744; i++) {
    const open = price;
    price = 42_000 + 4_000 * Math.sin(i / 40) + 600 * Math.sin(i / 3);
    const high = Math.max(open, price) * 1.002;
    const low = Math.min(open, price) * 0.998;
    klines.push({
      symbol: "BTCUSDT",
      interval: "1h",
      openTime: JAN_2022 + i * HOUR,
      closeTime: JAN_2022 + (i + 1) * HOUR - 1,
      open: open.toFixed(2),
      high: high.toFixed(2),
      low: low.toFixed(2),
      close: price.toFixed(2),
      volume: "10",
    });
  }
  await upsertKlines(db, klines);
  return "generated candles (744; real data folder absent)";
}

/** Answers a step provokes on purpose (e.g. a wrong password's 401), by URL part. */
const provoked = new Set<string>();

/** Collects what must not happen on a page: console errors, failed requests, 5xx/4xx answers. */
function watch(page: Page, allowed: (url: string) => boolean) {
  const problems: string[] = [];
  page.on("console", (m) => {
    // Chromium logs every 4xx as "Failed to load resource"; the response
    // handler below judges those by URL, so they are not counted twice.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
      problems.push(`console: ${m.text()}`);
    }
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => {
    // Navigations abort the previous page's EventSource: not a failure.
    if (r.failure()?.errorText === "net::ERR_ABORTED") return;
    if (!allowed(r.url())) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on("response", (r) => {
    const expected = [...provoked].some((p) => `${r.status()} ${r.url()}`.includes(p));
    if (r.status() >= 400 && !allowed(r.url()) && !expected) {
      problems.push(`HTTP ${r.status()}: ${r.url()}`);
    }
  });
  return problems;
}

async function shot(page: Page, name: string) {
  await Deno.mkdir(SHOTS, { recursive: true });
  await page.screenshot({
    path: decodeURIComponent(new URL(`${name}.png`, SHOTS).pathname),
    fullPage: true,
  });
}

async function hydrated(page: Page, island: string) {
  await page.waitForSelector(`[data-island="${island}"][data-hydrated="true"]`);
}

Deno.test({
  name: "[browser] register, build, backtest, activate, trade live, history and settings",
  ignore: skipWithoutChromium(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const sim = await startSimulator();
    sim.addAccount("WithdrawKey000000000001", "WithdrawSecret00000000001", { USDT: "1000" }, {
      enableWithdrawals: true,
    });
    const t = await createUiTestApp({
      env: { BINANCE_REST_URL: sim.url, RATE_LIMIT_ENABLED: "false" },
    });
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, t.app.fetch);
    const base = `http://127.0.0.1:${server.addr.port}`;
    const bus = new MemoryBus();
    const bridge = await bridgeOrderEvents(bus, t.deps.events);
    const browser = await launchChromium();
    try {
      console.log(`Backtest data: ${await seedKlines(t.db)}`);
      const allowed = (_url: string) => false;

      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      // CI runs test files in parallel on 2 cores: give each step room.
      context.setDefaultTimeout(60_000);
      const page = await context.newPage();
      const problems = watch(page, allowed);

      // Register (client-side password check first), land on the empty dashboard.
      await page.goto(`${base}/register`);
      await hydrated(page, "RegisterForm");
      await shot(page, "01-register");
      await page.fill("#register-username", "alice");
      await page.fill("#register-email", "alice@example.com");
      await page.fill("#register-password", "short");
      await page.click("button[type=submit]");
      await page.waitForSelector("text=Use at least 10 characters");
      await page.fill("#register-password", "correct horse 42 battery");
      await page.fill("#register-confirm", "correct horse 42 battery");
      await page.click("button[type=submit]");
      await page.waitForURL(`${base}/`);
      await page.waitForSelector("text=No open positions");
      await shot(page, "02-dashboard-empty");

      // Log out, fail a login, log in.
      await hydrated(page, "LogoutButton");
      await page.click("text=Log out");
      await page.waitForURL(/\/login$/);
      await hydrated(page, "LoginForm");
      await page.fill("#login-username", "alice");
      await page.fill("#login-password", "wrong password 1");
      provoked.add("401 " + base + "/api/v1/auth/login");
      await page.click("button[type=submit]");
      await page.waitForSelector("text=Username or password is incorrect");
      await shot(page, "03-login-error");
      provoked.clear();
      await page.fill("#login-password", "correct horse 42 battery");
      await page.click("button[type=submit]");
      await page.waitForURL(`${base}/`);

      // Build a strategy: RSI(14) crosses below 35 OR price below EMA(50); exit RSI above 65.
      await page.goto(`${base}/strategies`);
      await page.waitForSelector("text=No strategies yet");
      await shot(page, "04-strategies-empty");
      await page.click("text=New strategy");
      await hydrated(page, "StrategyEditor");
      await page.fill("#strategy-name", "January dip");
      const entry = page.locator("[data-testid=entry-row]").first();
      await entry.locator("select[aria-label$='operator']").selectOption("crosses_below");
      await entry.locator("input[aria-label$='right value']").fill("35");
      await page.click("text=+ Any-of group");
      const group = page.locator("fieldset.group");
      const alt = group.locator(".condition").first();
      await alt.locator("select[aria-label$='left indicator']").selectOption("PRICE");
      await alt.locator("select[aria-label$='right indicator']").selectOption("EMA");
      await alt.locator("input[aria-label$='right period']").fill("50");
      await group.locator(".condition").nth(1).locator("select[aria-label$='left indicator']")
        .selectOption("MACD");
      await group.locator(".condition").nth(1).locator("select[aria-label$='operator']")
        .selectOption("crosses_above");
      await group.locator(".condition").nth(1).locator("select[aria-label$='right indicator']")
        .selectOption("MACD");
      await group.locator(".condition").nth(1).locator("select[aria-label$='right MACD line']")
        .selectOption("signal");
      await page.locator("[data-testid=exit-row]").first().locator(
        "input[aria-label$='right value']",
      )
        .fill("65");
      await page.selectOption("#strategy-symbol", "ETHUSDT");
      assert.match(
        await page.textContent("[data-testid=min-order]") ?? "",
        /5 USDT and 0.0001 ETH/,
      );
      await page.selectOption("#strategy-symbol", "BTCUSDT");
      await page.fill("#risk-positionSizeUsd", "2");
      await page.click("button[type=submit]");
      await page.waitForSelector("text=Must be at least 5 USDT");
      await shot(page, "05-strategy-builder-validation");
      await page.fill("#risk-positionSizeUsd", "250");
      await page.click("button[type=submit]");
      await page.waitForURL(/\/strategies\/\d+$/);
      const strategyUrl = page.url();
      const user = await findUserByLogin(t.db, "alice");
      const [stored] = await listStrategies(t.db, user!.id);
      assert.equal(stored?.name, "January dip");
      assert.deepEqual(stored?.entryConditions[0], {
        left: { indicator: "RSI", period: 14 },
        op: "crosses_below",
        right: { value: 35 },
      });
      assert.equal((stored?.entryConditions[1] as { any: unknown[] }).any.length, 2);
      assert.equal(stored?.riskParams.positionSizeUsd, 250);
      await shot(page, "06-strategy-edit");

      // Backtest January 2022 with a progress bar, then the result page.
      await hydrated(page, "BacktestPanel");
      await page.fill("#backtest-from", "2022-01-01");
      await page.fill("#backtest-to", "2022-02-01");
      await page.click("text=Run backtest");
      await page.waitForURL(/\/backtests\/\d+$/, { timeout: 120_000 });
      await page.waitForSelector("[data-testid=backtest-metrics]");
      await page.waitForSelector("[data-testid=candle-chart][data-status=ready]", {
        timeout: 60_000,
      });
      const metrics = await page.textContent("[data-testid=backtest-metrics]") ?? "";
      assert.match(metrics, /Net P&L/);
      assert.match(await page.textContent("main") ?? "", /744\s+candles/);
      await shot(page, "07-backtest-result");

      // Activate in paper mode, through the confirmation dialog.
      await page.goto(strategyUrl);
      await hydrated(page, "StrategyControls");
      await page.waitForSelector("[data-testid=past-backtests]");
      await page.getByRole("button", { name: "Activate (paper)" }).click();
      await page.waitForSelector("dialog[open]");
      await shot(page, "08-activate-confirm");
      await page.locator("dialog").getByRole("button", { name: "Activate", exact: true }).click();
      await page.waitForSelector("[data-testid=strategy-status]:has-text('Active (paper)')");
      // The editor on the same page locks its rules while the strategy runs.
      await page.waitForSelector("text=deactivate it before changing its rules");

      await page.goto(`${base}/strategies`);
      await page.waitForSelector("[data-testid=strategies] >> text=Warming up");
      await shot(page, "08b-strategies-list");

      // Dashboard: the strategy is active; a trade opened by the pipeline shows up live.
      await page.goto(`${base}/`);
      await hydrated(page, "LiveDashboard");
      await page.waitForSelector("[data-testid=active-strategies] >> text=January dip");
      const now = Date.now();
      const trade = await insertOpenTrade(t.db, {
        userId: user!.id,
        strategyId: stored!.id,
        symbol: "BTCUSDT",
        isPaper: true,
        signalId: `${stored!.id}:${now}:ENTRY`,
        clientOrderIdEntry: "aura-ui-entry-1",
        binanceOrderIdEntry: "900001",
        entryPrice: "38466.9",
        quantity: "0.0065",
        entryFee: "0.25",
        entryTimestamp: new Date(now),
        latency: { candleClosed: now - 40, signal: now - 35, entryAck: now - 12 },
      });
      await setTradeOco(t.db, trade.id, {
        orderListId: "77",
        listClientOrderId: "aura-ui-oco-1",
        takeProfitPrice: "39620.9",
        stopLossPrice: "37889.89",
        stopLimitPrice: "37870.95",
        latency: { candleClosed: now - 40, signal: now - 35, entryAck: now - 12, ocoAck: now },
      });
      // The engine's order events reach the browser through the real bridge:
      // bus "orders" topic → EventHub → SSE → the dashboard island.
      await page.waitForSelector(".live-live");
      const owner = { userId: user!.id, strategyId: String(stored!.id), symbol: "BTCUSDT" };
      await bus.publish(
        "orders",
        createEvent("trade_opened", {
          id: `opened-${trade.id}`,
          occurredAt: now,
          ...owner,
          tradeId: String(trade.id),
          signalId: trade.signalId,
          entryOrderId: "900001",
          entryPrice: "38466.9",
          quantity: "0.0065",
          quoteQty: "250.04",
          fees: "0.25",
          takeProfitPrice: "39620.9",
          stopLossPrice: "37889.89",
          listClientOrderId: "aura-ui-oco-1",
        }),
      );
      await page.waitForSelector("[data-testid=positions] >> text=BTCUSDT");
      await page.waitForSelector("[data-testid=active-strategies] >> text=In position");
      t.deps.events.broadcast({
        type: "price",
        data: { symbol: "BTCUSDT", price: "39000", time: now },
      });
      // (39000 − 38466.9) × 0.0065 − 0.25 entry fee = 3.215
      await page.waitForSelector("[data-testid=positions] >> text=+3.22");
      await shot(page, "09-dashboard-live-position");

      // The OCO take-profit fills: the position closes live and the history shows it.
      await closeTrade(t.db, trade.id, {
        status: "CLOSED_TP",
        exitPrice: "39620.9",
        exitTimestamp: new Date(now + 60_000),
        pnl: "6.9952",
        exitFee: "0.2575",
      });
      await bus.publish(
        "orders",
        createEvent("trade_closed", {
          id: `closed-${trade.id}`,
          occurredAt: now + 60_000,
          ...owner,
          tradeId: String(trade.id),
          status: "CLOSED_TP",
          entryPrice: "38466.9",
          exitPrice: "39620.9",
          quantity: "0.0065",
          pnl: "6.9952",
          fees: "0.5075",
        }),
      );
      await page.waitForSelector("[data-testid=recent-trades] >> text=Take-profit");
      await page.waitForSelector("text=No open positions");
      assert.equal(await page.textContent("[data-testid=realized-pnl]"), "+7.00");
      await shot(page, "10-dashboard-closed");
      await page.goto(`${base}/history`);
      await page.waitForSelector("[data-testid=history] >> text=Take-profit");
      assert.equal(await page.textContent("[data-testid=history-total]"), "1");
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.click("text=Export CSV"),
      ]);
      const csv = await Deno.readTextFile(await download.path());
      assert.match(csv.split("\n")[0]!, /^id,strategyId,symbol,status/);
      assert.match(csv, new RegExp(`${trade.id},${stored!.id},BTCUSDT,CLOSED_TP`));
      await shot(page, "11-history");
      await page.click("[data-testid=history] >> text=BTCUSDT");
      await page.waitForSelector("[data-testid=latency] >> text=ocoAck");
      await shot(page, "12-trade-detail");

      // Settings: malformed keys, keys the exchange rejects, keys with withdrawals on.
      await page.goto(`${base}/settings`);
      await hydrated(page, "ApiKeyForm");
      await page.waitForSelector("[data-testid=no-keys]");
      provoked.add("400 " + base + "/api/v1/settings/api-keys");
      await page.fill("#api-key", "short");
      await page.fill("#api-secret", "alsoShort");
      await page.click("text=Save keys");
      await page.waitForSelector(".alert-error >> text=16-128 letters and digits");
      provoked.clear();
      await page.fill("#api-key", "UnknownKey0000000000001");
      await page.fill("#api-secret", "UnknownSecret000000000001");
      await page.click("text=Save keys");
      await page.waitForSelector("[data-testid=key-status] >> text=Not valid");
      await shot(page, "13-settings-invalid-keys");
      await page.fill("#api-key", "WithdrawKey000000000001");
      await page.fill("#api-secret", "WithdrawSecret00000000001");
      await page.click("text=Replace keys");
      await page.waitForSelector("[data-testid=key-status] >> text=Withdrawals are enabled");
      assert.ok(!(await page.content()).includes("WithdrawSecret00000000001"));
      await shot(page, "14-settings-keys");

      // Live mode: possible once valid keys are stored, confirmed, then clearly marked.
      await page.waitForSelector("input[value=live]:not([disabled])");
      page.once("dialog", (d) => d.accept());
      await page.check("input[value=live]");
      await page.waitForSelector("text=active strategies trade real funds");
      await page.click("text=Save settings");
      await page.waitForSelector(".mode-live");
      await page.goto(strategyUrl);
      await hydrated(page, "StrategyControls");
      await page.getByRole("button", { name: "Deactivate", exact: true }).click();
      await page.locator("dialog").getByRole("button", { name: "Deactivate", exact: true }).click();
      await page.waitForSelector("[data-testid=strategy-status]:has-text('Inactive')");
      await page.waitForSelector("text=deactivate it before changing its rules", {
        state: "detached",
      });
      await page.getByRole("button", { name: "Activate (live)" }).click();
      await page.waitForSelector("dialog[open] >> text=REAL orders on Binance");
      await shot(page, "15-activate-live-warning");
      await page.locator("dialog").getByRole("button", { name: "Cancel" }).click();

      // Keyboard: the skip link is the first stop and moves focus to the content.
      await page.goto(`${base}/`);
      await page.keyboard.press("Tab");
      assert.equal(
        await page.evaluate(() => document.activeElement?.textContent),
        "Skip to content",
      );

      // Phone layout of the main pages.
      const phone = await browser.newContext({
        viewport: { width: 390, height: 844 },
        storageState: await context.storageState(),
      });
      const mobile = await phone.newPage();
      const mobileProblems = watch(mobile, allowed);
      for (
        const [name, path] of [["dashboard", "/"], ["strategy", new URL(strategyUrl).pathname], [
          "history",
          "/history",
        ], ["settings", "/settings"]]
      ) {
        await mobile.goto(`${base}${path}`);
        await mobile.waitForLoadState("networkidle");
        const overflow = await mobile.evaluate(() =>
          document.documentElement.scrollWidth - document.documentElement.clientWidth
        );
        assert.ok(overflow <= 1, `${name} overflows the phone viewport by ${overflow}px`);
        await shot(mobile, `16-phone-${name}`);
      }
      await phone.close();

      // Delete the (inactive) strategy after confirming: gone from the list.
      await page.goto(strategyUrl);
      await hydrated(page, "StrategyControls");
      page.once("dialog", (d) => d.accept());
      await page.getByRole("button", { name: "Delete strategy" }).click();
      await page.waitForURL(`${base}/strategies`);
      await page.waitForSelector("text=No strategies yet");
      await context.close();
      assert.deepEqual([...problems, ...mobileProblems], []);
    } finally {
      await browser.close();
      await bridge.close();
      await bus.close();
      await server.shutdown();
      await t.close();
      await sim.close();
    }
  },
});
