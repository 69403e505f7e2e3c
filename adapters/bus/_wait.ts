/**
 * Polling with a deadline, for tests and benches: wait for a condition
 * instead of sleeping for a guessed time.
 *
 * @module
 */

/**
 * Resolves once `condition()` is true; rejects with `what` after `timeoutMs`.
 *
 * @example
 * ```ts
 * await waitFor(() => received.length === 3, "three deliveries");
 * ```
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
