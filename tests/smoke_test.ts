import assert from "node:assert/strict";

/** Starts main.ts as a subprocess on a random port and returns its base URL once it listens. */
async function startAura(env: Record<string, string>) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname],
    env: { PORT: "0", LOG_LEVEL: "INFO", AURA_MARKET_DATA: "none", ...env },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    const match = /"message":"AURA is listening","url":"(http:\/\/[^"]+)"/.exec(buffered);
    if (match) {
      // Keep draining stdout so the child never blocks on a full pipe.
      (async () => {
        try {
          while (!(await reader.read()).done) { /* drain */ }
        } catch { /* closed */ }
      })();
      return { url: match[1]!, child };
    }
  }
  child.kill("SIGKILL");
  throw new Error(`AURA did not start; output:\n${buffered}`);
}

Deno.test({
  name: "main.ts starts with embedded storage on a random port and /health answers 200",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "aura-smoke-" });
    const { url, child } = await startAura({ AURA_DATA_DIR: dataDir });
    try {
      const res = await fetch(`${url}/health`);
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.status, "ok");
      assert.equal(body.checks.database.detail, "pglite");
    } finally {
      child.kill("SIGTERM");
      await child.status;
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
