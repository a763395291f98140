/**
 * Storage against raw bun:sqlite: the same file settings (WAL, synchronous=NORMAL), the same schema
 * (the embedded migration), prepared statements, JSON.stringify/parse included on both sides.
 * The ratio is what validation, the transaction lock and the deferred-write overlay cost.
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMBEDDED_MIGRATIONS, openStorage } from "../src/kernel/storage/index.ts";
import { compare, figure, save } from "./lib.ts";

const dir = mkdtempSync(join(tmpdir(), "hearth-bench-storage-"));
try {
  const storage = await openStorage({ path: join(dir, "hearth.db"), flushIntervalMs: 3_600_000 });

  const raw = new Database(join(dir, "raw.db"), { create: true, strict: true });
  raw.run("PRAGMA busy_timeout = 5000");
  raw.run("PRAGMA journal_mode = WAL");
  raw.run("PRAGMA synchronous = NORMAL");
  raw.run("PRAGMA foreign_keys = ON");
  raw.run(EMBEDDED_MIGRATIONS[0]?.sql as string);
  const put = raw.prepare<unknown, [string, string, string, number]>(
    "INSERT INTO documents (namespace, key, value, updated_at) VALUES (?, ?, ?, ?) " +
      "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
  );
  const get = raw.prepare<{ value: string }, [string, string]>(
    "SELECT value FROM documents WHERE namespace = ? AND key = ?",
  );
  const query = raw.prepare<{ key: string; value: string }, [string, string]>(
    "SELECT key, value FROM documents WHERE namespace = ? AND json_type(value, ?) = 'true' ORDER BY key",
  );
  const rawBatch = raw.transaction((entries: { key: string; value: object }[]) => {
    const now = Date.now();
    for (const e of entries) put.run("bench", e.key, JSON.stringify(e.value), now);
  });

  const doc = (i: number) => ({
    id: `lamp-${i}`,
    state: { on: i % 2 === 0, level: i % 100 },
    area: "kitchen",
  });
  const keys = Array.from({ length: 1000 }, (_, i) => `device/${String(i).padStart(4, "0")}`);
  const batch = keys.map((key, i) => ({ key, value: doc(i) }));
  rawBatch(batch);
  await storage.batchSet("bench", batch);

  let i = 0;
  await compare("single set (autocommit, upsert of one of 1000 keys)", [
    {
      name: "raw bun:sqlite: prepared upsert + JSON.stringify",
      baseline: true,
      fn: () => {
        const n = i++ % 1000;
        put.run("bench", keys[n] as string, JSON.stringify(doc(n)), Date.now());
      },
    },
    {
      name: "storage.set",
      fn: async () => {
        const n = i++ % 1000;
        await storage.set("bench", keys[n] as string, doc(n));
      },
    },
  ]);

  await compare("batch of 1000 sets (one transaction)", [
    { name: "raw bun:sqlite: db.transaction + prepared upsert", baseline: true, fn: () => rawBatch(batch) },
    { name: "storage.batchSet", fn: async () => storage.batchSet("bench", batch) },
  ]);

  await compare("point get (one of 1000 keys)", [
    {
      name: "raw bun:sqlite: prepared select + JSON.parse",
      baseline: true,
      fn: () => JSON.parse((get.get("bench", keys[i++ % 1000] as string) as { value: string }).value),
    },
    { name: "storage.get", fn: async () => storage.get("bench", keys[i++ % 1000] as string) },
  ]);

  await compare("query where state.on = true (500 of 1000 documents)", [
    {
      name: "raw bun:sqlite: json_type/json_extract select + JSON.parse",
      baseline: true,
      fn: () => query.all("bench", "$.state.on").map((r) => JSON.parse(r.value)),
    },
    { name: "storage.query", fn: async () => storage.query("bench", { where: { "state.on": true } }) },
  ]);

  // SD-card care: 100 reports for 10 devices, written one by one or deferred and flushed once.
  await compare("100 state reports for 10 devices", [
    {
      name: "raw bun:sqlite: 100 autocommit upserts",
      baseline: true,
      fn: () => {
        for (let r = 0; r < 100; r++)
          put.run("bench", keys[r % 10] as string, JSON.stringify(doc(r)), Date.now());
      },
    },
    {
      name: "storage.set deferred ×100 + flush()",
      fn: async () => {
        for (let r = 0; r < 100; r++)
          await storage.set("bench", keys[r % 10] as string, doc(r), { deferred: true });
        await storage.flush();
      },
    },
  ]);
  const before = storage.stats();
  for (let r = 0; r < 100; r++)
    await storage.set("bench", keys[r % 10] as string, doc(r), { deferred: true });
  await storage.flush();
  const after = storage.stats();
  figure({
    name: "rows written for 100 deferred reports of 10 devices",
    value: after.writes - before.writes,
    unit: "rows",
    ratio: (after.writes - before.writes) / 100,
    note: "vs 100 rows written one by one; 1 transaction",
  });

  put.finalize();
  get.finalize();
  query.finalize();
  raw.close();
  await storage.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

save("storage");
