import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { API_KEY, candle, SECRET, signed, waitFor, withSim } from "./_test_support.ts";

interface Client {
  socket: WebSocket;
  // deno-lint-ignore no-explicit-any
  messages: any[];
  closed: Promise<void>;
  close(): Promise<void>;
}

async function connect(url: string): Promise<Client> {
  const socket = new WebSocket(url);
  // deno-lint-ignore no-explicit-any
  const messages: any[] = [];
  const { promise: closed, resolve: onClosed } = Promise.withResolvers<void>();
  const { promise: opened, resolve: onOpen, reject } = Promise.withResolvers<void>();
  socket.onopen = () => onOpen();
  socket.onerror = () => reject(new Error(`Cannot connect to ${url}`));
  socket.onclose = () => onClosed();
  socket.onmessage = (event) => messages.push(JSON.parse(String(event.data)));
  await opened;
  return {
    socket,
    messages,
    closed,
    async close() {
      if (socket.readyState === WebSocket.OPEN) socket.close();
      await closed;
    },
  };
}

Deno.test("[sim] a kline stream receives the closed candle in Binance's exact payload", async () => {
  await withSim(async (sim) => {
    const client = await connect(`${sim.wsUrl}/ws/btcusdt@kline_1m`);
    try {
      const c = candle(0, "60000", "60100", "59900", "60050");
      sim.pushCandle("BTCUSDT", c);
      sim.pushCandle("ETHUSDT", candle(0, "3000", "3010", "2990", "3005"));
      await waitFor(() => client.messages.length >= 1, "a kline event");
      const event = client.messages[0];
      assert.equal(event.e, "kline");
      assert.equal(event.s, "BTCUSDT");
      assert.deepEqual(
        Object.keys(event.k).sort(),
        [
          "B",
          "L",
          "Q",
          "T",
          "V",
          "c",
          "f",
          "h",
          "i",
          "l",
          "n",
          "o",
          "q",
          "s",
          "t",
          "v",
          "x",
        ].sort(),
      );
      assert.deepEqual(
        {
          t: event.k.t,
          T: event.k.T,
          s: event.k.s,
          i: event.k.i,
          o: event.k.o,
          h: event.k.h,
          l: event.k.l,
        },
        {
          t: c.openTime,
          T: c.closeTime,
          s: "BTCUSDT",
          i: "1m",
          o: "60000.00000000",
          h: "60100.00000000",
          l: "59900.00000000",
        },
      );
      assert.equal(event.k.c, "60050.00000000");
      assert.equal(event.k.v, "12.50000000");
      assert.equal(event.k.x, true);
    } finally {
      await client.close();
    }
  });
});

Deno.test("[sim] SUBSCRIBE on a bare connection and combined streams both deliver klines", async () => {
  await withSim(async (sim) => {
    const bare = await connect(`${sim.wsUrl}/ws/0`);
    const combined = await connect(`${sim.wsUrl}/stream?streams=ethusdt@kline_1m/btcusdt@kline_5m`);
    try {
      bare.socket.send(
        JSON.stringify({ method: "SUBSCRIBE", params: ["ethusdt@kline_1m"], id: 7 }),
      );
      await waitFor(() => bare.messages.length >= 1, "the SUBSCRIBE answer");
      assert.deepEqual(bare.messages[0], { result: null, id: 7 });
      sim.pushCandle("ETHUSDT", candle(0, "3000", "3010", "2990", "3005"));
      await waitFor(
        () => bare.messages.length >= 2 && combined.messages.length >= 1,
        "kline events",
      );
      assert.equal(bare.messages[1].s, "ETHUSDT");
      assert.equal(combined.messages[0].stream, "ethusdt@kline_1m");
      assert.equal(combined.messages[0].data.k.c, "3005.00000000");
      bare.socket.send(JSON.stringify({ method: "LIST_SUBSCRIPTIONS", id: 8 }));
      await waitFor(() => bare.messages.length >= 3, "the LIST_SUBSCRIPTIONS answer");
      assert.deepEqual(bare.messages[2], { result: ["ethusdt@kline_1m"], id: 8 });
    } finally {
      await bare.close();
      await combined.close();
    }
  });
});

function subscribeRequest(id: string, secret = SECRET) {
  const timestamp = Date.now();
  const payload = `apiKey=${API_KEY}&timestamp=${timestamp}`;
  const signature = createHmac("sha256", secret).update(payload).digest("hex");
  return JSON.stringify({
    id,
    method: "userDataStream.subscribe.signature",
    params: { apiKey: API_KEY, timestamp, signature },
  });
}

Deno.test("[sim] the WebSocket API pushes executionReport, listStatus and outboundAccountPosition", async () => {
  await withSim(async (sim) => {
    const api = await connect(`${sim.wsUrl}/ws-api/v3`);
    try {
      api.socket.send(subscribeRequest("bad", "wrong-secret"));
      api.socket.send(subscribeRequest("sub"));
      await waitFor(() => api.messages.length >= 2, "the subscribe answers");
      assert.equal(api.messages[0].status, 400);
      assert.deepEqual(api.messages[0].error, {
        code: -1022,
        msg: "Signature for this request is not valid.",
      });
      assert.equal(api.messages[1].id, "sub");
      assert.equal(api.messages[1].status, 200);
      const subscriptionId = api.messages[1].result.subscriptionId;
      assert.equal(typeof subscriptionId, "number");

      await signed(sim, "POST", "/api/v3/order", {
        symbol: "BTCUSDT",
        side: "BUY",
        type: "MARKET",
        quantity: "0.01",
        newClientOrderId: "buy-1",
      });
      await signed(sim, "POST", "/api/v3/orderList/oco", {
        symbol: "BTCUSDT",
        side: "SELL",
        quantity: "0.01",
        aboveType: "LIMIT_MAKER",
        abovePrice: "61000",
        belowType: "STOP_LOSS_LIMIT",
        belowStopPrice: "59000",
        belowPrice: "58900",
        belowTimeInForce: "GTC",
      });
      sim.pushCandle("BTCUSDT", candle(0, "60000", "60500", "58800", "59000"));
      const events = () => api.messages.slice(2).map((m) => m.event);
      await waitFor(
        () => events().filter((e) => e.e === "listStatus").length >= 2,
        "the OCO's ALL_DONE listStatus",
      );
      for (const m of api.messages.slice(2)) assert.equal(m.subscriptionId, subscriptionId);

      const trade = events().find((e) =>
        e.e === "executionReport" && e.c === "buy-1" && e.x === "TRADE"
      );
      assert.ok(trade, "a TRADE executionReport for the market buy");
      assert.equal(trade.X, "FILLED");
      assert.equal(trade.l, "0.01000000");
      assert.equal(trade.L, "60000.00000000");
      assert.equal(trade.n, "0.60000000");
      assert.equal(trade.N, "USDT");
      assert.equal(trade.g, -1);

      const lists = events().filter((e) => e.e === "listStatus");
      assert.deepEqual(lists.map((e) => [e.l, e.L]), [["EXEC_STARTED", "EXECUTING"], [
        "ALL_DONE",
        "ALL_DONE",
      ]]);
      const expired = events().find((e) =>
        e.e === "executionReport" && e.o === "LIMIT_MAKER" && e.x === "EXPIRED"
      );
      assert.ok(expired, "the take-profit leg expired");
      const stopFill = events().find((e) =>
        e.e === "executionReport" && e.o === "STOP_LOSS_LIMIT" && e.x === "TRADE"
      );
      assert.equal(stopFill.L, "59000.00000000");

      const positions = events().filter((e) => e.e === "outboundAccountPosition");
      const last = positions[positions.length - 1];
      assert.deepEqual(last.B, [
        { a: "BTC", f: "0.00000000", l: "0.00000000" },
        // 10000 - 600 - 0.6 (buy fee) + 590 - 0.59 (sell fee)
        { a: "USDT", f: "9988.81000000", l: "0.00000000" },
      ]);
    } finally {
      await api.close();
    }
  });
});

Deno.test("[sim] dropWebSockets closes every open socket", async () => {
  await withSim(async (sim) => {
    const market = await connect(`${sim.wsUrl}/ws/btcusdt@kline_1m`);
    const api = await connect(`${sim.wsUrl}/ws-api/v3`);
    sim.faults.dropWebSockets();
    await market.closed;
    await api.closed;
    assert.equal(market.socket.readyState, WebSocket.CLOSED);
    assert.equal(api.socket.readyState, WebSocket.CLOSED);
  });
});

Deno.test("[sim] 1m pushes also close 5m candles on the 5m stream and in klines", async () => {
  await withSim(async (sim) => {
    const five = await connect(`${sim.wsUrl}/ws/btcusdt@kline_5m`);
    try {
      for (let i = 0; i < 5; i++) {
        sim.pushCandle("BTCUSDT", candle(i, "100", `${101 + i}`, "99", "100"));
      }
      await waitFor(() => five.messages.length >= 1, "the 5m kline");
      assert.equal(five.messages[0].k.i, "5m");
      assert.equal(five.messages[0].k.h, "105.00000000");
      assert.equal(five.messages[0].k.v, "62.50000000");
      assert.equal(five.messages[0].k.x, true);
      const rows = await (await fetch(`${sim.url}/api/v3/klines?symbol=BTCUSDT&interval=5m`))
        .json();
      assert.equal(rows.length, 1);
    } finally {
      await five.close();
    }
  });
});

Deno.test("[sim] a legacy listenKey stream receives raw user data events", async () => {
  await withSim(async (sim) => {
    const created = await fetch(`${sim.url}/api/v3/userDataStream`, {
      method: "POST",
      headers: { "X-MBX-APIKEY": API_KEY },
    });
    const { listenKey } = await created.json();
    assert.match(listenKey, /^[0-9a-f]{64}$/);
    const stream = await connect(`${sim.wsUrl}/ws/${listenKey}`);
    try {
      await signed(sim, "POST", "/api/v3/order", {
        symbol: "BTCUSDT",
        side: "BUY",
        type: "MARKET",
        quoteOrderQty: "20",
        newClientOrderId: "legacy-1",
      });
      await waitFor(
        () => stream.messages.some((m) => m.e === "outboundAccountPosition"),
        "the balance event",
      );
      const trade = stream.messages.find((m) => m.e === "executionReport" && m.x === "TRADE");
      assert.equal(trade.c, "legacy-1");
      const keepAlive = await fetch(`${sim.url}/api/v3/userDataStream?listenKey=${listenKey}`, {
        method: "PUT",
        headers: { "X-MBX-APIKEY": API_KEY },
      });
      assert.deepEqual(await keepAlive.json(), {});
      await (await fetch(`${sim.url}/api/v3/userDataStream?listenKey=${listenKey}`, {
        method: "DELETE",
        headers: { "X-MBX-APIKEY": API_KEY },
      })).body?.cancel();
      const gone = await fetch(`${sim.url}/api/v3/userDataStream?listenKey=${listenKey}`, {
        method: "PUT",
        headers: { "X-MBX-APIKEY": API_KEY },
      });
      assert.deepEqual(await gone.json(), { code: -1125, msg: "This listenKey does not exist." });
    } finally {
      await stream.close();
    }
  });
});

Deno.test("[sim] klineUpdates sends x:false updates before the closed kline", async () => {
  await withSim(async (sim) => {
    const client = await connect(`${sim.wsUrl}/ws/btcusdt@kline_1m`);
    try {
      sim.pushCandle("BTCUSDT", candle(0, "100", "130", "90", "120"));
      await waitFor(() => client.messages.length >= 3, "two updates and the close");
      assert.deepEqual(client.messages.map((m) => [m.k.x, m.k.c]), [
        // On the grid of the candle's own decimals (whole numbers here).
        [false, "107.00000000"],
        [false, "113.00000000"],
        [true, "120.00000000"],
      ]);
      const rows = await (await fetch(`${sim.url}/api/v3/klines?symbol=BTCUSDT&interval=1m`))
        .json();
      assert.equal(rows.length, 1, "updates are not stored");
    } finally {
      await client.close();
    }
  }, { klineUpdates: 2 });
});
