import { openPostgres } from "../db/postgres.ts";
const db = await openPostgres("postgres://postgres@127.0.0.1:5432/aura_bench_e2e");
for (const [name, q] of [["select1", "SELECT 1"], ["insert", "INSERT INTO order_intents_probe(v) VALUES ('x')"]] as const) {
  if (name === "insert") await db.query("CREATE TABLE IF NOT EXISTS order_intents_probe(id serial primary key, v text)");
  for (const idle of [0, 50]) {
    const times: number[] = [];
    for (let i = 0; i < 60; i++) {
      if (idle) await new Promise((r) => setTimeout(r, idle));
      const t0 = performance.now();
      await db.query(q);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(name, "idle", idle, "p50", times[30].toFixed(2), "p90", times[54].toFixed(2));
  }
}
await db.query("DROP TABLE order_intents_probe");
await db.close();
