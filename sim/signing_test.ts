import assert from "node:assert/strict";
import { hmacSha256Hex, signedPayload, splitSignature, wsApiPayload } from "./signing.ts";

Deno.test("hmacSha256Hex() matches the example in Binance's API documentation", async () => {
  const secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
  const payload =
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
  assert.equal(
    await hmacSha256Hex(secret, payload),
    "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71",
  );
});

Deno.test("signedPayload() signs the query followed by the body, without the signature", () => {
  assert.deepEqual(signedPayload("symbol=BTCUSDT&timestamp=1&signature=ab", ""), {
    payload: "symbol=BTCUSDT&timestamp=1",
    signature: "ab",
  });
  assert.deepEqual(signedPayload("", "quantity=1&signature=cd"), {
    payload: "quantity=1",
    signature: "cd",
  });
  assert.deepEqual(splitSignature(""), { payload: "", signature: undefined });
});

Deno.test("wsApiPayload() sorts parameters by name and leaves out the signature", () => {
  assert.equal(wsApiPayload({ timestamp: 2, apiKey: "k", signature: "x" }), "apiKey=k&timestamp=2");
});
