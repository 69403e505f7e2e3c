import assert from "node:assert/strict";
import {
  dateOnly,
  dateTime,
  money,
  percent,
  price,
  signedMoney,
  statusLabel,
  tone,
} from "./format.ts";

Deno.test("money() formats decimal strings with two decimals and a dash for nothing", () => {
  assert.equal(money("1234.5"), "1,234.50");
  assert.equal(money(0), "0.00");
  assert.equal(money(null), "—");
  assert.equal(money("not a number"), "—");
  assert.equal(money("0.50755", 4), "0.5076");
});

Deno.test("signedMoney() shows the sign of gains and losses", () => {
  assert.equal(signedMoney("6.9952"), "+7.00");
  assert.equal(signedMoney("-4.2449"), "−4.24");
  assert.equal(signedMoney("0"), "0.00");
  assert.equal(signedMoney(undefined), "—");
});

Deno.test("price() keeps precision that matters for the price's size", () => {
  assert.equal(price("63860"), "63,860");
  assert.equal(price("2.51234567"), "2.5123");
  assert.equal(price("0.00012345"), "0.00012345");
  assert.equal(price(null), "—");
});

Deno.test("percent(), tone() and statusLabel() read as a trader expects", () => {
  assert.equal(percent(12.345), "12.35%");
  assert.equal(percent(Number.NaN), "—");
  assert.equal(tone("-0.01"), "neg");
  assert.equal(tone(3), "pos");
  assert.equal(tone(null), "flat");
  assert.equal(statusLabel("CLOSED_SL"), "Stop-loss");
  assert.equal(statusLabel("SOMETHING_NEW"), "SOMETHING_NEW");
});

Deno.test("dateTime() and dateOnly() show UTC from ms, ISO strings and Dates", () => {
  const t = Date.UTC(2022, 0, 31, 23, 5);
  assert.equal(dateTime(t), "2022-01-31 23:05");
  assert.equal(dateTime(new Date(t).toISOString()), "2022-01-31 23:05");
  assert.equal(dateOnly(new Date(t)), "2022-01-31");
  assert.equal(dateTime("garbage"), "—");
});
