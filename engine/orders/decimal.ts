/**
 * Exact arithmetic on decimal strings, built on BigInt scaled integers.
 *
 * Money crosses AURA's boundaries as decimal strings (`"0.00012000"`), and the
 * exchange rejects a quantity one step off, so rounding to a tick or a step must
 * never go through a float. Every function takes and returns plain decimal
 * strings; results are canonical (no exponent, no trailing zeros, `"0"` for
 * zero). Only {@link toDecimalString} accepts a float: it is the one door from
 * the engine's numeric maths (indicators, percentages) to the boundary.
 *
 * @module
 */

/** A decimal as an integer number of `10^-scale` units. */
interface Scaled {
  units: bigint;
  scale: number;
}

const DECIMAL_PATTERN = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** How a value is brought onto a grid of ticks or steps. */
export type RoundingMode = "floor" | "ceil" | "nearest";

function parse(value: string): Scaled {
  const match = DECIMAL_PATTERN.exec(value.trim());
  const whole = match?.[2] ?? "";
  const fraction = match?.[3] ?? "";
  if (!match || (whole === "" && fraction === "")) {
    throw new TypeError(`Cannot parse decimal "${value}": not a decimal number`);
  }
  const exponent = Number(match[4] ?? "0");
  let units = BigInt(whole + fraction || "0");
  let scale = fraction.length - exponent;
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units: match[1] === "-" ? -units : units, scale };
}

function rescale(value: Scaled, scale: number): bigint {
  return value.units * 10n ** BigInt(scale - value.scale);
}

function format({ units, scale }: Scaled): string {
  const negative = units < 0n;
  let digits = (negative ? -units : units).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, "0");
    const whole = digits.slice(0, digits.length - scale);
    const fraction = digits.slice(digits.length - scale).replace(/0+$/, "");
    digits = fraction === "" ? whole : `${whole}.${fraction}`;
  }
  return negative && digits !== "0" ? `-${digits}` : digits;
}

/** Integer division rounding toward negative infinity (BigInt `/` truncates). */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n) && ((a < 0n) !== (b < 0n)) ? q - 1n : q;
}

function divideRounded(a: bigint, b: bigint, mode: RoundingMode): bigint {
  if (mode === "floor") return floorDiv(a, b);
  if (mode === "ceil") return -floorDiv(-a, b);
  // Half-up toward +infinity: floor(a/b + 1/2) = floor((2a + b) / 2b).
  return b > 0n ? floorDiv(2n * a + b, 2n * b) : floorDiv(-2n * a - b, -2n * b);
}

/** Parses and re-prints `value` canonically: `"1.2300"` → `"1.23"`, `"1e-8"` → `"0.00000001"`. */
export function normalizeDecimal(value: string): string {
  return format(parse(value));
}

/** True when `value` is a finite decimal string this module can parse. */
export function isDecimalString(value: unknown): value is string {
  return typeof value === "string" && DECIMAL_PATTERN.test(value.trim()) && /\d/.test(value);
}

/** Compares two decimals: -1 when `a < b`, 0 when equal, 1 when `a > b`. */
export function compareDecimals(a: string, b: string): -1 | 0 | 1 {
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.scale, y.scale);
  const diff = rescale(x, scale) - rescale(y, scale);
  return diff < 0n ? -1 : diff > 0n ? 1 : 0;
}

/** `a + b`, exactly. */
export function addDecimals(a: string, b: string): string {
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.scale, y.scale);
  return format({ units: rescale(x, scale) + rescale(y, scale), scale });
}

/** `a - b`, exactly. */
export function subtractDecimals(a: string, b: string): string {
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.scale, y.scale);
  return format({ units: rescale(x, scale) - rescale(y, scale), scale });
}

/** `a × b`, exactly (the result has as many decimals as both inputs together). */
export function multiplyDecimals(a: string, b: string): string {
  const x = parse(a);
  const y = parse(b);
  return format({ units: x.units * y.units, scale: x.scale + y.scale });
}

/**
 * `a ÷ b` with `decimals` digits after the point, rounded with `mode`
 * (default floor, the safe side for quantities).
 *
 * @example
 * ```ts
 * divideDecimals("100", "3", 4); // "33.3333"
 * ```
 */
export function divideDecimals(
  a: string,
  b: string,
  decimals: number,
  mode: RoundingMode = "floor",
): string {
  const x = parse(a);
  const y = parse(b);
  if (y.units === 0n) throw new RangeError(`Cannot divide "${a}" by zero`);
  // a/b = (xu / 10^xs) / (yu / 10^ys); scaled to 10^decimals units:
  // xu * 10^(ys + decimals) / (yu * 10^xs).
  const numerator = x.units * 10n ** BigInt(y.scale + decimals);
  const denominator = y.units * 10n ** BigInt(x.scale);
  return format({ units: divideRounded(numerator, denominator, mode), scale: decimals });
}

/** Brings `value` onto the grid of multiples of `increment` with `mode`. */
export function roundToIncrement(value: string, increment: string, mode: RoundingMode): string {
  const x = parse(value);
  const step = parse(increment);
  if (step.units <= 0n) {
    throw new RangeError(`Cannot round "${value}" to increment "${increment}": not positive`);
  }
  const scale = Math.max(x.scale, step.scale);
  const stepUnits = rescale(step, scale);
  const count = divideRounded(rescale(x, scale), stepUnits, mode);
  return format({ units: count * stepUnits, scale });
}

/**
 * Floors `value` to a multiple of `step` (LOT_SIZE quantities: never sell more
 * than you hold). A step of `"0"` means "no step" (Binance's MARKET_LOT_SIZE)
 * and returns the value unchanged.
 */
export function floorToStep(value: string, step: string): string {
  if (compareDecimals(step, "0") === 0) return normalizeDecimal(value);
  return roundToIncrement(value, step, "floor");
}

/** Ceils `value` to a multiple of `step` (`"0"` means no step). */
export function ceilToStep(value: string, step: string): string {
  if (compareDecimals(step, "0") === 0) return normalizeDecimal(value);
  return roundToIncrement(value, step, "ceil");
}

/** Rounds `price` to the nearest multiple of `tick` (half up; `"0"` means no tick). */
export function roundToTick(price: string, tick: string): string {
  if (compareDecimals(tick, "0") === 0) return normalizeDecimal(price);
  return roundToIncrement(price, tick, "nearest");
}

/** Floors `price` to a multiple of `tick` (`"0"` means no tick). */
export function floorToTick(price: string, tick: string): string {
  return floorToStep(price, tick);
}

/** Ceils `price` to a multiple of `tick` (`"0"` means no tick). */
export function ceilToTick(price: string, tick: string): string {
  return ceilToStep(price, tick);
}

/** True when `value` is an exact multiple of `increment` (`"0"` accepts anything). */
export function isMultipleOf(value: string, increment: string): boolean {
  if (compareDecimals(increment, "0") === 0) return true;
  return compareDecimals(roundToIncrement(value, increment, "floor"), value) === 0;
}

/** Number of digits after the point of a canonical step, e.g. `"0.00100000"` → 3. */
export function decimalPlaces(value: string): number {
  return Math.max(0, parse(normalizeDecimal(value)).scale);
}

/**
 * Turns an engine float into a boundary decimal string with at most
 * `maxDecimals` digits, rounding half up. It rounds the float's shortest
 * round-trip representation, so `0.1 + 0.2` becomes `"0.3"` and `1.005`
 * becomes `"1.01"` (not the `"1.00"` that `toFixed` gives).
 *
 * @example
 * ```ts
 * toDecimalString(0.1 + 0.2, 8); // "0.3"
 * toDecimalString(1e21, 2); // "1000000000000000000000"
 * ```
 */
export function toDecimalString(value: number, maxDecimals: number): string {
  if (!Number.isFinite(value)) {
    throw new RangeError(`Cannot turn ${value} into a decimal string: not a finite number`);
  }
  if (!Number.isInteger(maxDecimals) || maxDecimals < 0) {
    throw new RangeError(`Cannot use ${maxDecimals} decimals: not a non-negative integer`);
  }
  const x = parse(String(value));
  if (x.scale <= maxDecimals) return format(x);
  const units = divideRounded(x.units, 10n ** BigInt(x.scale - maxDecimals), "nearest");
  return format({ units, scale: maxDecimals });
}
