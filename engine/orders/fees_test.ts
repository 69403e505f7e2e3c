import assert from "node:assert/strict";
import { commissionIn, feeFor, netBaseQuantity } from "./fees.ts";

Deno.test("feeFor() charges 0.1 % by default, exactly", () => {
  assert.equal(feeFor("99.5"), "0.0995");
  assert.equal(feeFor("1000", "0.00075"), "0.75");
});

Deno.test("netBaseQuantity() subtracts only base-asset commissions", () => {
  const fills = [
    { commission: "0.000001", commissionAsset: "BTC" },
    { commission: "0.000001", commissionAsset: "BTC" },
    { commission: "0.01", commissionAsset: "BNB" },
  ];
  assert.equal(commissionIn(fills, "BTC"), "0.000002");
  assert.equal(netBaseQuantity("0.002", fills, "BTC"), "0.001998");
  assert.equal(netBaseQuantity("0.002", [], "BTC"), "0.002");
});
