import assert from "node:assert/strict";
import { decodeJwt, SignJWT } from "jose";
import { Hono } from "hono";
import { createTestApp, registerUser } from "./helpers/api.ts";
import { dbSuite } from "./helpers/db.ts";
import { ManualClock } from "../engine/clock.ts";
import { authenticateRequest, installSession } from "../routes/api/_middleware.ts";
import { AccessTokens } from "../services/auth/jwt.ts";

const clock = new ManualClock(Date.UTC(2026, 10, 24, 8, 0, 0));
const t = await createTestApp({ clock });
const app = t.app;
const json = { "Content-Type": "application/json" };

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return app.request(path, {
    method: "POST",
    headers: { ...json, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const body = await res.json() as { error: { code: string; message: string } };
  assert.ok(body.error, `expected an error body, got ${JSON.stringify(body)}`);
  return body.error;
}

/** Cookie name → { value, attributes } from Set-Cookie headers. */
function cookiesOf(res: Response): Map<string, { value: string; attrs: string }> {
  const out = new Map<string, { value: string; attrs: string }>();
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(";");
    const eq = pair!.indexOf("=");
    out.set(pair!.slice(0, eq).trim(), { value: pair!.slice(eq + 1), attrs: attrs.join(";") });
  }
  return out;
}

Deno.test("[api] POST /auth/register creates a user, returns tokens and sets session cookies", async () => {
  const res = await post("/api/v1/auth/register", {
    username: "alice_r",
    email: "alice_r@example.com",
    password: "tr0ub4dor and 3",
  });
  assert.equal(res.status, 201);
  const cookies = cookiesOf(res);
  const body = await res.json();
  assert.deepEqual(Object.keys(body).sort(), ["accessToken", "expiresIn", "refreshToken", "user"]);
  assert.deepEqual(Object.keys(body.user).sort(), ["email", "id", "tradingMode", "username"]);
  assert.equal(body.user.tradingMode, "paper");
  assert.equal(body.expiresIn, 900);
  const access = cookies.get("aura_access")!;
  assert.equal(access.value, body.accessToken);
  assert.match(access.attrs, /HttpOnly/);
  assert.match(access.attrs, /SameSite=Strict/);
  assert.match(access.attrs, /Path=\//);
  assert.doesNotMatch(access.attrs, /Secure/); // plain http, COOKIE_SECURE unset
  const refresh = cookies.get("aura_refresh")!;
  assert.equal(refresh.value, body.refreshToken);
  assert.match(refresh.attrs, /HttpOnly/);
  assert.match(refresh.attrs, /Path=\/api\/v1\/auth/);
  const csrf = cookies.get("aura_csrf")!;
  assert.ok(csrf.value.length >= 20);
  assert.doesNotMatch(csrf.attrs, /HttpOnly/);
  assert.match(csrf.attrs, /SameSite=Strict/);
  const claims = decodeJwt(body.accessToken);
  assert.equal(claims.sub, String(body.user.id));
  assert.equal(claims.iss, "aura");
  assert.equal(claims.aud, "aura-web");
  assert.equal(claims.exp! - claims.iat!, 900);
  assert.ok(claims.jti);
  assert.equal(JSON.stringify(body).includes("$2"), false, "no bcrypt hash in the answer");
});

Deno.test("[api] session cookies are Secure over https", async () => {
  const res = await app.request("https://aura.example/api/v1/auth/register", {
    method: "POST",
    headers: json,
    body: JSON.stringify({
      username: "tls_user",
      email: "tls@example.com",
      password: "abcdefgh12",
    }),
  });
  assert.equal(res.status, 201);
  for (const [, c] of cookiesOf(res)) assert.match(c.attrs, /Secure/);
  assert.match(res.headers.get("strict-transport-security") ?? "", /max-age=/);
});

Deno.test("[api] POST /auth/register rejects bad usernames, emails, weak passwords and unknown fields", async () => {
  const good = { username: "bob_valid", email: "bob@example.com", password: "abcdefgh12" };
  const cases: [string, unknown][] = [
    ["short username", { ...good, username: "ab" }],
    ["username with space", { ...good, username: "bob smith" }],
    ["username too long", { ...good, username: "b".repeat(51) }],
    ["bad email", { ...good, email: "not-an-email" }],
    ["email too long", { ...good, email: `${"e".repeat(95)}@x.com` }],
    ["password too short", { ...good, password: "abc123" }],
    ["password without digits", { ...good, password: "abcdefghijkl" }],
    ["password without letters", { ...good, password: "123456789012" }],
    ["password equal to username", { ...good, username: "abcdefgh12" }],
    ["password too long", { ...good, password: "a1".repeat(65) }],
    ["unknown field", { ...good, isAdmin: true }],
    ["missing field", { username: "bob_valid", password: "abcdefgh12" }],
    ["wrong type", { ...good, username: 42 }],
  ];
  for (const [what, body] of cases) {
    const res = await post("/api/v1/auth/register", body);
    assert.equal(res.status, 400, what);
    const error = await errorOf(res);
    assert.equal(error.code, "API_004", what);
    assert.equal(error.message.includes("abcdefgh12"), false, `${what}: password echoed`);
  }
});

Deno.test("[api] POST /auth/register answers 409 API_006 for a taken username or email", async () => {
  await registerUser(app, "carol");
  const sameName = await post("/api/v1/auth/register", {
    username: "CAROL",
    email: "other@example.com",
    password: "abcdefgh12",
  });
  assert.equal(sameName.status, 409);
  assert.equal((await errorOf(sameName)).code, "API_006");
  const sameEmail = await post("/api/v1/auth/register", {
    username: "carol2",
    email: "carol@example.com",
    password: "abcdefgh12",
  });
  assert.equal(sameEmail.status, 409);
  assert.equal((await errorOf(sameEmail)).code, "API_006");
});

Deno.test("[api] POST /auth/login accepts username or email and answers the same AUTH_001 for unknown user and wrong password", async () => {
  const dave = await registerUser(app, "dave");
  const byName = await post("/api/v1/auth/login", { username: "dave", password: dave.password });
  assert.equal(byName.status, 200);
  const body = await byName.json();
  assert.equal(body.user.username, "dave");
  assert.ok(cookiesOf(byName).has("aura_access"));
  const byEmail = await post("/api/v1/auth/login", {
    username: "dave@example.com",
    password: dave.password,
  });
  assert.equal(byEmail.status, 200);

  const wrong = await post("/api/v1/auth/login", { username: "dave", password: "wrong pass 1" });
  const unknown = await post("/api/v1/auth/login", {
    username: "nobody",
    password: "wrong pass 1",
  });
  assert.equal(wrong.status, 401);
  assert.equal(unknown.status, 401);
  assert.deepEqual(await wrong.json(), await unknown.json());
  const bad = await post("/api/v1/auth/login", { username: "dave" });
  assert.equal(bad.status, 400);
  assert.equal((await errorOf(bad)).code, "API_004");
});

Deno.test("[api] requireAuth rejects missing, tampered, expired, alg none and HS256-with-public-key tokens", async () => {
  const erin = await registerUser(app, "erin");
  const get = (headers: Record<string, string>) => app.request("/api/v1/settings", { headers });
  assert.equal((await get(erin.headers)).status, 200);

  const missing = await get({});
  assert.equal(missing.status, 401);
  assert.equal((await errorOf(missing)).code, "AUTH_002");

  const [h, p, s] = erin.accessToken.split(".");
  const payload = JSON.parse(atob(p!.replaceAll("-", "+").replaceAll("_", "/")));
  const b64url = (v: unknown) =>
    btoa(JSON.stringify(v)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  const forged = `${h}.${b64url({ ...payload, sub: "999" })}.${s}`;
  const none = `${b64url({ alg: "none", typ: "JWT" })}.${b64url(payload)}.`;
  const hs256 = await new SignJWT(payload)
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(t.deps.keys.jwt.publicPem));
  const flipped = erin.accessToken.slice(0, -3) +
    (erin.accessToken.endsWith("AAA") ? "BBB" : "AAA");
  for (
    const [what, token] of [["forged", forged], ["none", none], ["hs256", hs256], [
      "flipped",
      flipped,
    ], ["garbage", "abc"]]
  ) {
    const res = await get({ Authorization: `Bearer ${token}` });
    assert.equal(res.status, 401, what);
    const e = await errorOf(res);
    assert.equal(e.code, "AUTH_002", what);
    assert.equal(e.message, "Token is invalid or expired", what);
  }
  const malformedHeader = await get({ Authorization: "Basic abc" });
  assert.equal(malformedHeader.status, 401);

  // A token from another issuer configuration (same keys, other audience).
  const other = new AccessTokens({
    keys: t.deps.keys.jwt,
    clock,
    issuer: "aura",
    audience: "someone-else",
    ttlSeconds: 900,
  });
  const wrongAud = await other.sign({ id: erin.userId, username: "erin" });
  assert.equal((await get({ Authorization: `Bearer ${wrongAud}` })).status, 401);

  clock.advance(901_000);
  const expired = await get(erin.headers);
  assert.equal(expired.status, 401);
  assert.equal((await errorOf(expired)).message, "Token is invalid or expired");
});

Deno.test("[api] cookie sessions work for reads and need X-CSRF-Token for writes", async () => {
  const login = await registerUser(app, "frank");
  const res = await post("/api/v1/auth/login", { username: "frank", password: login.password });
  const cookies = cookiesOf(res);
  const cookie = ["aura_access", "aura_csrf"].map((n) => `${n}=${cookies.get(n)!.value}`).join(
    "; ",
  );
  const read = await app.request("/api/v1/settings", { headers: { Cookie: cookie } });
  assert.equal(read.status, 200);
  const put = (headers: Record<string, string>) =>
    app.request("/api/v1/settings", {
      method: "PUT",
      headers: { ...json, Cookie: cookie, ...headers },
      body: JSON.stringify({ preferences: { theme: "dark" } }),
    });
  const noCsrf = await put({});
  assert.equal(noCsrf.status, 403);
  assert.equal((await errorOf(noCsrf)).code, "AUTH_003");
  assert.equal((await put({ "X-CSRF-Token": "wrong" })).status, 403);
  const ok = await put({ "X-CSRF-Token": cookies.get("aura_csrf")!.value });
  assert.equal(ok.status, 200);
  // Bearer clients need no CSRF token.
  const bearer = await app.request("/api/v1/settings", {
    method: "PUT",
    headers: login.headers,
    body: JSON.stringify({ preferences: { theme: "light" } }),
  });
  assert.equal(bearer.status, 200);
});

Deno.test("[api] refresh through the cookie rotates the session and needs the CSRF header", async () => {
  await registerUser(app, "gina");
  const res = await post("/api/v1/auth/login", {
    username: "gina",
    password: "correct horse 42 battery",
  });
  const cookies = cookiesOf(res);
  const cookie = `aura_refresh=${cookies.get("aura_refresh")!.value}; aura_csrf=${
    cookies.get("aura_csrf")!.value
  }`;
  const noCsrf = await app.request("/api/v1/auth/refresh", {
    method: "POST",
    headers: { Cookie: cookie },
  });
  assert.equal(noCsrf.status, 403);
  const ok = await app.request("/api/v1/auth/refresh", {
    method: "POST",
    headers: { Cookie: cookie, "X-CSRF-Token": cookies.get("aura_csrf")!.value },
  });
  assert.equal(ok.status, 200);
  const next = cookiesOf(ok);
  assert.notEqual(next.get("aura_refresh")!.value, cookies.get("aura_refresh")!.value);
  assert.notEqual(next.get("aura_access")!.value, cookies.get("aura_access")!.value);
});

Deno.test("[api] authenticateRequest finds the cookie user for pages and returns null otherwise", async () => {
  const hank = await registerUser(app, "hank");
  const page = new Hono();
  page.use(
    "*",
    installSession(
      new AccessTokens({
        keys: t.deps.keys.jwt,
        clock,
        issuer: "aura",
        audience: "aura-web",
        ttlSeconds: 900,
      }),
    ),
  );
  page.get("/", async (c) => c.json(await authenticateRequest(c)));
  const withCookie = await page.request("/", {
    headers: { Cookie: `aura_access=${hank.accessToken}` },
  });
  assert.deepEqual(await withCookie.json(), {
    userId: hank.userId,
    username: "hank",
    via: "cookie",
  });
  assert.equal(await (await page.request("/")).json(), null);
  assert.equal(
    await (await page.request("/", { headers: { Cookie: "aura_access=forged" } })).json(),
    null,
  );
});

Deno.test("[api] POST /auth/refresh and /auth/logout validate their input", async () => {
  const missing = await post("/api/v1/auth/refresh", "");
  assert.equal(missing.status, 401);
  assert.equal((await errorOf(missing)).code, "AUTH_002");
  const unknown = await post("/api/v1/auth/refresh", { refreshToken: "not-a-token" });
  assert.equal(unknown.status, 401);
  const extra = await post("/api/v1/auth/refresh", { refreshToken: "x", admin: true });
  assert.equal(extra.status, 400);
  const malformed = await post("/api/v1/auth/logout", "{nope");
  assert.equal(malformed.status, 400);
  assert.equal((await errorOf(malformed)).code, "API_004");
  const logoutUnknown = await post("/api/v1/auth/logout", { refreshToken: "unknown" });
  assert.equal(logoutUnknown.status, 204);
});

Deno.test({
  name: "[api] close the auth test app",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => t.close(),
});

// Rotation and family revocation rely on SELECT ... FOR UPDATE: run on both adapters.
const suite = dbSuite();
suite.test("[api] refresh rotates tokens; reusing a rotated token revokes the whole family", async (db) => {
  const s = await createTestApp({ db });
  try {
    const u = await registerUser(s.app, "ivan");
    const refresh = (token: string) =>
      s.app.request("/api/v1/auth/refresh", {
        method: "POST",
        headers: json,
        body: JSON.stringify({ refreshToken: token }),
      });
    const first = await refresh(u.refreshToken);
    assert.equal(first.status, 200);
    const r1 = await first.json();
    assert.notEqual(r1.refreshToken, u.refreshToken);
    assert.equal(r1.user.id, u.userId);
    const second = await refresh(r1.refreshToken);
    assert.equal(second.status, 200);
    const r2 = await second.json();
    // The original token is presented again: theft assumed, the family dies.
    const reuse = await refresh(u.refreshToken);
    assert.equal(reuse.status, 401);
    assert.equal((await errorOf(reuse)).code, "AUTH_002");
    assert.equal((await refresh(r2.refreshToken)).status, 401, "latest token revoked too");
    const stored = await db.query("SELECT token_hash FROM refresh_tokens");
    assert.equal(stored.length, 3);
    for (const row of stored) {
      assert.match(String(row.token_hash), /^[0-9a-f]{64}$/);
      assert.notEqual(row.token_hash, u.refreshToken);
    }
  } finally {
    await s.close();
  }
});

suite.test("[api] logout revokes the refresh family and clears the cookies", async (db) => {
  const s = await createTestApp({ db });
  try {
    const u = await registerUser(s.app, "judy");
    const out = await s.app.request("/api/v1/auth/logout", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ refreshToken: u.refreshToken }),
    });
    assert.equal(out.status, 204);
    const cleared = cookiesOf(out);
    assert.equal(cleared.get("aura_access")?.value, "");
    assert.match(cleared.get("aura_access")!.attrs, /Max-Age=0/);
    const after = await s.app.request("/api/v1/auth/refresh", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ refreshToken: u.refreshToken }),
    });
    assert.equal(after.status, 401);
    const audit = await db.query(
      "SELECT message FROM system_logs WHERE user_id = $1 ORDER BY id",
      [u.userId],
    );
    assert.deepEqual(audit.map((r) => r.message), ["audit: user.register", "audit: logout"]);
  } finally {
    await s.close();
  }
});
suite.end();
