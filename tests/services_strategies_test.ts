import assert from "node:assert/strict";
import { dbSuite } from "./helpers/db.ts";
import { createUser, setTradingMode } from "../db/users.ts";
import { insertOpenTrade } from "../db/trades.ts";
import { haltStrategy } from "../db/strategies.ts";
import { EventHub, type UserEvent } from "../services/events.ts";
import { StrategyService } from "../services/strategies.ts";
import { isAuraError } from "../engine/errors.ts";

const suite = dbSuite();

// A valid strategy body.
const BODY = {
  name: "  RSI dip  ",
  symbol: "BTCUSDT",
  interval: "1h",
  entryConditions: [{ left: { indicator: "RSI", period: 14 }, op: "<", right: { value: 30 } }],
  exitConditions: [{ left: { indicator: "RSI", period: 14 }, op: ">", right: { value: 70 } }],
  riskParams: {
    positionSizeUsd: 100,
    takeProfitPercent: 2,
    stopLossPercent: 1,
    maxDrawdownPercent: 20,
  },
};

suite.test("strategies move through their states and publish a strategy event per change", async (db) => {
  const user = await createUser(db, { username: "ann", email: "a@x.io", passwordHash: "h" });
  const events = new EventHub();
  const seen: UserEvent[] = [];
  events.subscribe(user.id, (e) => seen.push(e));
  const changed: number[] = [];
  const service = new StrategyService({
    db,
    events,
    engine: { onStrategyChanged: (id) => void changed.push(id) },
  });
  const created = await service.create(user.id, BODY);
  assert.equal(created.name, "RSI dip");
  assert.equal(created.state, "inactive");
  assert.deepEqual(created.figures, {
    openPosition: null,
    realizedPnl: "0",
    tradeCount: 0,
    lastBacktest: null,
  });
  const active = await service.activate(user.id, created.id);
  assert.equal(active.state, "warming_up");
  await db.query(
    "INSERT INTO strategy_runtime (strategy_id, last_candle_close_time) VALUES ($1, $2)",
    [
      created.id,
      1_700_000_000_000,
    ],
  );
  assert.equal((await service.get(user.id, created.id)).state, "waiting");
  await assert.rejects(
    service.update(user.id, created.id, BODY),
    (e) => isAuraError(e, "API_006") && /deactivate it first/.test(e.message),
  );
  await insertOpenTrade(db, {
    userId: user.id,
    strategyId: created.id,
    symbol: "BTCUSDT",
    isPaper: true,
    signalId: `${created.id}:1:ENTRY`,
    clientOrderIdEntry: "c1",
    binanceOrderIdEntry: "1",
    entryPrice: "50000.5",
    quantity: "0.002",
    entryFee: "0.1",
    entryTimestamp: new Date(1_700_000_000_000),
  });
  const inPosition = await service.get(user.id, created.id);
  assert.equal(inPosition.state, "in_position");
  assert.equal(inPosition.figures.openPosition?.entryPrice, "50000.5");
  await assert.rejects(
    service.remove(user.id, created.id),
    (e) => isAuraError(e, "API_006") && /still open/.test(e.message),
  );
  await service.deactivate(user.id, created.id);
  await assert.rejects(
    service.update(user.id, created.id, { ...BODY, symbol: "ETHUSDT" }),
    (e) => isAuraError(e, "API_006") && /still open; close it first/.test(e.message),
  );
  await db.query("DELETE FROM trades");
  await haltStrategy(db, created.id, "drawdown 21% >= 20%");
  const halted = await service.get(user.id, created.id);
  assert.equal(halted.state, "halted");
  assert.equal(halted.haltReason, "drawdown 21% >= 20%");
  await service.remove(user.id, created.id);
  await assert.rejects(service.get(user.id, created.id), (e) => isAuraError(e, "API_005"));
  assert.deepEqual(seen.map((e) => e.data.change), [
    "created",
    "activated",
    "deactivated",
    "deleted",
  ]);
  assert.deepEqual(changed, Array(4).fill(created.id));
});

suite.test("another user's strategy is reported as not found", async (db) => {
  const ann = await createUser(db, { username: "ann", email: "a@x.io", passwordHash: "h" });
  const bob = await createUser(db, { username: "bob", email: "b@x.io", passwordHash: "h" });
  const service = new StrategyService({ db, events: new EventHub() });
  const s = await service.create(ann.id, BODY);
  for (
    const call of [
      () => service.get(bob.id, s.id),
      () => service.update(bob.id, s.id, BODY),
      () => service.remove(bob.id, s.id),
      () => service.activate(bob.id, s.id),
      () => service.deactivate(bob.id, s.id),
    ]
  ) {
    await assert.rejects(call(), (e) => isAuraError(e, "API_005"));
  }
  assert.equal((await service.list(bob.id)).length, 0);
  assert.equal((await service.list(ann.id)).length, 1);
});

suite.test("live mode activation needs usable keys", async (db) => {
  const ann = await createUser(db, { username: "ann", email: "a@x.io", passwordHash: "h" });
  await setTradingMode(db, ann.id, "live");
  let ready = false;
  const service = new StrategyService({
    db,
    events: new EventHub(),
    keysReady: () => Promise.resolve(ready),
  });
  const s = await service.create(ann.id, BODY);
  await assert.rejects(
    service.activate(ann.id, s.id),
    (e) => isAuraError(e, "API_001") && /live mode/.test(e.message),
  );
  ready = true;
  assert.equal((await service.activate(ann.id, s.id)).isActive, true);
});

suite.test("invalid definitions are refused with JSON paths", async (db) => {
  const ann = await createUser(db, { username: "ann", email: "a@x.io", passwordHash: "h" });
  const service = new StrategyService({ db, events: new EventHub() });
  const bad = {
    ...BODY,
    entryConditions: [{ left: { indicator: "RSI", period: 0 }, op: "<", right: { value: 30 } }],
  };
  await assert.rejects(service.create(ann.id, bad), (e) => {
    assert.ok(isAuraError(e, "STRATEGY_001"));
    const issues = (e.details as { issues: { path: string }[] }).issues;
    assert.equal(issues[0]?.path, "entryConditions[0].left.period");
    return true;
  });
});

suite.end();
