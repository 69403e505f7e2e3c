import assert from "node:assert/strict";
import { dbSuite, freshDb } from "./helpers/db.ts";
import { skipWithoutPostgres } from "./helpers/services.ts";
import { migrate } from "../db/migrate.ts";
import { openPostgres } from "../db/postgres.ts";
import { ConstraintViolation } from "../db/errors.ts";
import { createUser, findUserById, findUserByLogin, setTradingMode } from "../db/users.ts";
import {
  createStrategy,
  deleteStrategy,
  getStrategy,
  listActiveStrategies,
  listStrategies,
  setStrategyActive,
  updateStrategy,
} from "../db/strategies.ts";
import {
  closeTrade,
  getTrade,
  insertOpenTrade,
  listOpenTrades,
  listTradeHistory,
  setTradeOco,
} from "../db/trades.ts";
import { getBacktest, insertBacktest, listBacktests } from "../db/backtests.ts";
import { deleteApiKeys, getActiveApiKey, saveApiKey } from "../db/api_keys.ts";
import { insertLogs, listUserLogs } from "../db/logs.ts";
import { latestKlineOpenTime, listKlines, upsertKlines } from "../db/klines.ts";
import {
  findRefreshTokenForUpdate,
  insertRefreshToken,
  markRefreshTokenRotated,
  revokeRefreshFamily,
} from "../db/refresh_tokens.ts";
import type { Queryable } from "../db/port.ts";
import {
  getIntent,
  loadSignalContexts,
  recordIntent,
  restoreIntents,
} from "../db/order_intents.ts";

const suite = dbSuite();

const strategyInput = {
  name: "EMA cross",
  symbol: "BTCUSDT",
  interval: "1h",
  entryConditions: [{ left: { indicator: "EMA", period: 12 }, op: ">", right: { value: 1 } }],
  exitConditions: [],
  riskParams: {
    positionSizeUsd: 100,
    takeProfitPercent: 2,
    stopLossPercent: 1,
    maxDrawdownPercent: 10,
  },
};

async function seedUser(db: Queryable, name = "alice") {
  return await createUser(db, { username: name, email: `${name}@example.com`, passwordHash: "h" });
}

async function seedTrade(db: Queryable, userId: number, strategyId: number, n = 1) {
  return await insertOpenTrade(db, {
    userId,
    strategyId,
    symbol: "BTCUSDT",
    isPaper: true,
    signalId: `${strategyId}:${n}:ENTRY`,
    clientOrderIdEntry: `au-${strategyId}-${n}-E`,
    binanceOrderIdEntry: String(9_007_199_254_740_993n + BigInt(n)),
    entryPrice: "65000.12345678",
    quantity: "0.00153",
    entryFee: "0.0994",
    entryTimestamp: new Date(1_700_000_000_000 + n * 60_000),
  });
}

suite.test("migrations run twice without error and record each version once", async (db) => {
  assert.deepEqual(await migrate(db), []);
  const rows = await db.query("SELECT version FROM schema_migrations");
  assert.deepEqual(rows.map((r) => r.version), ["0001", "0002", "0003"]);
});

suite.test("a taken username or email surfaces as a typed unique violation", async (db) => {
  await seedUser(db);
  await assert.rejects(
    createUser(db, { username: "alice", email: "other@example.com", passwordHash: "h" }),
    (e) => e instanceof ConstraintViolation && e.kind === "unique" && e.code === "API_006",
  );
  await assert.rejects(
    createUser(db, { username: "bob", email: "alice@example.com", passwordHash: "h" }),
    (e) => e instanceof ConstraintViolation && e.constraint === "users_email_key",
  );
});

suite.test("users are found by username or email, case-insensitively", async (db) => {
  const u = await seedUser(db);
  assert.equal((await findUserByLogin(db, "ALICE"))?.id, u.id);
  assert.equal((await findUserByLogin(db, "Alice@Example.com"))?.id, u.id);
  assert.equal(await findUserByLogin(db, "nobody"), null);
  await setTradingMode(db, u.id, "live");
  assert.equal((await findUserById(db, u.id))?.tradingMode, "live");
});

suite.test("an invalid trade status is refused by the CHECK constraint", async (db) => {
  const u = await seedUser(db);
  const s = await createStrategy(db, u.id, strategyInput);
  await assert.rejects(
    db.query(
      `INSERT INTO trades (user_id, strategy_id, binance_order_id_entry, symbol, status, entry_price,
       quantity, entry_timestamp, signal_id, client_order_id_entry)
       VALUES ($1, $2, 1, 'BTCUSDT', 'LOST', 1, 1, NOW(), 'x', 'y')`,
      [u.id, s.id],
    ),
    (e) => e instanceof ConstraintViolation && e.kind === "check",
  );
});

suite.test("strategies are scoped by user", async (db) => {
  const alice = await seedUser(db);
  const bob = await seedUser(db, "bob");
  const s = await createStrategy(db, alice.id, strategyInput);
  assert.equal((await getStrategy(db, alice.id, s.id))?.name, "EMA cross");
  assert.equal(await getStrategy(db, bob.id, s.id), null);
  assert.equal(await updateStrategy(db, bob.id, s.id, { ...strategyInput, name: "x" }), null);
  assert.equal(await setStrategyActive(db, bob.id, s.id, true), null);
  assert.equal(await deleteStrategy(db, bob.id, s.id), false);
  assert.equal((await listStrategies(db, bob.id)).length, 0);
  const updated = await updateStrategy(db, alice.id, s.id, { ...strategyInput, name: "Renamed" });
  assert.equal(updated?.name, "Renamed");
  assert.deepEqual(updated?.riskParams, strategyInput.riskParams);
  await setStrategyActive(db, alice.id, s.id, true);
  assert.deepEqual((await listActiveStrategies(db)).map((x) => x.id), [s.id]);
  assert.deepEqual((await listActiveStrategies(db, [s.id, s.id + 99])).map((x) => x.id), [s.id]);
  assert.deepEqual(await listActiveStrategies(db, []), []);
});

suite.test("deleting a user cascades to strategies, trades and backtests", async (db) => {
  const u = await seedUser(db);
  const s = await createStrategy(db, u.id, strategyInput);
  await seedTrade(db, u.id, s.id);
  await insertBacktest(db, {
    strategyId: s.id,
    startDate: new Date(0),
    endDate: new Date(1),
    totalTrades: 0,
    winningTrades: 0,
    losingTrades: 0,
    totalPnl: "0",
    maxDrawdown: 0,
    sharpeRatio: null,
    winRate: 0,
    params: {},
    trades: [],
    equityCurve: [],
    candles: 0,
  });
  await db.query("DELETE FROM users WHERE id = $1", [u.id]);
  for (const table of ["strategies", "trades", "backtest_results"]) {
    const rows = await db.query(`SELECT COUNT(*)::int AS n FROM ${table}`);
    assert.equal(rows[0]!.n, 0, table);
  }
});

suite.test("a transaction rolls back everything when its function throws", async (db) => {
  await assert.rejects(
    db.transaction(async (tx) => {
      await seedUser(tx);
      throw new Error("boom");
    }),
    /boom/,
  );
  assert.equal(await findUserByLogin(db, "alice"), null);
  await db.transaction(async (tx) => {
    await seedUser(tx);
  });
  assert.notEqual(await findUserByLogin(db, "alice"), null);
});

suite.test("BIGINT and DECIMAL come back as exact strings", async (db) => {
  const u = await seedUser(db);
  const s = await createStrategy(db, u.id, strategyInput);
  const t = await seedTrade(db, u.id, s.id);
  assert.equal(t.binanceOrderIdEntry, "9007199254740994");
  assert.equal(t.entryPrice, "65000.12345678");
  assert.equal(t.quantity, "0.00153");
  const again = await seedTrade(db, u.id, s.id);
  assert.equal(again.id, t.id, "recording the same signal twice is idempotent");
});

suite.test("trades open, get an OCO, close once, and list per user", async (db) => {
  const alice = await seedUser(db);
  const bob = await seedUser(db, "bob");
  const s = await createStrategy(db, alice.id, strategyInput);
  const t = await seedTrade(db, alice.id, s.id);
  await setTradeOco(db, t.id, {
    orderListId: "77",
    listClientOrderId: "au-x-O",
    takeProfitPrice: "66300",
    stopLossPrice: "64350",
    stopLimitPrice: "64285.65",
  });
  assert.equal((await listOpenTrades(db, alice.id)).length, 1);
  assert.equal((await listOpenTrades(db, bob.id)).length, 0);
  assert.equal(await getTrade(db, bob.id, t.id), null);
  const close = {
    status: "CLOSED_TP" as const,
    exitPrice: "66300",
    exitTimestamp: new Date(1_700_000_600_000),
    pnl: "1.7876",
    exitFee: "0.1014",
  };
  assert.equal(await closeTrade(db, t.id, close), true);
  assert.equal(await closeTrade(db, t.id, close), false, "closing twice is a no-op");
  const closed = await getTrade(db, alice.id, t.id);
  assert.equal(closed?.status, "CLOSED_TP");
  assert.equal(closed?.fees, "0.2008");
  assert.equal(closed?.takeProfitPrice, "66300");
  const history = await listTradeHistory(db, alice.id, { symbol: "BTCUSDT" });
  assert.equal(history.total, 1);
  assert.equal(history.totalPnl, "1.7876");
  assert.equal((await listTradeHistory(db, bob.id)).total, 0);
});

suite.test("trade history filters, sorts and paginates", async (db) => {
  const u = await seedUser(db);
  const s = await createStrategy(db, u.id, strategyInput);
  for (let n = 1; n <= 5; n++) {
    const t = await seedTrade(db, u.id, s.id, n);
    await closeTrade(db, t.id, {
      status: n % 2 ? "CLOSED_TP" : "CLOSED_SL",
      exitPrice: "1",
      exitTimestamp: new Date(1_700_000_000_000 + n * 120_000),
      pnl: String(n - 3),
      exitFee: "0",
    });
  }
  const page = await listTradeHistory(db, u.id, { limit: 2, offset: 1, sort: "pnl", order: "asc" });
  assert.equal(page.total, 5);
  assert.deepEqual(page.trades.map((t) => t.pnl), ["-1", "0"]);
  const sl = await listTradeHistory(db, u.id, { status: "CLOSED_SL" });
  assert.equal(sl.total, 2);
  const from = await listTradeHistory(db, u.id, { from: new Date(1_700_000_000_000 + 4 * 60_000) });
  assert.equal(from.total, 2);
});

suite.test("backtests are listed and read only by the strategy's owner", async (db) => {
  const alice = await seedUser(db);
  const bob = await seedUser(db, "bob");
  const s = await createStrategy(db, alice.id, strategyInput);
  const b = await insertBacktest(db, {
    strategyId: s.id,
    startDate: new Date(0),
    endDate: new Date(3_600_000),
    totalTrades: 2,
    winningTrades: 1,
    losingTrades: 1,
    totalPnl: "12.5",
    maxDrawdown: 3.25,
    sharpeRatio: 1.5,
    winRate: 0.5,
    params: { fee: 0.001 },
    trades: [{ pnl: 20 }, { pnl: -7.5 }],
    equityCurve: [[0, 10000]],
    candles: 10,
  });
  assert.equal(b.totalPnl, "12.5");
  assert.equal((await listBacktests(db, alice.id, s.id)).length, 1);
  assert.equal((await listBacktests(db, bob.id, s.id)).length, 0);
  assert.equal(await getBacktest(db, bob.id, b.id), null);
  assert.deepEqual((await getBacktest(db, alice.id, b.id))?.trades, [{ pnl: 20 }, { pnl: -7.5 }]);
});

suite.test("one active API key pair per user; deletion removes it", async (db) => {
  const u = await seedUser(db);
  await saveApiKey(db, u.id, "key1", "k1:iv:ct");
  await saveApiKey(db, u.id, "key2", "k1:iv:ct2");
  assert.equal((await getActiveApiKey(db, u.id))?.apiKey, "key2");
  assert.equal(await deleteApiKeys(db, u.id), 2);
  assert.equal(await getActiveApiKey(db, u.id), null);
});

suite.test("refresh tokens rotate once and families revoke together", async (db) => {
  const u = await seedUser(db);
  const family = crypto.randomUUID();
  const hash = "a".repeat(64);
  await insertRefreshToken(db, {
    userId: u.id,
    familyId: family,
    tokenHash: hash,
    expiresAt: new Date(Date.now() + 60_000),
  });
  const found = await findRefreshTokenForUpdate(db, hash);
  assert.equal(found?.familyId, family);
  assert.equal(await markRefreshTokenRotated(db, found!.id), true);
  assert.equal(await markRefreshTokenRotated(db, found!.id), false);
  await revokeRefreshFamily(db, family);
  assert.notEqual((await findRefreshTokenForUpdate(db, hash))?.revokedAt, null);
});

suite.test("logs and klines round-trip", async (db) => {
  const u = await seedUser(db);
  await insertLogs(db, [{
    timestamp: new Date(),
    level: "WARN",
    service: "api",
    message: "Login failed",
    metadata: { ip: "127.0.0.1" },
    userId: u.id,
  }]);
  assert.equal((await listUserLogs(db, u.id))[0]?.message, "Login failed");
  const k = {
    symbol: "BTCUSDT",
    interval: "1m",
    openTime: 60_000,
    closeTime: 119_999,
    open: "1.5",
    high: "2",
    low: "1",
    close: "1.75",
    volume: "10",
  };
  await upsertKlines(db, [k, k]);
  assert.deepEqual(await listKlines(db, "BTCUSDT", "1m", 0, 120_000), [k]);
  assert.equal(await latestKlineOpenTime(db, "BTCUSDT", "1m"), 60_000);
});

suite.end();

Deno.test({
  name: "[postgres] two processes migrating one database at once apply each migration once",
  ignore: skipWithoutPostgres(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { db, close } = await freshDb("postgres");
    // freshDb migrated already; start over on a new database reached by two pools.
    await db.query("DROP SCHEMA public CASCADE");
    await db.query("CREATE SCHEMA public");
    const url = (db as unknown as { url?: string }).url;
    assert.equal(url, undefined);
    const rows = await db.query<{ db: string }>("SELECT current_database() AS db");
    const u = new URL(
      Deno.env.get("AURA_TEST_DATABASE_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres",
    );
    u.pathname = `/${rows[0]!.db}`;
    const a = openPostgres(u.toString(), { max: 1 });
    const b = openPostgres(u.toString(), { max: 1 });
    try {
      const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
      assert.deepEqual([...ra, ...rb], ["0001", "0002", "0003"]);
      const n = await a.query("SELECT COUNT(*)::int AS n FROM schema_migrations");
      assert.equal(n[0]!.n, 3);
    } finally {
      await a.close();
      await b.close();
      await close();
    }
  },
});

suite.test("journaled intents are restored once, keep their journal time, and a strategy's entry watermark follows", async (db) => {
  const user = await seedUser(db);
  const strategy = await createStrategy(db, user.id, strategyInput);
  const gone = await createStrategy(db, user.id, { ...strategyInput, name: "gone" });
  const entry = (id: string, strategyId: number, candle: number) => ({
    clientOrderId: id,
    userId: user.id,
    strategyId,
    tradeId: null,
    signalId: `${strategyId}:${candle}:ENTRY`,
    kind: "ENTRY" as const,
    symbol: "BTCUSDT",
    isPaper: true,
    payload: { quoteOrderQty: "100" },
    candleCloseTime: candle,
    journaledAt: 1_700_000_000_000,
  });
  // One written by its own write-behind already, one missing, one of a deleted strategy,
  // one of a user that no longer exists.
  await recordIntent(db, entry("au-a-E", strategy.id, 1_000));
  await deleteStrategy(db, user.id, gone.id);
  const result = await restoreIntents(db, [
    entry("au-a-E", strategy.id, 1_000),
    entry("au-b-E", strategy.id, 2_000),
    entry("au-c-E", gone.id, 3_000),
    { ...entry("au-d-E", strategy.id, 4_000), userId: user.id + 99 },
  ]);
  assert.deepEqual(result.stored.sort(), ["au-a-E", "au-b-E", "au-c-E"]);
  assert.deepEqual(result.created.sort(), ["au-b-E", "au-c-E"]);
  const b = (await db.query(
    "SELECT status, (EXTRACT(EPOCH FROM created_at) * 1000)::bigint AS at FROM order_intents WHERE client_order_id = 'au-b-E'",
  ))[0]!;
  assert.equal(b.status, "PENDING");
  assert.equal(Number(b.at), 1_700_000_000_000);
  assert.equal((await getIntent(db, "au-c-E"))?.strategyId, null, "its strategy was deleted");
  assert.deepEqual(
    (await restoreIntents(db, [entry("au-b-E", strategy.id, 2_000)])).created,
    [],
    "a second copy inserts nothing",
  );
  const [context] = await loadSignalContexts(db, [
    { userId: user.id, strategyId: strategy.id, clientOrderId: "" },
  ]);
  assert.equal(context!.lastEntryCandle, 2_000);
  assert.equal(context!.pendingEntry, true, "its entries are still in doubt");
});
