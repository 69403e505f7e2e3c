/**
 * Hooks shared by islands.
 *
 * @module
 */
import { useEffect, useState } from "preact/hooks";

/**
 * False during the server render and until the island has hydrated, then
 * true. Forms render their submit buttons disabled until then, so a click
 * before the JavaScript arrives cannot submit natively (which would put a
 * password in the URL).
 */
export function useHydrated(): boolean {
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return hydrated;
}
