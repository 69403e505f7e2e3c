/**
 * The paper exchange replaying real Binance BTCUSDT 1m candles: every OCO it
 * closes must close on the candle and at the price the shared fill model
 * gives, and the USDT balance must equal an independent float ledger of the
 * same trades. Skipped when ../shared/data/klines is absent.
 */
import assert from "node:assert/strict";
import { PaperExchange } from "../adapters/exchange/paper.ts";
import { ManualClock } from "../engine/clock.ts";
import { checkProtectiveExit } from "../engine/fills.ts";
import { tradeClientIds } from "../engine/orders/client_ids.ts";
import { planOco } from "../engine/orders/plan.ts";
import type { OrderEvent } from "../engine/ports/exchange.ts";

const DATA = new URL(
  "../../shared/data/klines/BTCUSDT-1m-2025-05-20_2025-08-17.csv",
  import.meta.url,
);
const CANDLES = 20_000;

async function readCandles(): Promise<string[][] | undefined> {
  try {
    const text = await Deno.readTextFile(DATA);
    return text.trim().split("\n").slice(1, CANDLES + 1).map((line) => line.split(","));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

const rows = await readCandles();

Deno.test({
  name: "[paper] replaying 20,000 real BTCUSDT 1m candles closes every OCO as the fill model says",
  ignore: rows === undefined,
  fn: async () => {
    const clock = new ManualClock(Number(rows![0]![0]));
    const paper = new PaperExchange({ clock, prices: { BTCUSDT: rows![0]![4]! } });
    const rules = await paper.getSymbolRules("BTCUSDT");
    const events: OrderEvent[] = [];
    paper.subscribeOrderEvents((event) => events.push(event));
    let ledger = 10_000;
    let open: { tp: number; sl: number; quantity: number; listId: string } | undefined;
    let trades = 0;
    for (let i = 0; i < rows!.length; i++) {
      const [openTime, o, h, l, c, , closeTime] = rows![i]!;
      clock.set(Number(closeTime));
      const before = events.length;
      paper.onCandle("BTCUSDT", { open: o!, high: h!, low: l!, close: c! });
      const fired = events.slice(before).filter((e) => e.type === "oco_leg_filled");
      if (open) {
        const expected = checkProtectiveExit(
          { open: Number(o), high: Number(h), low: Number(l) },
          open.tp,
          open.sl,
        );
        assert.equal(fired.length, expected ? 1 : 0, `candle ${openTime}`);
        if (expected) {
          const leg = fired[0]!;
          if (leg.type !== "oco_leg_filled") throw new Error("unreachable");
          assert.equal(leg.leg, expected.status === "CLOSED_TP" ? "TAKE_PROFIT" : "STOP_LOSS");
          assert.equal(Number(leg.price), expected.price);
          assert.equal(leg.listClientOrderId, open.listId);
          const proceeds = open.quantity * expected.price;
          ledger += proceeds - proceeds * 0.001;
          open = undefined;
          trades++;
        }
        continue;
      }
      const ids = tradeClientIds(`replay-${i}`);
      const entry = await paper.marketBuyQuote({
        symbol: "BTCUSDT",
        quoteOrderQty: "100",
        clientOrderId: ids.entry,
      });
      ledger -= Number(entry.cummulativeQuoteQty) * 1.001;
      const plan = planOco({
        rules,
        executedQty: entry.executedQty,
        commission: entry.commission,
        commissionAsset: entry.commissionAsset,
        entryPrice: entry.avgPrice,
        lastPrice: c!,
        takeProfitPercent: 0.3,
        stopLossPercent: 0.3,
      });
      if (plan.action !== "PLACE_OCO") throw new Error(`unexpected ${plan.action}`);
      await paper.placeOco({
        symbol: "BTCUSDT",
        ...plan,
        listClientOrderId: ids.ocoList,
        aboveClientOrderId: ids.takeProfit,
        belowClientOrderId: ids.stopLoss,
      });
      open = {
        tp: Number(plan.takeProfitPrice),
        sl: Number(plan.stopPrice),
        quantity: Number(plan.quantity),
        listId: ids.ocoList,
      };
    }
    assert.ok(trades > 100, `only ${trades} trades closed`);
    const balances = await paper.getBalances();
    assert.ok(
      Math.abs(Number(balances.USDT!.free) - ledger) < 1e-6,
      `${balances.USDT!.free} vs ${ledger}`,
    );
  },
});
