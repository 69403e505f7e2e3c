/**
 * Crash safety: an engine child process (tests/fixtures/crash_engine.ts) is
 * SIGKILLed at each step of an entry — after the signal, after the entry
 * was sent (before its answer), after the answer (before the DB write),
 * after the entry was recorded (before the OCO) and after the OCO was sent —
 * then restarted with the same signal (the bus redelivers what was not
 * acknowledged). Afterwards: no order was sent twice, every position on the
 * exchange is protected by an OCO or flat, and the trade rows match the
 * exchange. Each step is killed twice: on the slow way (the entry's intent
 * recorded in the database before sending) and on the fast way (the strategy
 * traded before, so the entry gate knows it: the intent is journaled locally,
 * sent, and written to the database after), where the restart first copies
 * the journal into the database. The exit path is killed after its OCO was
 * cancelled and before the sell. Real Postgres (one database per step) and
 * the simulator.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { openPostgres } from "../db/postgres.ts";
import { toTrade, type TradeRecord } from "../db/trades.ts";
import { tradeClientIds } from "../engine/orders/client_ids.ts";
import { compareDecimals } from "../engine/orders/decimal.ts";
import { generateMasterKeys, SecretBox } from "../services/secrets.ts";
import { startSimulator } from "../sim/server.ts";
import { createPostgresDatabase } from "./helpers/db.ts";
import { skipWithoutPostgres } from "./helpers/services.ts";
import {
  seedUser,
  signalOf,
  SIM_KEY,
  SIM_SECRET,
  tempJournalPath,
  waitFor,
} from "./fixtures/execution_rig.ts";

const FIXTURE = new URL("./fixtures/crash_engine.ts", import.meta.url).pathname;
const STEPS = ["signal_received", "entry_sent", "entry_acked", "entry_recorded", "oco_sent"];
const T0 = Date.UTC(2026, 0, 1);

interface SimOrder {
  clientOrderId: string;
  side: string;
  type: string;
  status: string;
  executedQty: string;
  orderListId: number;
}

async function runEngine(env: Record<string, string>) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", FIXTURE],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    signal: output.signal,
    log: new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr),
  };
}

const CASES = [false, true].flatMap((fast) => [
  ...STEPS.map((step) => ({ step, inFlight: false, fast })),
  // Killed while the entry request waits in the (slowed) simulator: it executes after the crash.
  { step: "entry_sent", inFlight: true, fast },
]);

for (const { step, inFlight, fast } of CASES) {
  Deno.test({
    name: `a SIGKILL at "${step}"${inFlight ? " with the entry in flight" : ""}${
      fast ? " (journaled fast way)" : ""
    } and a restart leave no duplicate order and every position protected`,
    ignore: skipWithoutPostgres(),
    async fn() {
      const database = await createPostgresDatabase();
      const sim = await startSimulator({
        startPrices: { BTCUSDT: "50000" },
        commissionAsset: "base",
      });
      sim.addAccount(SIM_KEY, SIM_SECRET, { USDT: "10000" });
      const db = openPostgres(database.url, { max: 2 });
      try {
        await migrate(db);
        const master = generateMasterKeys();
        const ids = await seedUser(db, { live: new SecretBox(master) });
        const signal = signalOf(ids, "ENTRY", T0);
        // The fast way: an earlier trade of the strategy, entered and exited, primes the gate.
        const warm = [signalOf(ids, "ENTRY", T0 - 120_000), signalOf(ids, "EXIT", T0 - 60_000)];
        const journalPath = await tempJournalPath();
        const env = {
          DATABASE_URL: database.url,
          SIM_URL: sim.url,
          MASTER_KEY: btoa(String.fromCharCode(...master.keys.get("k1")!)),
          SIGNAL: JSON.stringify(signal),
          JOURNAL_PATH: journalPath,
          NO_COLOR: "1",
          ...(inFlight ? { CRASH_DELAY_MS: "300" } : {}),
          ...(fast ? { WARM_SIGNALS: JSON.stringify(warm) } : {}),
          ...(fast && inFlight ? { PAUSE_AFTER_WARM_MS: "1000" } : {}),
        };
        const client = tradeClientIds(signal.id);
        const warmExit = tradeClientIds(warm[1]!.id).exit;
        const slowed = !inFlight ? Promise.resolve() : fast
          // Slowed once the warm-up trade is closed, for the signal under test only.
          ? waitFor(
            () =>
              (sim.orders(SIM_KEY) as SimOrder[]).find((o) =>
                o.clientOrderId === warmExit && o.status === "FILLED"
              ),
            "the warm-up exit",
          ).then(() => void (sim.faults.latencyMs = 1_500))
          : Promise.resolve(void (sim.faults.latencyMs = 1_500));

        const crashed = await runEngine({ ...env, CRASH_AT: step });
        await slowed;
        if (inFlight) {
          // The entry reached the simulator and executes while the engine is dead.
          await waitFor(
            () =>
              (sim.orders(SIM_KEY) as SimOrder[]).find((o) =>
                o.clientOrderId === client.entry && o.status === "FILLED"
              ),
            "the in-flight entry to execute",
          );
          sim.faults.latencyMs = 0;
        }
        assert.equal(
          crashed.signal,
          "SIGKILL",
          `engine was not killed at ${step}:\n${crashed.log}`,
        );
        const journal = await Deno.readTextFile(journalPath);
        assert.equal(
          journal.includes(client.entry),
          fast && step !== "signal_received",
          fast ? "the fast way journals the entry before sending" : "the slow way journals nothing",
        );
        const restarted = await runEngine(env);
        assert.equal(restarted.code, 0, `restart failed:\n${restarted.log}`);

        const orders = (sim.orders(SIM_KEY) as SimOrder[]).filter((o) =>
          Object.values(client).some((id) => o.clientOrderId.startsWith(id))
        );
        const entryPosts = sim.requestLog.filter((r) =>
          r.method === "POST" && r.clientOrderId === client.entry
        );
        assert.ok(entryPosts.length <= 1, `entry sent ${entryPosts.length} times`);
        const buys = orders.filter((o) => o.side === "BUY");
        assert.ok(buys.length <= 1, `${buys.length} buys on the exchange`);
        const executingLists = new Set(
          orders.filter((o) => o.orderListId !== -1 && o.status === "NEW").map((o) =>
            o.orderListId
          ),
        );
        assert.ok(executingLists.size <= 1, `${executingLists.size} OCOs working`);

        const trades = (await db.query("SELECT * FROM trades WHERE signal_id = $1 ORDER BY id", [
          signal.id,
        ])).map(toTrade);
        const pending = await db.query("SELECT * FROM order_intents WHERE status = 'PENDING'");
        assert.equal(pending.length, 0, "an intent is still PENDING");
        const filledBuy = buys.find((o) => o.status === "FILLED");
        if (step !== "entry_sent" || inFlight) {
          // Only a kill right after dispatch may leave the exchange without the entry.
          assert.ok(filledBuy, "the entry is missing on the exchange");
          assert.equal(trades[0]?.status, "OPEN", "the recovered trade is not open and protected");
        }
        if (!filledBuy) {
          assert.equal(trades.length, 0, "a trade row without an entry on the exchange");
          return;
        }
        assert.equal(trades.length, 1, "the filled entry has no trade row");
        const trade = trades[0] as TradeRecord;
        assert.equal(trade.clientOrderIdEntry, client.entry);
        assert.equal(compareDecimals(trade.quantity, filledBuy.executedQty), 0);
        if (trade.status === "OPEN") {
          // Protected: its OCO is the one working on the exchange.
          const legs = orders.filter((o) =>
            o.status === "NEW" && (o.clientOrderId.startsWith(client.takeProfit) ||
              o.clientOrderId.startsWith(client.stopLoss))
          );
          assert.equal(
            legs.length,
            2,
            `the open trade is not protected by an OCO:\n${restarted.log}`,
          );
          assert.ok(trade.ocoListClientOrderId?.startsWith(client.ocoList));
        } else {
          // Flattened: a filled sell closed it and nothing works any more.
          assert.ok(orders.some((o) => o.side === "SELL" && o.status === "FILLED"));
          assert.equal(executingLists.size, 0);
        }
      } finally {
        await db.close();
        await sim.close();
        await database.drop();
      }
    },
  });
}

Deno.test({
  name: 'a SIGKILL at "exit_cancelled" (OCO cancelled, sell not sent) resumes the exit on restart',
  ignore: skipWithoutPostgres(),
  async fn() {
    const database = await createPostgresDatabase();
    const sim = await startSimulator({ startPrices: { BTCUSDT: "50000" } });
    sim.addAccount(SIM_KEY, SIM_SECRET, { USDT: "10000" });
    const db = openPostgres(database.url, { max: 2 });
    try {
      await migrate(db);
      const master = generateMasterKeys();
      const ids = await seedUser(db, { live: new SecretBox(master) });
      const entry = signalOf(ids, "ENTRY", T0);
      const exit = signalOf(ids, "EXIT", T0 + 60_000);
      const env = {
        DATABASE_URL: database.url,
        SIM_URL: sim.url,
        MASTER_KEY: btoa(String.fromCharCode(...master.keys.get("k1")!)),
        JOURNAL_PATH: await tempJournalPath(),
        NO_COLOR: "1",
      };
      const opened = await runEngine({ ...env, SIGNAL: JSON.stringify(entry) });
      assert.equal(opened.code, 0, opened.log);
      const crashed = await runEngine({
        ...env,
        SIGNAL: JSON.stringify(exit),
        CRASH_AT: "exit_cancelled",
      });
      assert.equal(crashed.signal, "SIGKILL", `engine was not killed:\n${crashed.log}`);
      const restarted = await runEngine({ ...env, SIGNAL: JSON.stringify(exit) });
      assert.equal(restarted.code, 0, restarted.log);

      const orders = sim.orders(SIM_KEY) as SimOrder[];
      const sells = orders.filter((o) => o.side === "SELL" && o.type === "MARKET");
      assert.equal(sells.length, 1, `${sells.length} market sells`);
      assert.equal(sells[0]!.clientOrderId, tradeClientIds(exit.id).exit);
      assert.equal(orders.filter((o) => o.status === "NEW").length, 0, "an order still works");
      const [trade] = (await db.query("SELECT * FROM trades")).map(toTrade);
      assert.equal(trade!.status, "CLOSED_SIGNAL", restarted.log);
      const ocoIntents = await db.query("SELECT 1 FROM order_intents WHERE kind = 'OCO'");
      assert.equal(ocoIntents.length, 1, "the position was re-protected instead of exited");
    } finally {
      await db.close();
      await sim.close();
      await database.drop();
    }
  },
});
