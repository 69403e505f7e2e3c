import assert from "node:assert/strict";

async function run(env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../cli/migrate.ts", import.meta.url).pathname],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout).trim(),
    stderr: new TextDecoder().decode(out.stderr).trim(),
  };
}

Deno.test("deno task migrate applies migrations once, then reports the database up to date", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aura-migrate-" });
  try {
    const first = await run({ AURA_DATA_DIR: dir });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^Applied 0001.*0002/);
    const second = await run({ AURA_DATA_DIR: dir });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, "Database is up to date");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
