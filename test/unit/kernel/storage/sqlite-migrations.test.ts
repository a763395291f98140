import { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HearthError } from "../../../../src/errors.ts";
import { EMBEDDED_MIGRATIONS, type Migration, openStorage } from "../../../../src/kernel/storage/index.ts";
import { rejectsWith } from "./contract/harness.ts";

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hearth-storage-migrate-"));
  path = join(dir, "h.db");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const v1 = EMBEDDED_MIGRATIONS[0] as Migration;
const v2: Migration = {
  version: 2,
  name: "device-index",
  sql: `CREATE TABLE extra (id TEXT PRIMARY KEY) WITHOUT ROWID;
        INSERT INTO extra VALUES ('from-v2');`,
};

function rawVersion(file: string): { version: number; tables: string[] } {
  const db = new Database(file, { readonly: true });
  try {
    const version = (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
    const tables = (
      db.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    return { version, tables };
  } finally {
    db.close();
  }
}

async function errorOf(promise: Promise<unknown>): Promise<HearthError> {
  try {
    await promise;
  } catch (err) {
    return err as HearthError;
  }
  throw new Error("expected a rejection");
}

describe("schema migrations", () => {
  it("embeds the documents migration as SQL text", () => {
    expect(v1.version).toBe(1);
    expect(v1.sql).toContain("CREATE TABLE documents");
  });

  it("runs only the migrations newer than the file's version and keeps the data", async () => {
    const first = await openStorage({ path, migrations: [v1] });
    await first.set("ns", "k", { kept: true });
    expect(first.stats().schemaVersion).toBe(1);
    await first.close();

    const second = await openStorage({ path, migrations: [v1, v2] });
    expect(second.stats().schemaVersion).toBe(2);
    expect(await second.get("ns", "k")).toEqual({ kept: true });
    await second.close();
    expect(rawVersion(path)).toEqual({ version: 2, tables: ["documents", "extra"] });

    // A third open has nothing left to run: v2's INSERT would fail on its primary key if it ran again.
    const third = await openStorage({ path, migrations: [v2, v1] });
    expect(third.stats().schemaVersion).toBe(2);
    await third.close();
  });

  it("rolls a failing migration back whole and names its version", async () => {
    const first = await openStorage({ path, migrations: [v1] });
    await first.set("ns", "k", { kept: true });
    await first.close();

    const broken: Migration = {
      version: 2,
      name: "broken",
      sql: "CREATE TABLE half (x); DELETE FROM documents; INSERT INTO no_such_table VALUES (1);",
    };
    const err = await errorOf(openStorage({ path, migrations: [v1, broken] }));
    expect(err.code).toBe("STORAGE_MIGRATION_FAILED");
    expect(err.message).toContain("migration 2 (broken)");
    expect(err.data).toMatchObject({ version: 2, name: "broken", schemaVersion: 1 });

    expect(rawVersion(path)).toEqual({ version: 1, tables: ["documents"] });
    const again = await openStorage({ path, migrations: [v1] });
    expect(await again.get("ns", "k")).toEqual({ kept: true });
    await again.close();
  });

  it("refuses a database from a newer Hearth and leaves the file untouched", async () => {
    const first = await openStorage({ path, migrations: [v1, v2] });
    await first.set("ns", "k", { v: 1 });
    await first.close();
    const before = readFileSync(path);

    const err = await errorOf(openStorage({ path, migrations: [v1] }));
    expect(err.code).toBe("STORAGE_SCHEMA_TOO_NEW");
    expect(err.message).toContain(path);
    expect(err.data).toMatchObject({ schemaVersion: 2, latest: 1 });
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it("refuses a migration list with gaps or duplicates", async () => {
    for (const migrations of [[v2], [v1, v1], [v1, { ...v2, version: 3 }]]) {
      await rejectsWith(openStorage({ path, migrations }), "INVALID_ARGUMENT");
    }
  });
});
