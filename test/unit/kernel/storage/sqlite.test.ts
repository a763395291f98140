import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMBEDDED_MIGRATIONS, type Migration, openStorage } from "../../../../src/kernel/storage/index.ts";
import { rejectsWith } from "./contract/harness.ts";
import { storageContract } from "./storage.contract.ts";

let dir: string;
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "hearth-storage-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storageContract("sqlite", (options) => openStorage({ path: join(dir, `contract-${++n}.db`), ...options }));

describe("sqlite storage", () => {
  it("says what it is", async () => {
    const storage = await openStorage({ path: join(dir, "kind.db") });
    expect(storage.kind).toBe("sqlite");
    await storage.close();
  });

  it("never lets a transaction that SQLite aborted (disk full) write the rest in autocommit", async () => {
    // A migration runs on the storage's connection: cap the file at a few pages to provoke SQLITE_FULL.
    const tiny: Migration = { version: 2, name: "tiny", sql: "PRAGMA max_page_count = 16;" };
    const storage = await openStorage({
      path: join(dir, "full.db"),
      migrations: [...EMBEDDED_MIGRATIONS, tiny],
    });
    await storage.set("ns", "before", { v: 1 });
    let full: unknown;
    const outcome = storage.transaction(async (tx) => {
      await tx.set("ns", "a", { v: 1 });
      await tx.set("ns", "big", { pad: "x".repeat(200_000) }).catch((err: unknown) => {
        full = err;
      });
      await tx.set("ns", "after", { v: 2 });
    });
    await rejectsWith(outcome, "STORAGE_TX_ABORTED");
    expect((full as { code?: string }).code).toBe("SQLITE_FULL");
    expect(await storage.listKeys("ns")).toEqual(["before"]);
    await storage.close();
  });
});
