import assert from "node:assert/strict";
import { fixed8, fixedDecimals } from "./format.ts";

Deno.test("fixed8() prints Binance's 8-decimal strings", () => {
  assert.equal(fixed8("1.5"), "1.50000000");
  assert.equal(fixed8("60000"), "60000.00000000");
  assert.equal(fixed8("0.123456789"), "0.12345678");
  assert.equal(fixed8("-0.5"), "-0.50000000");
  assert.equal(fixed8("-0.000000001"), "0.00000000");
  assert.equal(fixedDecimals("3", 3), "3.000");
});
