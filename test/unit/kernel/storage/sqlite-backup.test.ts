import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStorage, type Storage } from "../../../../src/kernel/storage/index.ts";
import { rejectsWith } from "./contract/harness.ts";

let dir: string;
let storage: Storage;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "hearth-storage-backup-"));
  storage = await openStorage({ path: join(dir, "h.db"), flushIntervalMs: 600_000 });
});
afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("backup", () => {
  it("writes a copy that opens as a storage with the same documents and schema version", async () => {
    await storage.batchSet("rules", { a: { on: true }, b: { on: false } });
    await storage.set("dev", "lamp", { level: 3 }, { deferred: true });
    const target = join(dir, "backups", "copy.db");
    await storage.backup(target);

    const copy = await openStorage({ path: target });
    expect(await copy.namespaces()).toEqual([
      { namespace: "dev", keys: 1 },
      { namespace: "rules", keys: 2 },
    ]);
    expect(await copy.get("dev", "lamp")).toEqual({ level: 3 });
    expect(copy.stats().schemaVersion).toBe(storage.stats().schemaVersion);
    await copy.close();
  });

  it("refuses to overwrite an existing file and leaves it as it was", async () => {
    const target = join(dir, "taken.db");
    writeFileSync(target, "precious");
    await rejectsWith(storage.backup(target), "STORAGE_BACKUP_FAILED");
    expect(readFileSync(target, "utf8")).toBe("precious");
  });

  it("takes a consistent copy while writes keep coming, and the writes all land", async () => {
    let stop = false;
    let written = 0;
    const writer = (async () => {
      while (!stop) {
        await storage.set("load", `k${written}`, { n: written });
        written++;
        await new Promise((r) => setTimeout(r, 0));
      }
    })();
    const batches = Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        storage.batchSet("batch", { [`b${i}-1`]: { i }, [`b${i}-2`]: { i } }),
      ),
    );
    await new Promise((r) => setTimeout(r, 20));
    const target = join(dir, "live.db");
    await storage.backup(target);
    await new Promise((r) => setTimeout(r, 20));
    stop = true;
    await writer;
    await batches;

    expect((await storage.listKeys("load")).length).toBe(written);
    expect((await storage.listKeys("batch")).length).toBe(10);
    const copy = await openStorage({ path: target });
    const copied = await copy.listKeys("load");
    expect(copied.length).toBeGreaterThan(0);
    expect(copied.length).toBeLessThan(written);
    // Every batch is in the copy whole or not at all.
    expect((await copy.listKeys("batch")).length % 2).toBe(0);
    await copy.close();
  });

  it("refuses to run inside a transaction instead of waiting for it forever", async () => {
    await storage.transaction(async () => {
      await rejectsWith(storage.backup(join(dir, "in-tx.db")), "STORAGE_BACKUP_FAILED");
    });
  });
});
