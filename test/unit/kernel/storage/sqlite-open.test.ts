import { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMBEDDED_MIGRATIONS, type Migration, openStorage } from "../../../../src/kernel/storage/index.ts";
import { captureLog } from "../../../helpers/log.ts";
import { rejectsWith } from "./contract/harness.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hearth-storage-open-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

// A migration runs on the storage's own connection, so it can record the connection's settings.
const probe: Migration = {
  version: 2,
  name: "probe",
  sql: `CREATE TABLE probe AS SELECT
    (SELECT synchronous FROM pragma_synchronous) AS synchronous,
    (SELECT foreign_keys FROM pragma_foreign_keys) AS foreign_keys,
    (SELECT timeout FROM pragma_busy_timeout) AS busy_timeout,
    (SELECT journal_mode FROM pragma_journal_mode) AS journal_mode;`,
};

function readProbe(path: string): Record<string, unknown> {
  const db = new Database(path, { readonly: true });
  try {
    return db.query("SELECT * FROM probe").get() as Record<string, unknown>;
  } finally {
    db.close();
  }
}

describe("opening a SQLite storage", () => {
  it("creates the file and its folder, at the newest embedded schema version", async () => {
    const path = join(dir, "nested", "deeper", "hearth.db");
    const storage = await openStorage({ path });
    expect(existsSync(path)).toBe(true);
    expect(storage.stats().schemaVersion).toBe(EMBEDDED_MIGRATIONS.at(-1)?.version as number);
    await storage.close();
  });

  it("uses WAL, synchronous=NORMAL, foreign keys and a busy timeout", async () => {
    const path = join(dir, "h.db");
    const storage = await openStorage({ path, migrations: [...EMBEDDED_MIGRATIONS, probe] });
    await storage.close();
    expect(readProbe(path)).toEqual({
      synchronous: 1,
      foreign_keys: 1,
      busy_timeout: 5000,
      journal_mode: "wal",
    });
  });

  it("uses synchronous=FULL when asked to be durable", async () => {
    const path = join(dir, "h.db");
    const storage = await openStorage({ path, durable: true, migrations: [...EMBEDDED_MIGRATIONS, probe] });
    await storage.close();
    expect(readProbe(path).synchronous).toBe(2);
  });

  it("keeps documents across close and reopen", async () => {
    const path = join(dir, "h.db");
    const first = await openStorage({ path });
    await first.set("config", "site", { name: "Home" });
    await first.batchSet("rules", { a: { on: true }, b: { on: false } });
    await first.close();
    const second = await openStorage({ path });
    expect(await second.get("config", "site")).toEqual({ name: "Home" });
    expect(await second.namespaces()).toEqual([
      { namespace: "config", keys: 1 },
      { namespace: "rules", keys: 2 },
    ]);
    await second.close();
  });

  it("writes deferred data on close, so a reopened storage has it", async () => {
    const path = join(dir, "h.db");
    const first = await openStorage({ path, flushIntervalMs: 600_000 });
    for (let i = 0; i < 20; i++) await first.set("dev", "lamp", { level: i }, { deferred: true });
    await first.close();
    const second = await openStorage({ path });
    expect(await second.get("dev", "lamp")).toEqual({ level: 19 });
    await second.close();
  });

  it("checkpoints the write-ahead log on close, leaving one self-contained file", async () => {
    const path = join(dir, "h.db");
    const storage = await openStorage({ path });
    await storage.set("ns", "k", { v: 1 });
    expect(existsSync(`${path}-wal`)).toBe(true);
    await storage.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    const raw = new Database(path, { readonly: true });
    expect(raw.query("SELECT value FROM documents WHERE namespace = 'ns'").get()).toEqual({
      value: '{"v":1}',
    });
    raw.close();
  });

  it("logs the opening under the storage component", async () => {
    const log = captureLog("info");
    const storage = await openStorage({ path: join(dir, "h.db"), logger: log.logger });
    await storage.close();
    expect(log.lines).toContainEqual(
      expect.objectContaining({ component: "storage", msg: "storage: opened" }),
    );
  });

  it("refuses options that make no sense", async () => {
    await rejectsWith(openStorage({ path: "" }), "INVALID_ARGUMENT");
    await rejectsWith(openStorage({ path: join(dir, "a.db"), maxValueBytes: 0 }), "INVALID_ARGUMENT");
    await rejectsWith(openStorage({ path: join(dir, "b.db"), flushIntervalMs: -1 }), "INVALID_ARGUMENT");
  });

  it("fails with STORAGE_OPEN_FAILED, naming the file, when its folder cannot be created", async () => {
    writeFileSync(join(dir, "plain-file"), "x");
    const path = join(dir, "plain-file", "sub", "hearth.db");
    const err = await rejectsWith(openStorage({ path }), "STORAGE_OPEN_FAILED");
    expect(err.message).toContain(path);
  });

  it("fails with STORAGE_OPEN_FAILED when the path is a folder", async () => {
    await rejectsWith(openStorage({ path: dir }), "STORAGE_OPEN_FAILED");
  });
});
