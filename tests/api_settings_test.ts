import assert from "node:assert/strict";
import { createTestApp, registerUser, type TestUser } from "./helpers/api.ts";
import { dbSuite } from "./helpers/db.ts";
import { configureLogging, flushLogs } from "../logger.ts";
import { getActiveApiKey, saveApiKey } from "../db/api_keys.ts";
import { createUser } from "../db/users.ts";
import type { KeyValidation, KeyValidator } from "../services/api_keys.ts";
import { CcxtKeyValidator } from "../services/api_keys.ts";
import {
  generateMasterKeys,
  loadMasterKeys,
  type MasterKeys,
  reencryptAll,
  SecretBox,
} from "../services/secrets.ts";
import { startSimulator } from "../sim/mod.ts";

const API_KEY = "AbCdEfGh0123456789ApiKeyPublicPart0000000000000000000000000WXYZ";
const SECRET = "S3cretS3cretS3cretS3cretS3cretS3cretS3cretS3cretS3cretS3cret0099";

/** A hand-written validator: answers what the test sets, records what it saw. */
class FakeValidator implements KeyValidator {
  answer: KeyValidation = { valid: true, canTrade: true, withdrawalsEnabled: false };
  seen: { apiKey: string; secret: string }[] = [];
  validate(apiKey: string, secret: string): Promise<KeyValidation> {
    this.seen.push({ apiKey, secret });
    return Promise.resolve(this.answer);
  }
}

const validator = new FakeValidator();
const lines: string[] = [];
configureLogging({ level: "DEBUG", write: (line) => lines.push(line) });
const t = await createTestApp({ overrides: { keyValidator: validator } });
const app = t.app;

function call(user: TestUser, method: string, path: string, body?: unknown) {
  return app.request(`/api/v1/settings${path}`, {
    method,
    headers: user.headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function codeOf(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

Deno.test("[api] POST /settings/api-keys stores the pair encrypted and answers it masked", async () => {
  const u = await registerUser(app);
  const res = await call(u, "POST", "/api-keys", { apiKey: API_KEY, secretKey: SECRET });
  assert.equal(res.status, 201);
  const body = await res.json();
  assert.equal(body.apiKey, "AbCd…WXYZ");
  const stored = await getActiveApiKey(t.db, u.userId);
  assert.ok(stored);
  assert.equal(stored.apiKey, API_KEY);
  assert.match(stored.secretEncrypted, /^k1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
  assert.equal(stored.secretEncrypted.includes(SECRET), false);
  const box = new SecretBox(t.deps.keys.master);
  assert.equal(await box.decrypt(stored.secretEncrypted, u.userId), SECRET);
});

Deno.test("[api] POST /settings/api-keys rejects bad input and anonymous callers", async () => {
  const u = await registerUser(app);
  for (
    const body of [
      { apiKey: API_KEY },
      { apiKey: "short", secretKey: SECRET },
      { apiKey: API_KEY, secretKey: "has spaces and ' OR 1=1 --" },
      { apiKey: API_KEY, secretKey: SECRET, extra: 1 },
      [],
    ]
  ) {
    const res = await call(u, "POST", "/api-keys", body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(await codeOf(res), "API_004");
  }
  const anon = await app.request("/api/v1/settings/api-keys", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ apiKey: API_KEY, secretKey: SECRET }),
  });
  assert.equal(anon.status, 401);
  assert.equal(await codeOf(anon), "AUTH_002");
});

Deno.test("[api] GET /settings/api-keys/status reports valid keys, API_001 for rejected ones, 404 without keys", async () => {
  const u = await registerUser(app);
  const other = await registerUser(app);
  const none = await call(u, "GET", "/api-keys/status");
  assert.equal(none.status, 404);
  assert.equal(await codeOf(none), "API_005");
  await call(u, "POST", "/api-keys", { apiKey: API_KEY, secretKey: SECRET });

  validator.answer = { valid: true, canTrade: true, withdrawalsEnabled: true };
  const ok = await call(u, "GET", "/api-keys/status");
  assert.equal(ok.status, 200);
  const okBody = await ok.json();
  assert.equal(okBody.valid, true);
  assert.equal(okBody.canTrade, true);
  assert.equal(okBody.withdrawalsEnabled, true);
  assert.equal(okBody.apiKey, "AbCd…WXYZ");
  assert.deepEqual(validator.seen.at(-1), { apiKey: API_KEY, secret: SECRET });

  validator.answer = {
    valid: false,
    canTrade: false,
    withdrawalsEnabled: false,
    error: "The exchange rejected the API key or its signature",
  };
  const bad = await (await call(u, "GET", "/api-keys/status")).json();
  assert.equal(bad.valid, false);
  assert.equal(bad.problem.code, "API_001");

  // Another user's keys are not visible.
  const foreign = await call(other, "GET", "/api-keys/status");
  assert.equal(foreign.status, 404);
  const settings = await (await call(other, "GET", "")).json();
  assert.equal(settings.apiKeys, null);
});

Deno.test("[api] DELETE /settings/api-keys removes the pair; a second delete is 404", async () => {
  const u = await registerUser(app);
  await call(u, "POST", "/api-keys", { apiKey: API_KEY, secretKey: SECRET });
  assert.equal((await call(u, "DELETE", "/api-keys")).status, 204);
  assert.equal(await getActiveApiKey(t.db, u.userId), null);
  const again = await call(u, "DELETE", "/api-keys");
  assert.equal(again.status, 404);
  assert.equal(await codeOf(again), "API_005");
  const anon = await app.request("/api/v1/settings/api-keys", { method: "DELETE" });
  assert.equal(anon.status, 401);
});

Deno.test("[api] GET/PUT /settings reads and changes preferences, rejecting unknown fields", async () => {
  const u = await registerUser(app);
  const before = await (await call(u, "GET", "")).json();
  assert.equal(before.tradingMode, "paper");
  assert.deepEqual(before.preferences, {});
  assert.equal(before.user.username, u.username);
  const put = await call(u, "PUT", "", {
    preferences: { theme: "dark", defaultInterval: "1h", notifications: { trades: false } },
  });
  assert.equal(put.status, 200);
  const after = await put.json();
  assert.deepEqual(after.preferences, {
    theme: "dark",
    defaultInterval: "1h",
    notifications: { trades: false },
  });
  const merged = await (await call(u, "PUT", "", { preferences: { theme: "light" } })).json();
  assert.equal(merged.preferences.theme, "light");
  assert.equal(merged.preferences.defaultInterval, "1h");
  for (
    const body of [
      { preferences: { theme: "neon" } },
      { preferences: { defaultInterval: "7m" } },
      { preferences: { colour: "red" } },
      { tradingMode: "yolo" },
      { role: "admin" },
      { preferences: { timezone: "<script>alert(1)</script>" } },
    ]
  ) {
    const res = await call(u, "PUT", "", body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(await codeOf(res), "API_004");
  }
  assert.equal((await app.request("/api/v1/settings")).status, 401);
});

Deno.test("[api] PUT /settings switches to live only with valid keys that can trade", async () => {
  const u = await registerUser(app);
  const noKeys = await call(u, "PUT", "", { tradingMode: "live" });
  assert.equal(noKeys.status, 400);
  assert.equal(await codeOf(noKeys), "API_001");
  await call(u, "POST", "/api-keys", { apiKey: API_KEY, secretKey: SECRET });
  validator.answer = { valid: true, canTrade: false, withdrawalsEnabled: false };
  const noTrade = await call(u, "PUT", "", { tradingMode: "live" });
  assert.equal(noTrade.status, 400);
  assert.equal(await codeOf(noTrade), "API_001");
  validator.answer = { valid: false, canTrade: false, withdrawalsEnabled: false, error: "bad" };
  assert.equal((await call(u, "PUT", "", { tradingMode: "live" })).status, 400);
  validator.answer = { valid: true, canTrade: true, withdrawalsEnabled: false };
  const live = await call(u, "PUT", "", { tradingMode: "live" });
  assert.equal(live.status, 200);
  assert.equal((await live.json()).tradingMode, "live");
  const paper = await call(u, "PUT", "", { tradingMode: "paper" });
  assert.equal((await paper.json()).tradingMode, "paper");
});

Deno.test("[api] the secret never appears in a response, a log line or system_logs", async () => {
  const u = await registerUser(app);
  lines.length = 0;
  const bodies: string[] = [];
  const record = async (res: Response) => bodies.push(await res.text());
  await record(await call(u, "POST", "/api-keys", { apiKey: API_KEY, secretKey: SECRET }));
  await record(await call(u, "POST", "/api-keys", { apiKey: API_KEY, secretKey: SECRET, x: 1 }));
  await record(await call(u, "GET", "/api-keys/status"));
  await record(await call(u, "GET", ""));
  await record(await call(u, "PUT", "", { tradingMode: "live" }));
  await record(await app.request("/api/v1/openapi.json"));
  await record(await app.request("/metrics"));
  await record(await call(u, "DELETE", "/api-keys"));
  await flushLogs();
  const logs = await t.db.query("SELECT message, metadata FROM system_logs");
  assert.ok(logs.some((r) => r.message === "audit: api_keys.save"));
  const haystack = [...bodies, ...lines, JSON.stringify(logs)].join("\n");
  assert.equal(haystack.includes(SECRET), false);
  assert.equal(haystack.includes(SECRET.slice(0, 16)), false);
});

Deno.test({
  name: "[api] close the settings test app",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => t.close(),
});

Deno.test("SecretBox round-trips, binds the ciphertext to its user and detects tampering", async () => {
  const box = new SecretBox(generateMasterKeys());
  const a = await box.encrypt(SECRET, 1);
  const b = await box.encrypt(SECRET, 1);
  assert.notEqual(a, b, "a fresh IV per encryption");
  assert.equal(await box.decrypt(a, 1), SECRET);
  await assert.rejects(() => box.decrypt(a, 2), /integrity check failed/);
  const [id, iv, ct] = a.split(":");
  const flipped = `${id}:${iv}:${ct!.slice(0, -4)}${ct!.endsWith("AAA=") ? "BBB=" : "AAA="}`;
  await assert.rejects(() => box.decrypt(flipped, 1), /integrity check failed/);
  await assert.rejects(() => box.decrypt(`k9:${iv}:${ct}`, 1), /master key "k9"/);
  await assert.rejects(
    () => new SecretBox(generateMasterKeys()).decrypt(a, 1),
    /integrity check failed/,
  );
});

Deno.test("loadMasterKeys generates master.key with mode 0600 once, then reads it back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await loadMasterKeys({ keyId: "k1", dataDir: dir });
    const info = await Deno.stat(`${dir}/master.key`);
    assert.equal(info.mode! & 0o777, 0o600);
    const again = await loadMasterKeys({ keyId: "k1", dataDir: dir });
    assert.deepEqual(again.keys.get("k1"), first.keys.get("k1"));
    const fromEnv = await loadMasterKeys({
      keyId: "k2",
      masterKey: btoa(String.fromCharCode(...new Uint8Array(32).fill(7))),
      oldKeys: `k1:${btoa(String.fromCharCode(...first.keys.get("k1")!))}`,
      dataDir: dir,
    });
    assert.equal(fromEnv.currentId, "k2");
    assert.deepEqual([...fromEnv.keys.keys()].sort(), ["k1", "k2"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const suite = dbSuite();
suite.test("reencryptAll moves every secret to the current master key", async (db) => {
  const old = generateMasterKeys("k1");
  const alice = await createUser(db, { username: "alice", email: "a@x.io", passwordHash: "h" });
  const bob = await createUser(db, { username: "bob", email: "b@x.io", passwordHash: "h" });
  const oldBox = new SecretBox(old);
  await saveApiKey(
    db,
    alice.id,
    "alicekey00000000",
    await oldBox.encrypt("alice-secret", alice.id),
  );
  await saveApiKey(db, bob.id, "bobkey0000000000", await oldBox.encrypt("bob-secret", bob.id));
  const rotated: MasterKeys = {
    currentId: "k2",
    keys: new Map([["k1", old.keys.get("k1")!], [
      "k2",
      crypto.getRandomValues(new Uint8Array(32)),
    ]]),
  };
  const box = new SecretBox(rotated);
  assert.equal(await reencryptAll(db, box), 2);
  assert.equal(await reencryptAll(db, box), 0, "idempotent");
  const newOnly = new SecretBox({
    currentId: "k2",
    keys: new Map([["k2", rotated.keys.get("k2")!]]),
  });
  const a = (await getActiveApiKey(db, alice.id))!;
  assert.ok(a.secretEncrypted.startsWith("k2:"));
  assert.equal(await newOnly.decrypt(a.secretEncrypted, alice.id), "alice-secret");
  const b = (await getActiveApiKey(db, bob.id))!;
  assert.equal(await newOnly.decrypt(b.secretEncrypted, bob.id), "bob-secret");
});
suite.end();

Deno.test({
  name: "CcxtKeyValidator validates keys against the Binance simulator",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const sim = await startSimulator();
    try {
      sim.addAccount("simkeytrader00000001", "simsecrettrader0001", { USDT: "1000" });
      sim.addAccount("simkeyreadonly000002", "simsecretreadonly02", { USDT: "1" }, {
        enableSpotAndMarginTrading: false,
        enableWithdrawals: true,
      });
      const v = new CcxtKeyValidator(sim.url);
      assert.deepEqual(await v.validate("simkeytrader00000001", "simsecrettrader0001"), {
        valid: true,
        canTrade: true,
        withdrawalsEnabled: false,
      });
      const readOnly = await v.validate("simkeyreadonly000002", "simsecretreadonly02");
      assert.equal(readOnly.valid, true);
      assert.equal(readOnly.canTrade, false);
      assert.equal(readOnly.withdrawalsEnabled, true);
      const wrongSecret = await v.validate("simkeytrader00000001", "notthesecret0000000");
      assert.equal(wrongSecret.valid, false);
      assert.ok(wrongSecret.error);
      const unknown = await v.validate("nobodyknowsthiskey00", "whatever00000000000");
      assert.equal(unknown.valid, false);
    } finally {
      await sim.close();
    }
  },
});
