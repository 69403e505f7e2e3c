import assert from "node:assert/strict";
import {
  addDecimals,
  ceilToStep,
  compareDecimals,
  decimalPlaces,
  divideDecimals,
  floorToStep,
  floorToTick,
  isDecimalString,
  isMultipleOf,
  multiplyDecimals,
  normalizeDecimal,
  roundToTick,
  subtractDecimals,
  toDecimalString,
} from "./decimal.ts";

Deno.test("addDecimals() adds 0.1 and 0.2 to exactly 0.3", () => {
  assert.equal(addDecimals("0.1", "0.2"), "0.3");
  assert.equal(compareDecimals(addDecimals("0.1", "0.2"), "0.3"), 0);
});

Deno.test("normalizeDecimal() drops trailing zeros and reads exponents", () => {
  assert.equal(normalizeDecimal("0.00100000"), "0.001");
  assert.equal(normalizeDecimal("100.000"), "100");
  assert.equal(normalizeDecimal("1e-8"), "0.00000001");
  assert.equal(normalizeDecimal("1.5E+3"), "1500");
  assert.equal(normalizeDecimal("-0.000"), "0");
  assert.equal(normalizeDecimal(".5"), "0.5");
  assert.throws(() => normalizeDecimal("abc"), TypeError);
  assert.throws(() => normalizeDecimal("."), TypeError);
});

Deno.test("floorToStep() floors to 1e-8 steps without float error", () => {
  assert.equal(floorToStep("0.123456789", "0.00000001"), "0.12345678");
  assert.equal(floorToStep("0.00001999", "0.00001000"), "0.00001");
  assert.equal(floorToStep("0.00000999", "0.00001000"), "0");
  assert.equal(floorToStep("1.23456", "0.00100000"), "1.234");
  assert.equal(floorToStep("12.7", "0.1"), "12.7");
  assert.equal(floorToStep("7", "2"), "6");
});

Deno.test("floorToStep() treats a zero step as no step", () => {
  assert.equal(floorToStep("0.123456789", "0.00000000"), "0.123456789");
});

Deno.test("floorToStep() and ceilToStep() round negatives toward their infinities", () => {
  assert.equal(floorToStep("-1.25", "0.1"), "-1.3");
  assert.equal(ceilToStep("-1.25", "0.1"), "-1.2");
  assert.equal(ceilToStep("1.21", "0.1"), "1.3");
});

Deno.test("roundToTick() rounds half up and has floor and ceil variants", () => {
  assert.equal(roundToTick("105573.735", "0.01"), "105573.74");
  assert.equal(roundToTick("105573.734999", "0.01"), "105573.73");
  assert.equal(roundToTick("0.51235", "0.0001"), "0.5124");
  assert.equal(roundToTick("-0.5", "1"), "0");
  assert.equal(floorToTick("105573.739", "0.01000000"), "105573.73");
  assert.equal(ceilToStep("105573.731", "0.01"), "105573.74");
  assert.equal(roundToTick("2.5", "0.00"), "2.5");
});

Deno.test("arithmetic stays exact on huge values", () => {
  const huge = "123456789012345678901234567890.123456789012345678";
  assert.equal(
    addDecimals(huge, "0.000000000000000002"),
    "123456789012345678901234567890.12345678901234568",
  );
  assert.equal(subtractDecimals(huge, huge), "0");
  assert.equal(multiplyDecimals("9000000.00", "9000.00000"), "81000000000");
  assert.equal(compareDecimals(huge, "123456789012345678901234567890.1234567890123456781"), -1);
  assert.equal(floorToStep(huge, "0.00001"), "123456789012345678901234567890.12345");
});

Deno.test("multiplyDecimals() and divideDecimals() are exact and round as asked", () => {
  assert.equal(multiplyDecimals("0.00012", "105573.73"), "12.6688476");
  assert.equal(multiplyDecimals("-1.5", "2"), "-3");
  assert.equal(divideDecimals("100", "3", 4), "33.3333");
  assert.equal(divideDecimals("100", "3", 4, "ceil"), "33.3334");
  assert.equal(divideDecimals("2", "3", 2, "nearest"), "0.67");
  assert.equal(divideDecimals("1", "0.00000001", 0), "100000000");
  assert.throws(() => divideDecimals("1", "0", 2), RangeError);
});

Deno.test("compareDecimals() ignores trailing zeros and orders signs", () => {
  assert.equal(compareDecimals("1.10", "1.1"), 0);
  assert.equal(compareDecimals("-0.01", "0"), -1);
  assert.equal(compareDecimals("5.00000001", "5"), 1);
});

Deno.test("toDecimalString() turns engine floats into boundary strings", () => {
  assert.equal(toDecimalString(0.1 + 0.2, 8), "0.3");
  assert.equal(toDecimalString(1.005, 2), "1.01");
  assert.equal(toDecimalString(1e-7, 8), "0.0000001");
  assert.equal(toDecimalString(1e-9, 8), "0");
  assert.equal(toDecimalString(1e21, 2), "1000000000000000000000");
  assert.equal(toDecimalString(-2.5, 0), "-2");
  assert.equal(toDecimalString(105573.73 * 1.02, 2), "107685.2");
  assert.throws(() => toDecimalString(Number.NaN, 2), RangeError);
  assert.throws(() => toDecimalString(Infinity, 2), RangeError);
});

Deno.test("isMultipleOf(), decimalPlaces() and isDecimalString() describe values", () => {
  assert.equal(isMultipleOf("0.00123", "0.00001"), true);
  assert.equal(isMultipleOf("0.000123", "0.00001"), false);
  assert.equal(decimalPlaces("0.00100000"), 3);
  assert.equal(decimalPlaces("10"), 0);
  assert.equal(isDecimalString("1.5"), true);
  assert.equal(isDecimalString("1.5x"), false);
  assert.equal(isDecimalString(1.5), false);
});
