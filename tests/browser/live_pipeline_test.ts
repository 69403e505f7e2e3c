/**
 * The real pipeline in the browser: the demo (simulator replaying candles →
 * AURA role all: ingest → strategy → paper execution) runs, the demo user
 * signs in through the login page, and paper trades appear on the dashboard
 * live over SSE — positions open and close without a reload — then show in
 * the history with their latency trace and order intents.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runDemo } from "../../cli/demo.ts";
import { configureLogging } from "../../logger.ts";
import { launchChromium, skipWithoutChromium } from "../helpers/browser.ts";

configureLogging({ level: "FATAL" });

const SHOTS = new URL("../../test-artifacts/screenshots/", import.meta.url);

Deno.test({
  name: "[browser] pipeline trades reach the dashboard live, then the history",
  ignore: skipWithoutChromium(),
  // bcrypt's native thread pool and PGlite keep handles the sanitizers cannot see closed.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "aura-ui-live-" });
    const demo = await runDemo({ port: 0, speed: 200, dataDir, warmup: 300, seed: 7 });
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      context.setDefaultTimeout(60_000);
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      page.on("console", (m) => {
        // 4xx answers are judged by URL below; Chromium also logs them here.
        if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
          problems.push(`console: ${m.text()}`);
        }
      });
      page.on("response", (r) => {
        if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
      });

      await page.goto(`${demo.url}/login`);
      await page.waitForSelector('[data-island="LoginForm"][data-hydrated="true"]');
      await page.fill("#login-username", demo.username);
      await page.fill("#login-password", demo.password);
      await page.click("button[type=submit]");
      await page.waitForURL(`${demo.url}/`);
      await page.waitForSelector('[data-island="LiveDashboard"][data-hydrated="true"]');
      await page.waitForSelector(".live-live");
      // A marker on the window proves nothing below comes from a reload.
      await page.evaluate(() => (globalThis as unknown as { auraMarker: number }).auraMarker = 1);
      const newestClosed = () =>
        page.evaluate(() =>
          document.querySelector("[data-testid=recent-trades] tbody tr a")?.getAttribute("href") ??
            ""
        );
      const newestAtStart = await newestClosed();

      // An open position arrives (trade_opened), priced by the stream's closes.
      await page.waitForSelector("[data-testid=positions] >> text=BTCUSDT", { timeout: 120_000 });
      await page.waitForSelector("[data-testid=active-strategies] >> text=In position");
      await page.screenshot({
        path: decodeURIComponent(new URL("20-pipeline-live-position.png", SHOTS).pathname),
        fullPage: true,
      });
      // …and closes by take-profit, stop-loss or signal (trade_closed).
      await page.waitForFunction(
        (before) =>
          (document.querySelector("[data-testid=recent-trades] tbody tr a")?.getAttribute(
            "href",
          ) ?? "") !== before,
        newestAtStart,
        { timeout: 120_000 },
      );
      assert.equal(
        await page.evaluate(() => (globalThis as unknown as { auraMarker?: number }).auraMarker),
        1,
      );
      assert.notEqual(await page.textContent("[data-testid=realized-pnl]"), "0.00");
      assert.match(await page.textContent(".health") ?? "", /Connected/);
      await page.screenshot({
        path: decodeURIComponent(new URL("21-pipeline-live-closed.png", SHOTS).pathname),
        fullPage: true,
      });

      await page.goto(`${demo.url}/history`);
      await page.waitForSelector("[data-testid=history] tbody tr");
      await page.click("[data-testid=history] tbody tr >> nth=0 >> a");
      await page.waitForSelector("[data-testid=intents]");
      await page.waitForSelector("[data-testid=latency]");
      await page.screenshot({
        path: decodeURIComponent(new URL("22-pipeline-trade-detail.png", SHOTS).pathname),
        fullPage: true,
      });
      assert.deepEqual(problems, []);
      await context.close();
    } finally {
      await browser.close();
      await demo.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
