import assert from "node:assert/strict";
import { configureLogging, createLogger, flushLogs, redact } from "./logger.ts";
import type { LogEntry } from "./db/logs.ts";

Deno.test("redact() hides secret-bearing keys at any depth", () => {
  const out = redact({
    apiKey: "k",
    nested: { secretKey: "s", password: "p", ok: 1, list: [{ token: "t" }] },
    Authorization: "Bearer x",
  });
  assert.deepEqual(out, {
    apiKey: "[REDACTED]",
    nested: {
      secretKey: "[REDACTED]",
      password: "[REDACTED]",
      ok: 1,
      list: [{ token: "[REDACTED]" }],
    },
    Authorization: "[REDACTED]",
  });
});

Deno.test("the logger writes JSON lines at or above its level and persists WARN+", async () => {
  const lines: string[] = [];
  const persisted: LogEntry[] = [];
  configureLogging({
    level: "INFO",
    persistLevel: "WARN",
    write: (l) => lines.push(l),
    sink: (entries) => {
      persisted.push(...entries);
      return Promise.resolve();
    },
  });
  try {
    const log = createLogger("test");
    log.debug("hidden");
    log.info("hello", { symbol: "BTCUSDT" });
    log.warn("careful", { userId: 3, secret: "s3cr3t" });
    await flushLogs();
    assert.equal(lines.length, 2);
    const info = JSON.parse(lines[0]!);
    assert.equal(info.level, "INFO");
    assert.equal(info.service, "test");
    assert.equal(info.symbol, "BTCUSDT");
    assert.ok(!lines.join("\n").includes("s3cr3t"));
    assert.equal(persisted.length, 1);
    assert.equal(persisted[0]!.userId, 3);
    assert.deepEqual(persisted[0]!.metadata, { secret: "[REDACTED]" });
  } finally {
    configureLogging({ sink: null, write: (l) => console.log(l) });
  }
});
