/**
 * Test helpers for the simulator: a Binance client signing with node:crypto
 * (independent of the simulator's Web Crypto verifier), candles and polling.
 *
 * @module
 */

import { createHmac } from "node:crypto";
import type { SimCandle } from "./market.ts";
import { startSimulator } from "./server.ts";
import type { Simulator, SimulatorOptions } from "./server.ts";

/** The API key of the test account. */
export const API_KEY = "sim-test-key";
/** The secret of the test account. */
export const SECRET = "sim-test-secret";

/** A parsed REST answer. */
export interface Answer {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
  headers: Headers;
}

/** Runs `fn` against a fresh simulator with one funded account, closing it afterwards. */
export async function withSim(
  fn: (sim: Simulator) => Promise<void>,
  opts: SimulatorOptions & { balances?: Record<string, string> } = {},
): Promise<void> {
  const sim = await startSimulator({ port: 0, ...opts });
  sim.addAccount(API_KEY, SECRET, opts.balances ?? { USDT: "10000" });
  try {
    await fn(sim);
  } finally {
    await sim.close();
  }
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (404 pages).
  }
  return { status: response.status, body, headers: response.headers };
}

/** GET a public endpoint. */
export async function publicGet(
  sim: Simulator,
  path: string,
  params: Record<string, string> = {},
): Promise<Answer> {
  const query = new URLSearchParams(params).toString();
  return answer(await fetch(`${sim.url}${path}${query ? `?${query}` : ""}`));
}

/** Options of {@link signed}. */
export interface SignOptions {
  apiKey?: string;
  secret?: string;
  timestamp?: number;
  signature?: string;
}

/** Sends a signed request the way Binance clients do (GET/DELETE in the query, POST in the body). */
export async function signed(
  sim: Simulator,
  method: string,
  path: string,
  params: Record<string, string | number> = {},
  opts: SignOptions = {},
): Promise<Answer> {
  const query = new URLSearchParams(
    Object.entries({ ...params, timestamp: opts.timestamp ?? Date.now() }).map((
      [k, v],
    ) => [k, String(v)]),
  ).toString();
  const signature = opts.signature ??
    createHmac("sha256", opts.secret ?? SECRET).update(query).digest("hex");
  const full = `${query}&signature=${signature}`;
  const headers = { "X-MBX-APIKEY": opts.apiKey ?? API_KEY };
  const response = method === "POST"
    ? await fetch(`${sim.url}${path}`, {
      method,
      headers: { ...headers, "Content-Type": "application/x-www-form-urlencoded" },
      body: full,
    })
    : await fetch(`${sim.url}${path}?${full}`, { method, headers });
  return answer(response);
}

/** A 1m candle at minute `index` of 2025-01-01 with the given prices. */
export function candle(
  index: number,
  open: string,
  high: string,
  low: string,
  close: string,
): SimCandle {
  const openTime = Date.UTC(2025, 0, 1) + index * 60_000;
  return { openTime, closeTime: openTime + 59_999, open, high, low, close, volume: "12.5" };
}

/** Polls `condition` every few ms until it holds; fails after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
