import assert from "node:assert/strict";
import { dbSuite } from "./helpers/db.ts";
import { createUser, setTradingMode } from "../db/users.ts";
import { createStrategy } from "../db/strategies.ts";
import { closeTrade, insertOpenTrade } from "../db/trades.ts";
import { upsertKlines } from "../db/klines.ts";
import { ManualClock } from "../engine/clock.ts";
import { PaperExchange } from "../adapters/exchange/paper.ts";
import { LivePrices, PriceService } from "../services/prices.ts";
import { ModeBalances, PaperBalances, PortfolioService } from "../services/portfolio.ts";
import type { Db } from "../db/port.ts";

Deno.test("LivePrices keeps the newest observation", () => {
  const p = new LivePrices();
  p.update("BTCUSDT", "100", 2_000);
  p.update("BTCUSDT", "90", 1_000); // late, older tick
  assert.equal(p.latest("BTCUSDT"), "100");
  p.update("BTCUSDT", "101", 3_000);
  assert.equal(p.latest("BTCUSDT"), "101");
  assert.equal(p.latest("ETHUSDT"), undefined);
});

const suite = dbSuite();

async function seed(db: Db) {
  const user = await createUser(db, { username: "ann", email: "a@x.io", passwordHash: "h" });
  const s = await createStrategy(db, user.id, {
    name: "s",
    symbol: "BTCUSDT",
    interval: "1h",
    entryConditions: [],
    exitConditions: [],
    riskParams: {},
  });
  const base = {
    userId: user.id,
    strategyId: s.id,
    symbol: "BTCUSDT",
    isPaper: true,
    entryTimestamp: new Date(1_700_000_000_000),
  };
  const closed = await insertOpenTrade(db, {
    ...base,
    signalId: "1:1:ENTRY",
    clientOrderIdEntry: "a",
    binanceOrderIdEntry: "1",
    entryPrice: "30000",
    quantity: "0.01",
    entryFee: "0.3",
  });
  await closeTrade(db, closed.id, {
    status: "CLOSED_SIGNAL",
    exitPrice: "30500",
    exitTimestamp: new Date(1_700_003_600_000),
    pnl: "4.395", // 305 − 0.305 − 300 − 0.3
    exitFee: "0.305",
  });
  await insertOpenTrade(db, {
    ...base,
    signalId: "1:2:ENTRY",
    clientOrderIdEntry: "b",
    binanceOrderIdEntry: "2",
    entryPrice: "31000.1",
    quantity: "0.00333",
    entryFee: "0.10323033",
  });
  // A live trade must not move the paper account.
  await insertOpenTrade(db, {
    ...base,
    isPaper: false,
    signalId: "1:3:ENTRY",
    clientOrderIdEntry: "c",
    binanceOrderIdEntry: "3",
    entryPrice: "31000",
    quantity: "1",
    entryFee: "31",
  });
  return user.id;
}

suite.test("PaperBalances derive USDT and base holdings from paper trades exactly", async (db) => {
  const userId = await seed(db);
  const balances = await new PaperBalances(db, "1000").balances(userId);
  // 1000 + 4.395 − (31000.1 × 0.00333 + 0.10323033) = 1000 + 4.395 − 103.33356333 = 901.06143667
  assert.deepEqual(balances, { USDT: "901.06143667", BTC: "0.00333" });
});

suite.test("ModeBalances read a live user's balances from the exchange", async (db) => {
  const userId = await seed(db);
  const clock = new ManualClock(1_700_000_000_000);
  const exchange = new PaperExchange({ clock, balances: { USDT: "250.5", BTC: "0.2", ETH: "0" } });
  const provider = new ModeBalances(
    db,
    new PaperBalances(db, "1000"),
    () => Promise.resolve(exchange),
  );
  assert.equal((await provider.balances(userId)).USDT, "901.06143667"); // paper mode
  await setTradingMode(db, userId, "live");
  assert.deepEqual(await provider.balances(userId), { USDT: "250.5", BTC: "0.2" });
  await exchange.close();
});

suite.test("PriceService prefers the live source and falls back to the newest cached close", async (db) => {
  const clock = new ManualClock(1_700_000_000_000);
  const live = new LivePrices();
  const service = new PriceService({ db, clock, source: live });
  const k = (interval: string, openTime: number, close: string) => ({
    symbol: "ETHUSDT",
    interval,
    openTime,
    closeTime: openTime + 59_999,
    open: close,
    high: close,
    low: close,
    close,
    volume: "1",
  });
  await upsertKlines(db, [
    k("1h", 1_000_000, "2000"),
    k("1m", 5_000_000, "2010.5"),
    k("4h", 2_000_000, "1990"),
  ]);
  live.update("BTCUSDT", "43000", 1);
  const quotes = await service.quotes(["BTCUSDT", "ETHUSDT", "DOGEUSDT"]);
  assert.deepEqual(Object.fromEntries(quotes), {
    BTCUSDT: { price: "43000", source: "live" },
    ETHUSDT: { price: "2010.5", source: "kline" },
  });
});

suite.test("the overview reports paper value, realized, unrealized and today's P&L", async (db) => {
  const userId = await seed(db);
  const clock = new ManualClock(1_700_003_600_000 + 60_000); // same UTC day as the close
  const live = new LivePrices();
  live.update("BTCUSDT", "32000", 0);
  const service = new PortfolioService({
    db,
    clock,
    prices: new PriceService({ db, clock, source: live }),
    balances: new PaperBalances(db, "1000"),
    initialBalance: "1000",
    overviewCacheMs: 0,
  });
  const o = await service.overview(userId);
  assert.equal(o.totalValue, "1007.62143667"); // 901.06143667 + 0.00333 × 32000
  assert.equal(o.realizedPnl, "4.395");
  assert.equal(o.todayPnl, "4.395");
  // Paper (0.00333 at 31000.1) and live (1 at 31000) positions are both shown:
  // (32000 − 31000.1) × 0.00333 − 0.10323033 = 3.329667 − 0.10323033 = 3.22643667;
  // (32000 − 31000) × 1 − 31 = 969.
  assert.equal(o.unrealizedPnl, "972.22643667");
  assert.equal(o.openPositions, 2);
  clock.advance(86_400_000);
  assert.equal((await service.overview(userId)).todayPnl, "0");
});

suite.end();
