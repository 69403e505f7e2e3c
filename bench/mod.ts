/**
 * `deno task bench`: runs every bench module in this folder and prints plain
 * figure lines, `<module> <figure>: <value>`.
 *
 * A bench module is any `bench/*.ts` other than this file and `_` helpers that exports
 * `bench*()` functions returning `Record<string, number>` figures (e.g.
 * `benchIndicators`: millions of values per second; `benchBacktest`: keys name
 * their unit). Modules run one after the other so they do not compete for the CPU.
 *
 * @module
 */

type BenchFn = (budgetMs?: number) => Promise<Record<string, number>> | Record<string, number>;

/** Runs every `bench*()` export of every bench module; resolves to the number of failures. */
export async function runAllBenches(): Promise<number> {
  const dir = new URL("./", import.meta.url);
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (
      entry.isFile && entry.name.endsWith(".ts") && entry.name !== "mod.ts" &&
      !entry.name.startsWith("_") && !entry.name.endsWith("_test.ts")
    ) {
      names.push(entry.name);
    }
  }
  names.sort();

  let failures = 0;
  for (const name of names) {
    const module = await import(new URL(name, dir).href) as Record<string, unknown>;
    const benches = Object.entries(module).filter(
      (e): e is [string, BenchFn] => e[0].startsWith("bench") && typeof e[1] === "function",
    );
    for (const [fnName, fn] of benches) {
      try {
        const figures = await fn();
        for (const [figure, value] of Object.entries(figures as Record<string, unknown>)) {
          const shown = typeof value !== "number" || Number.isInteger(value)
            ? String(value)
            : value.toFixed(2);
          console.log(`${name.replace(/\.ts$/, "")} ${figure}: ${shown}`);
        }
      } catch (error) {
        failures++;
        console.error(
          `${name} ${fnName} failed: ${error instanceof Error ? error.message : error}`,
        );
      }
    }
  }
  return failures;
}

if (import.meta.main && (await runAllBenches()) > 0) Deno.exit(1);
