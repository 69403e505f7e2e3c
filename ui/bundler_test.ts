import assert from "node:assert/strict";
import { buildClient, filesForIslands, gzipSize } from "./bundler.ts";

const ISLANDS = [
  "LoginForm",
  "RegisterForm",
  "LogoutButton",
  "LiveDashboard",
  "StrategyEditor",
  "StrategyControls",
  "BacktestPanel",
  "CandleChart",
  "ApiKeyForm",
  "SettingsForm",
];

Deno.test({
  name:
    "buildClient() splits every island into its own chunk and the chart library out of the entry",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const bundle = await buildClient();
    assert.match(bundle.entry, /^\/static\/build\/client-[A-Z0-9]+\.js$/);
    const entry = bundle.files.get(bundle.entry)!;
    const source = new TextDecoder().decode(entry.contents);
    for (const name of ISLANDS) {
      assert.ok(source.includes(`${name}:`), `registry lists ${name}`);
      const files = filesForIslands(bundle, [name]);
      assert.ok(files.length >= 2, `${name} has a chunk beside the entry`);
    }
    const chartFree = filesForIslands(bundle, ISLANDS.filter((n) => n !== "CandleChart"));
    for (const f of chartFree) {
      assert.ok(
        !f.inputs.some((i) => i.includes("lightweight-charts")),
        `${f.path} must not carry lightweight-charts`,
      );
    }
    const chart = filesForIslands(bundle, ["CandleChart"]);
    assert.ok(chart.some((f) => f.inputs.some((i) => i.includes("lightweight-charts"))));
    // Islands hydrate with the same Preact instance: exactly one chunk holds it.
    const preact = [...bundle.files.values()].filter((f) =>
      f.inputs.some((i) => /preact\/dist\/preact\.(module\.js|mjs)$/.test(i))
    );
    assert.equal(preact.length, 1);
    assert.throws(() => filesForIslands(bundle, ["NoSuchIsland"]), /NoSuchIsland/);
  },
});

Deno.test("gzipSize() measures what the browser downloads", async () => {
  const repetitive = new TextEncoder().encode("a".repeat(10_000));
  const size = await gzipSize(repetitive);
  assert.ok(size > 10 && size < 200, String(size));
});
