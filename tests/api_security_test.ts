import assert from "node:assert/strict";
import { Hono } from "hono";
import { createTestApp, registerUser } from "./helpers/api.ts";
import { REDIS_TEST_URL, skipWithoutRedis } from "./helpers/services.ts";
import { configureLogging } from "../logger.ts";
import { ManualClock } from "../engine/clock.ts";
import { DatabaseError } from "../db/errors.ts";
import { errorHandler, notFoundHandler } from "../routes/api/_middleware.ts";
import { KvRateLimiter, type RateLimiter, RedisRateLimiter } from "../services/rate_limit.ts";

const json = { "Content-Type": "application/json" };
const lines: string[] = [];
configureLogging({ level: "INFO", write: (line) => lines.push(line) });

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  const body = await res.json() as { error: { code: string; message: string } };
  assert.equal(typeof body.error?.code, "string", JSON.stringify(body));
  assert.equal(typeof body.error?.message, "string");
  return body.error;
}

// ---------------------------------------------------------------------------
// The RateLimiter contract, run on both adapters.

function limiterContract(
  name: string,
  open: () => Promise<{ limiter: RateLimiter; advance?: (ms: number) => void }>,
  ignore = false,
) {
  Deno.test({
    name: `[${name}] RateLimiter counts hits per key, blocks past the limit and resets`,
    ignore,
    async fn() {
      const { limiter } = await open();
      const key = `contract:${crypto.randomUUID()}`;
      try {
        for (let i = 1; i <= 3; i++) {
          const d = await limiter.hit(key, 3, 60_000);
          assert.equal(d.count, i);
          assert.equal(d.allowed, true);
          assert.ok(d.retryAfterMs > 0 && d.retryAfterMs <= 60_000);
        }
        const blocked = await limiter.hit(key, 3, 60_000);
        assert.equal(blocked.allowed, false);
        assert.equal(blocked.count, 4);
        assert.equal((await limiter.peek(key)).count, 4);
        assert.equal((await limiter.peek(`${key}:other`)).count, 0);
        await limiter.reset(key);
        assert.equal((await limiter.peek(key)).count, 0);
        assert.equal((await limiter.hit(key, 3, 60_000)).allowed, true);
      } finally {
        await limiter.reset(key);
        await limiter.close();
      }
    },
  });
  Deno.test({
    name: `[${name}] RateLimiter counts concurrent hits exactly once each`,
    ignore,
    async fn() {
      const { limiter } = await open();
      const key = `contract:${crypto.randomUUID()}`;
      try {
        const decisions = await Promise.all(
          Array.from({ length: 40 }, () => limiter.hit(key, 10, 60_000)),
        );
        assert.deepEqual(
          decisions.map((d) => d.count).sort((a, b) => a - b),
          Array.from({ length: 40 }, (_, i) => i + 1),
        );
        assert.equal(decisions.filter((d) => d.allowed).length, 10);
      } finally {
        await limiter.reset(key);
        await limiter.close();
      }
    },
  });
  Deno.test({
    name: `[${name}] RateLimiter opens a new window once the old one expires`,
    ignore,
    async fn() {
      const { limiter, advance } = await open();
      const key = `contract:${crypto.randomUUID()}`;
      try {
        await limiter.hit(key, 1, 200);
        assert.equal((await limiter.hit(key, 1, 200)).allowed, false);
        if (advance) advance(201);
        const deadline = performance.now() + 5_000;
        while ((await limiter.peek(key)).count !== 0) {
          assert.ok(performance.now() < deadline, "window never expired");
          await new Promise((r) => setTimeout(r, 20));
        }
        const fresh = await limiter.hit(key, 1, 200);
        assert.equal(fresh.count, 1);
        assert.equal(fresh.allowed, true);
      } finally {
        await limiter.reset(key);
        await limiter.close();
      }
    },
  });
}

limiterContract("kv", async () => {
  const clock = new ManualClock(1_000_000);
  return {
    limiter: await KvRateLimiter.open(":memory:", clock),
    advance: (ms) => clock.advance(ms),
  };
});
limiterContract(
  "redis",
  () => Promise.resolve({ limiter: new RedisRateLimiter(REDIS_TEST_URL, "aura:test:rl:") }),
  skipWithoutRedis(),
);

Deno.test("[kv] RateLimiter counters survive a restart (written behind to the KV file)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const clock = new ManualClock(1_000_000);
    const first = await KvRateLimiter.open(`${dir}/kv.sqlite`, clock);
    for (let i = 0; i < 5; i++) await first.hit("login:ip:alice", 5, 900_000);
    await first.close();
    const second = await KvRateLimiter.open(`${dir}/kv.sqlite`, clock);
    try {
      assert.equal((await second.peek("login:ip:alice")).count, 5);
      assert.equal((await second.hit("login:ip:alice", 5, 900_000)).allowed, false);
    } finally {
      await second.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------
// HTTP probes against one app.

const t = await createTestApp({ env: { CORS_ORIGINS: "" } });
const app = t.app;

Deno.test("[api] five failed logins per IP and username block the next attempt with 429 and a WARN alert", async () => {
  const u = await registerUser(app, "bruteforced");
  lines.length = 0;
  const attempt = (password: string, username = "bruteforced") =>
    app.request("/api/v1/auth/login", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ username, password }),
    });
  for (let i = 0; i < 5; i++) assert.equal((await attempt(`wrong password ${i}`)).status, 401);
  const blocked = await attempt(u.password);
  assert.equal(blocked.status, 429, "even the right password is refused while blocked");
  assert.equal((await errorOf(blocked)).code, "API_003");
  assert.ok(Number(blocked.headers.get("retry-after")) > 0);
  assert.ok(
    lines.some((l) => l.includes('"level":"WARN"') && l.includes("Repeated login failures")),
  );
  assert.ok(lines.every((l) => !l.includes("wrong password")), "no password in logs");
  const audit = await t.db.query(
    "SELECT level, message, metadata FROM system_logs WHERE user_id = $1 ORDER BY id",
    [u.userId],
  );
  const messages = audit.map((r) => r.message);
  assert.equal(messages.filter((m) => m === "audit: login.failure").length, 5);
  assert.ok(messages.includes("audit: login.blocked"));
  assert.equal((audit.find((r) => r.message === "audit: login.blocked"))!.level, "WARN");
  assert.equal((audit[1]!.metadata as { ip: string }).ip, "local");
  // Another account from the same address is not blocked by this counter.
  const other = await registerUser(app, "innocent");
  assert.equal((await attempt(other.password, "innocent")).status, 200);
});

Deno.test("[api] a burst of parallel login guesses gets at most five password checks", async () => {
  await registerUser(app, "burst_target");
  const guess = async (i: number): Promise<number> => {
    const res = await app.request("/api/v1/auth/login", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ username: "burst_target", password: `guess number ${i}` }),
    });
    await res.body?.cancel();
    return res.status;
  };
  const results = await Promise.all(Array.from({ length: 12 }, (_, i) => guess(i)));
  assert.equal(results.filter((s) => s === 401).length, 5);
  assert.equal(results.filter((s) => s === 429).length, 7);
});

Deno.test("[api] registrations per IP are capped and COOKIE_SECURE forces Secure cookies", async () => {
  const s = await createTestApp({
    db: t.db,
    env: { REGISTRATIONS_PER_HOUR_PER_IP: "2", COOKIE_SECURE: "true" },
  });
  try {
    const first = await registerUser(s.app, "capped_one");
    assert.ok(first.userId > 0);
    const second = await s.app.request("/api/v1/auth/register", {
      method: "POST",
      headers: json,
      body: JSON.stringify({
        username: "capped_two",
        email: "capped_two@example.com",
        password: "abcdefgh12",
      }),
    });
    assert.equal(second.status, 201);
    for (const cookie of second.headers.getSetCookie()) assert.match(cookie, /; Secure/);
    const third = await s.app.request("/api/v1/auth/register", {
      method: "POST",
      headers: json,
      body: JSON.stringify({
        username: "capped_three",
        email: "capped_three@example.com",
        password: "abcdefgh12",
      }),
    });
    assert.equal(third.status, 429);
    assert.equal((await errorOf(third)).code, "API_003");
    assert.ok(Number(third.headers.get("retry-after")) > 0);
  } finally {
    await s.close();
  }
});

Deno.test("[api] requests past RATE_LIMIT_PER_MINUTE answer 429 API_003 per user and endpoint", async () => {
  const s = await createTestApp({ db: t.db, env: { RATE_LIMIT_PER_MINUTE: "3" } });
  try {
    const a = await registerUser(s.app, "ratelimited_a");
    const b = await registerUser(s.app, "ratelimited_b");
    for (let i = 0; i < 3; i++) {
      assert.equal((await s.app.request("/api/v1/settings", { headers: a.headers })).status, 200);
    }
    const limited = await s.app.request("/api/v1/settings", { headers: a.headers });
    assert.equal(limited.status, 429);
    assert.equal((await errorOf(limited)).code, "API_003");
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    assert.equal((await s.app.request("/api/v1/settings", { headers: b.headers })).status, 200);
    const otherEndpoint = await s.app.request("/api/v1/settings/api-keys/status", {
      headers: a.headers,
    });
    assert.equal(otherEndpoint.status, 404, "a different endpoint has its own budget");
  } finally {
    await s.close();
  }
});

const INJECTIONS = [
  "' OR '1'='1' --",
  "1; DROP TABLE users; --",
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "${7*7}{{7*7}}",
  "\u0000\u202e",
];

Deno.test("[api] SQL injection and script strings in every text field are refused or stored inertly, never a 500", async () => {
  const u = await registerUser(app, "injector");
  for (const evil of INJECTIONS) {
    const probes: Response[] = [
      await app.request("/api/v1/auth/register", {
        method: "POST",
        headers: json,
        body: JSON.stringify({ username: evil, email: "x@example.com", password: "abcdefgh12" }),
      }),
      await app.request("/api/v1/auth/register", {
        method: "POST",
        headers: json,
        body: JSON.stringify({ username: "okname", email: evil, password: "abcdefgh12" }),
      }),
      await app.request("/api/v1/auth/login", {
        method: "POST",
        headers: json,
        body: JSON.stringify({ username: evil, password: evil }),
      }),
      await app.request("/api/v1/auth/refresh", {
        method: "POST",
        headers: json,
        body: JSON.stringify({ refreshToken: evil }),
      }),
      await app.request("/api/v1/settings", {
        method: "PUT",
        headers: u.headers,
        body: JSON.stringify({ preferences: { timezone: evil, defaultSymbol: evil } }),
      }),
      await app.request("/api/v1/settings/api-keys", {
        method: "POST",
        headers: u.headers,
        body: JSON.stringify({ apiKey: evil, secretKey: evil }),
      }),
      await app.request(`/api/v1/strategies/${encodeURIComponent(evil)}`, { headers: u.headers }),
      await app.request(`/api/v1/${encodeURIComponent(evil)}`, { headers: u.headers }),
    ];
    for (const res of probes) {
      assert.ok(res.status >= 400 && res.status < 500, `${evil}: ${res.status}`);
      const e = await errorOf(res);
      assert.ok(!/syntax|relation|SELECT|INSERT|at .*\.ts/i.test(e.message), e.message);
    }
  }
  // A password full of hostile characters is just a password.
  const password = `${INJECTIONS[0]}${INJECTIONS[2]}9`;
  const reg = await app.request("/api/v1/auth/register", {
    method: "POST",
    headers: json,
    body: JSON.stringify({ username: "weird_pw", email: "weird@example.com", password }),
  });
  assert.equal(reg.status, 201);
  const login = await app.request("/api/v1/auth/login", {
    method: "POST",
    headers: json,
    body: JSON.stringify({ username: "weird_pw", password }),
  });
  assert.equal(login.status, 200);
  const users = await t.db.query("SELECT username FROM users");
  assert.ok(users.some((r) => r.username === "injector"), "the users table is intact");
});

Deno.test("[api] oversized, malformed and non-object JSON bodies are 4xx API_004, never a 500", async () => {
  const u = await registerUser(app, "bodies");
  const send = (body: string, headers: Record<string, string> = u.headers) =>
    app.request("/api/v1/settings", { method: "PUT", headers, body });
  const big = await send(JSON.stringify({ preferences: { timezone: "x".repeat(70_000) } }));
  assert.equal(big.status, 413);
  assert.equal((await errorOf(big)).code, "API_004");
  const bigLogin = await app.request("/api/v1/auth/login", {
    method: "POST",
    headers: json,
    body: "x".repeat(200_000),
  });
  assert.equal(bigLogin.status, 413);
  for (
    const body of [
      "{",
      '{"preferences":',
      "null",
      "[]",
      "42",
      '"str"',
      "",
      '{"preferences": {"theme": "dark", "theme": 1}}',
      "[".repeat(5_000) + "]".repeat(5_000),
      '{"__proto__": {"admin": true}}',
    ]
  ) {
    const res = await send(body);
    assert.equal(res.status, 400, body.slice(0, 40));
    assert.equal((await errorOf(res)).code, "API_004");
  }
});

Deno.test("[api] every response carries the security headers; CORS is off by default", async () => {
  const u = await registerUser(app, "headers");
  for (
    const res of [
      await app.request("/health"),
      await app.request("/api/v1/settings", { headers: u.headers }),
      await app.request("/api/v1/settings"),
      await app.request("/no/such/page"),
      await app.request("/api/v1/settings", {
        headers: { ...u.headers, Origin: "https://evil.example" },
      }),
    ]
  ) {
    const h = res.headers;
    assert.match(h.get("content-security-policy") ?? "", /default-src 'self'/);
    assert.match(h.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
    assert.equal(h.get("x-content-type-options"), "nosniff");
    assert.equal(h.get("x-frame-options"), "DENY");
    assert.ok(h.get("referrer-policy"));
    assert.equal(h.get("strict-transport-security"), null, "no HSTS over plain http");
    assert.equal(h.get("access-control-allow-origin"), null);
    await res.body?.cancel();
  }
});

Deno.test("[api] CORS_ORIGINS allows only the listed origins", async () => {
  const s = await createTestApp({ db: t.db, env: { CORS_ORIGINS: "https://ui.example" } });
  try {
    const allowed = await s.app.request("/api/v1/openapi.json", {
      headers: { Origin: "https://ui.example" },
    });
    assert.equal(allowed.headers.get("access-control-allow-origin"), "https://ui.example");
    await allowed.body?.cancel();
    const other = await s.app.request("/api/v1/openapi.json", {
      headers: { Origin: "https://evil.example" },
    });
    assert.notEqual(other.headers.get("access-control-allow-origin"), "https://evil.example");
    await other.body?.cancel();
  } finally {
    await s.close();
  }
});

Deno.test("[api] unknown routes answer 404 API_005 as JSON", async () => {
  for (const path of ["/api/v1/nothing", "/api/v2/settings", "/definitely/not"]) {
    const res = await app.request(path);
    assert.equal(res.status, 404);
    assert.equal((await errorOf(res)).code, "API_005");
  }
});

Deno.test("errorHandler answers 500 SYS_001 'Internal error' for unknown errors and hides database details", async () => {
  const probe = new Hono();
  probe.get("/boom", () => {
    throw new Error("SELECT password_hash FROM users WHERE id = 1 failed at db/users.ts:42");
  });
  probe.get("/db", () => {
    throw new DatabaseError("42P01", new Error('relation "users" does not exist'));
  });
  probe.onError(errorHandler);
  probe.notFound(notFoundHandler);
  lines.length = 0;
  const boom = await probe.request("/boom");
  assert.equal(boom.status, 500);
  assert.deepEqual(await boom.json(), { error: { code: "SYS_001", message: "Internal error" } });
  assert.ok(lines.some((l) => l.includes("Unhandled error")), "logged for operators");
  const db = await probe.request("/db");
  assert.equal(db.status, 503);
  const body = await db.text();
  assert.equal(body.includes("relation"), false);
  assert.equal(body.includes("42P01"), false);
});

Deno.test({
  name: "[api] close the security test app",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => t.close(),
});
