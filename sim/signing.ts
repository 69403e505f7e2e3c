/**
 * Binance's request signing: HMAC-SHA256 (hex) over the exact bytes of the
 * query string followed by the request body, with the `signature` parameter
 * itself left out. Keys are imported once per secret (Web Crypto import is
 * the expensive part of a verification).
 *
 * @module
 */

const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      encoder.encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    keyCache.set(secret, key);
  }
  return key;
}

function toHex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Hex HMAC-SHA256 of `payload` with `secret`, as Binance clients compute it.
 *
 * @example
 * ```ts
 * await hmacSha256Hex("secret", "symbol=BTCUSDT&timestamp=1"); // "5f0f…"
 * ```
 */
export async function hmacSha256Hex(secret: string, payload: string): Promise<string> {
  const signature = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(secret),
    encoder.encode(payload),
  );
  return toHex(signature);
}

/** A raw parameter string split into the signed part and the signature it carries. */
export interface SignedPart {
  /** The raw text with the `signature=` parameter removed. */
  payload: string;
  /** The signature found in this part, if any. */
  signature: string | undefined;
}

/** Removes the `signature=` parameter from a raw `a=1&b=2` string, keeping every other byte. */
export function splitSignature(raw: string): SignedPart {
  if (raw === "") return { payload: "", signature: undefined };
  let signature: string | undefined;
  const kept: string[] = [];
  for (const part of raw.split("&")) {
    if (part.startsWith("signature=")) signature = decodeURIComponent(part.slice(10));
    else kept.push(part);
  }
  return { payload: kept.join("&"), signature };
}

/**
 * The string Binance signs for a REST request: the query string (without
 * `?`) concatenated with the body, both with `signature` removed.
 */
export function signedPayload(rawQuery: string, rawBody: string): SignedPart {
  const query = splitSignature(rawQuery);
  const body = splitSignature(rawBody);
  return { payload: query.payload + body.payload, signature: query.signature ?? body.signature };
}

/** Constant-time comparison of two hex signatures (lowercased). */
export function signaturesEqual(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x.charCodeAt(i) ^ y.charCodeAt(i);
  return diff === 0;
}

/**
 * The payload the WebSocket API signs: every parameter except `signature`,
 * sorted by name, as `key=value` joined with `&`.
 */
export function wsApiPayload(params: Record<string, unknown>): string {
  return Object.keys(params)
    .filter((key) => key !== "signature")
    .sort()
    .map((key) => `${key}=${String(params[key])}`)
    .join("&");
}
