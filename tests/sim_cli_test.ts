/**
 * `deno task sim` as users run it: a separate process, a random port, real
 * HTTP, and a clean stop on SIGTERM.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";

const MAIN = new URL("../sim/main.ts", import.meta.url);

Deno.test("[sim cli] serves a warmed-up random walk and a funded account, and stops on SIGTERM", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN.pathname,
      "--port",
      "0",
      "--speed",
      "20",
      "--warmup",
      "5",
      "--account",
      "k:s:USDT=250",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let output = "";
    const deadline = Date.now() + 30_000;
    let url: string | undefined;
    while (!url) {
      if (Date.now() > deadline) throw new Error(`The simulator printed no URL: ${output}`);
      const { value, done } = await reader.read();
      if (done) throw new Error(`The simulator exited early: ${output}`);
      output += value;
      url = /REST (http:\/\/127\.0\.0\.1:\d+)\/api\/v3/.exec(output)?.[1];
    }
    const klines = await (await fetch(`${url}/api/v3/klines?symbol=BTCUSDT&interval=1m`)).json();
    assert.ok(klines.length >= 5, `expected the 5 warm-up candles, got ${klines.length}`);
    const query = `timestamp=${Date.now()}&omitZeroBalances=true`;
    const signature = createHmac("sha256", "s").update(query).digest("hex");
    const account = await (await fetch(`${url}/api/v3/account?${query}&signature=${signature}`, {
      headers: { "X-MBX-APIKEY": "k" },
    })).json();
    assert.deepEqual(account.balances, [{
      asset: "USDT",
      free: "250.00000000",
      locked: "0.00000000",
    }]);
  } finally {
    child.kill("SIGTERM");
    await reader.cancel();
    const status = await child.status;
    assert.equal(status.success, true);
  }
});
