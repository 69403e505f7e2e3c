import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "./config.ts";

Deno.test("loadConfig() gives documented defaults for an empty environment", () => {
  const c = loadConfig({});
  assert.equal(c.PORT, 8000);
  assert.equal(c.HOST, "127.0.0.1");
  assert.equal(c.AURA_ROLE, "all");
  assert.equal(c.AURA_DATA_DIR, "./data");
  assert.equal(c.DATABASE_URL, undefined);
  assert.equal(c.LOG_PERSIST_LEVEL, "WARN");
});

Deno.test("loadConfig() treats empty strings as unset", () => {
  assert.equal(loadConfig({ PORT: "", DATABASE_URL: "" }).PORT, 8000);
});

const bad: [Record<string, string>, RegExp][] = [
  [{ PORT: "abc" }, /^Invalid configuration: PORT: expected a number \(got "abc"\)$/],
  [{ PORT: "70000" }, /^Invalid configuration: PORT: expected a value <= 65535/],
  [
    { AURA_ROLE: "worker" },
    /^Invalid configuration: AURA_ROLE: expected one of "all", "web", "engine"/,
  ],
  [
    { DATABASE_URL: "mysql://x" },
    /^Invalid configuration: DATABASE_URL: expected a postgres:\/\/ URL/,
  ],
  [{ REDIS_URL: "http://x" }, /^Invalid configuration: REDIS_URL: expected a redis:\/\/ URL/],
  [{ LOG_LEVEL: "LOUD" }, /^Invalid configuration: LOG_LEVEL: expected one of/],
  [
    { AURA_MASTER_KEY: "tooshort" },
    /^Invalid configuration: AURA_MASTER_KEY: expected 32 bytes in base64 \(44 characters\) \(got "\*\*\*"\)$/,
  ],
  [
    { BINANCE_REST_URL: "not a url" },
    /^Invalid configuration: BINANCE_REST_URL: expected a valid url/,
  ],
  [{ TLS_CERT_FILE: "/x.pem" }, /TLS_CERT_FILE and TLS_KEY_FILE must be set together/],
];

for (const [env, expected] of bad) {
  Deno.test(`loadConfig() refuses ${JSON.stringify(env)} with one clear line`, () => {
    assert.throws(() => loadConfig(env), (e) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, expected);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  });
}

Deno.test("main.ts exits 1 with a single line on a bad variable, no stack trace", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./main.ts", import.meta.url).pathname],
    env: { PORT: "not-a-port" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 1);
  const stderr = new TextDecoder().decode(out.stderr).trim();
  assert.equal(stderr, 'Invalid configuration: PORT: expected a number (got "not-a-port")');
});
