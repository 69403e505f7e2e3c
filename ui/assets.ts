/**
 * The page assets, prepared once per process: the client bundle (built on
 * first use) and the stylesheet, each with a content hash in its URL so
 * browsers may cache them for a year.
 *
 * @module
 */
import { buildClient, type Bundle } from "./bundler.ts";

/** The stylesheet, hashed. */
export interface Stylesheet {
  /** URL with the content hash, e.g. `/static/app-1a2b3c4d.css`. */
  url: string;
  /** CSS text. */
  contents: Uint8Array;
}

let bundlePromise: Promise<Bundle> | null = null;
let cssPromise: Promise<Stylesheet> | null = null;

/** The client bundle; built on the first call, then shared (a failed build is retried). */
export function clientBundle(): Promise<Bundle> {
  if (!bundlePromise) {
    bundlePromise = buildClient();
    bundlePromise.catch(() => bundlePromise = null);
  }
  return bundlePromise;
}

/** Short hex SHA-256 of `bytes`. */
export async function contentHash(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return Array.from(digest.slice(0, 5), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** static/app.css with its hashed URL. */
export function stylesheet(): Promise<Stylesheet> {
  if (!cssPromise) {
    cssPromise = (async () => {
      const contents = await Deno.readFile(new URL("../static/app.css", import.meta.url));
      return { url: `/static/app-${await contentHash(contents)}.css`, contents };
    })();
    cssPromise.catch(() => cssPromise = null);
  }
  return cssPromise;
}
