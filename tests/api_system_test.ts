import assert from "node:assert/strict";
import { decodeProtectedHeader } from "jose";
import { createTestApp, registerUser } from "./helpers/api.ts";
import { ManualClock } from "../engine/clock.ts";
import { AccessTokens, loadJwtKeys } from "../services/auth/jwt.ts";
import { MetricsRegistry } from "../services/metrics.ts";

let pipelineOk = true;
const t = await createTestApp({
  overrides: {
    healthChecks: {
      pipeline: () =>
        Promise.resolve(pipelineOk ? { ok: true, detail: "lag 0 ms" } : { ok: false }),
    },
  },
});
const app = t.app;

Deno.test("[api] GET /health reports database, cache and registered checks; 503 when one fails", async () => {
  const res = await app.request("/health");
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.status, "ok");
  assert.deepEqual(body.checks.database, { ok: true, detail: t.db.kind });
  assert.deepEqual(body.checks.cache, { ok: true, detail: "kv" });
  assert.deepEqual(body.checks.pipeline, { ok: true, detail: "lag 0 ms" });
  assert.equal(typeof body.uptimeMs, "number");
  pipelineOk = false;
  try {
    const down = await app.request("/health");
    assert.equal(down.status, 503);
    const downBody = await down.json();
    assert.equal(downBody.status, "degraded");
    assert.equal(downBody.checks.pipeline.ok, false);
    assert.equal(downBody.checks.database.ok, true);
  } finally {
    pipelineOk = true;
  }
  const live = await app.request("/health/live");
  assert.equal(live.status, 200);
});

Deno.test("[api] a health check that throws counts as failed without leaking its error", async () => {
  const s = await createTestApp({
    db: t.db,
    overrides: {
      healthChecks: {
        exchange: () => Promise.reject(new Error("connect ECONNREFUSED 10.0.0.1:443 secret")),
      },
    },
  });
  try {
    const res = await s.app.request("/health");
    assert.equal(res.status, 503);
    const text = await res.text();
    assert.equal(text.includes("ECONNREFUSED"), false);
    assert.deepEqual(JSON.parse(text).checks.exchange, { ok: false, detail: "unreachable" });
  } finally {
    await s.close();
  }
});

Deno.test("[api] GET /metrics exposes request counts and latency histograms per route", async () => {
  const u = await registerUser(app, "metrics_user");
  await app.request("/api/v1/settings", { headers: u.headers });
  await app.request("/api/v1/settings", { headers: u.headers });
  await app.request("/api/v1/settings");
  await app.request("/api/v1/nothing/here");
  t.deps.metrics.counter("aura_orders_total", "Orders by outcome", ["outcome"]).inc({
    outcome: "filled",
  });
  const res = await app.request("/metrics");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /text\/plain/);
  const text = await res.text();
  assert.match(
    text,
    /^http_requests_total\{method="GET",route="\/api\/v1\/settings",status="200"\} 2$/m,
  );
  assert.match(
    text,
    /^http_requests_total\{method="GET",route="\/api\/v1\/settings",status="401"\} 1$/m,
  );
  assert.match(text, /^http_requests_total\{method="GET",route="unmatched",status="404"\} 1$/m);
  assert.match(text, /^# TYPE http_request_duration_seconds histogram$/m);
  assert.match(
    text,
    /^http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/settings"\} 3$/m,
  );
  assert.match(
    text,
    /^http_request_duration_seconds_bucket\{method="GET",route="\/api\/v1\/settings",le="\+Inf"\} 3$/m,
  );
  assert.match(text, /^aura_orders_total\{outcome="filled"\} 1$/m);
  assert.match(text, /^aura_sse_subscribers 0$/m);
});

Deno.test("[api] every response carries X-Request-Id, keeping a plain incoming one", async () => {
  const fresh = await app.request("/health/live");
  assert.match(fresh.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  const kept = await app.request("/api/v1/nothing", { headers: { "X-Request-Id": "abc-123" } });
  assert.equal(kept.headers.get("x-request-id"), "abc-123");
  const replaced = await app.request("/health/live", {
    headers: { "X-Request-Id": "<script>x</script>" },
  });
  assert.notEqual(replaced.headers.get("x-request-id"), "<script>x</script>");
  await Promise.all([fresh, kept, replaced].map((r) => r.body?.cancel()));
});

Deno.test("MetricsRegistry renders cumulative histogram buckets and escapes label values", () => {
  const m = new MetricsRegistry();
  const h = m.histogram("lag_seconds", "Lag", ["stage"], [0.1, 1]);
  h.observe(0.05, { stage: "ingest" });
  h.observe(0.5, { stage: "ingest" });
  h.observe(5, { stage: "ingest" });
  m.gauge("g", "A gauge", ["name"]).set(3, { name: 'quote"and\\slash' });
  const text = m.render();
  assert.match(text, /^lag_seconds_bucket\{stage="ingest",le="0.1"\} 1$/m);
  assert.match(text, /^lag_seconds_bucket\{stage="ingest",le="1"\} 2$/m);
  assert.match(text, /^lag_seconds_bucket\{stage="ingest",le="\+Inf"\} 3$/m);
  assert.match(text, /^lag_seconds_sum\{stage="ingest"\} 5.55$/m);
  assert.match(text, /^g\{name="quote\\"and\\\\slash"\} 3$/m);
  assert.equal(m.counter("c", "x"), m.counter("c", "x"), "same family on second call");
});

Deno.test("[api] GET /api/v1/openapi.json documents the routes from their zod schemas", async () => {
  const res = await app.request("/api/v1/openapi.json");
  assert.equal(res.status, 200);
  const doc = await res.json();
  assert.equal(doc.openapi, "3.1.0");
  const login = doc.paths["/api/v1/auth/login"].post;
  const schema = login.requestBody.content["application/json"].schema;
  assert.deepEqual(schema.required.sort(), ["password", "username"]);
  assert.equal(schema.additionalProperties, false, ".strict() shows as additionalProperties false");
  assert.equal(login.security, undefined);
  const settings = doc.paths["/api/v1/settings"];
  assert.ok(settings.get && settings.put);
  assert.deepEqual(settings.get.security, [{ bearer: [] }, { cookie: [] }]);
  const keys = doc.paths["/api/v1/settings/api-keys"].post;
  assert.ok(keys.requestBody.content["application/json"].schema.properties.secretKey);
  assert.ok(keys.responses["201"]);
  assert.ok(doc.paths["/health"].get);
  assert.ok(doc.paths["/api/v1/auth/register"].post.responses.default);
});

Deno.test("loadJwtKeys generates a 0600 key pair once and reuses it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await loadJwtKeys({ dataDir: dir });
    for (const name of ["jwt_private.pem", "jwt_public.pem"]) {
      assert.equal((await Deno.stat(`${dir}/${name}`)).mode! & 0o777, 0o600, name);
    }
    assert.match(await Deno.readTextFile(`${dir}/jwt_private.pem`), /BEGIN PRIVATE KEY/);
    const again = await loadJwtKeys({ dataDir: dir });
    assert.equal(again.publicPem, first.publicPem);
    const fromFiles = await loadJwtKeys({
      dataDir: "/nonexistent",
      privateKeyFile: `${dir}/jwt_private.pem`,
      publicKeyFile: `${dir}/jwt_public.pem`,
    });
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const options = { clock, issuer: "aura", audience: "aura-web", ttlSeconds: 60 };
    const token = await new AccessTokens({ keys: first, ...options }).sign({
      id: 5,
      username: "eve",
    });
    assert.equal(decodeProtectedHeader(token).alg, "RS256");
    const claims = await new AccessTokens({ keys: fromFiles, ...options }).verify(token);
    assert.equal(claims.userId, 5);
    assert.equal(claims.username, "eve");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[api] end to end over a real socket: register, cookie session, client IP in the audit trail", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  try {
    const base = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`;
    const reg = await fetch(`${base}/api/v1/auth/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        username: "socket_user",
        email: "socket@example.com",
        password: "socket pass 12",
      }),
    });
    assert.equal(reg.status, 201);
    const { user } = await reg.json();
    const cookie = reg.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const settings = await fetch(`${base}/api/v1/settings`, { headers: { Cookie: cookie } });
    assert.equal(settings.status, 200);
    assert.equal((await settings.json()).user.username, "socket_user");
    const rows = await t.db.query(
      "SELECT metadata FROM system_logs WHERE user_id = $1 AND message = 'audit: user.register'",
      [user.id],
    );
    assert.equal((rows[0]!.metadata as { ip: string }).ip, "127.0.0.1");
  } finally {
    await server.shutdown();
  }
});

Deno.test({
  name: "[api] close the system test app",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => t.close(),
});
