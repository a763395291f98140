import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HearthError } from "../../../../src/errors.ts";
import { openStorage } from "../../../../src/kernel/storage/index.ts";

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hearth-storage-corrupt-"));
  path = join(dir, "h.db");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function errorOf(promise: Promise<unknown>): Promise<HearthError> {
  try {
    await promise;
  } catch (err) {
    return err as HearthError;
  }
  throw new Error("expected a rejection");
}

/** A database with enough documents to fill several pages. */
async function writeValidDatabase(): Promise<void> {
  const storage = await openStorage({ path });
  const entries: Record<string, { i: number; pad: string }> = {};
  for (let i = 0; i < 400; i++) entries[`doc-${String(i).padStart(4, "0")}`] = { i, pad: "x".repeat(100) };
  await storage.batchSet("ns", entries);
  await storage.close();
}

describe("a damaged database file", () => {
  it("with garbage over its second page is refused with STORAGE_CORRUPT naming the file", async () => {
    await writeValidDatabase();
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.alloc(4096, 0xab), 0, 4096, 4096);
    closeSync(fd);

    const err = await errorOf(openStorage({ path }));
    expect(err.code).toBe("STORAGE_CORRUPT");
    expect(err.message).toContain(path);
    const { problems } = err.data as { problems: string[] };
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.length).toBeLessThanOrEqual(5);
    expect(err.message).toContain(problems[0] as string);
  });

  it("is left byte for byte as it was", async () => {
    await writeValidDatabase();
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.alloc(2048, 0x5a), 0, 2048, 4096 * 3 + 100);
    closeSync(fd);
    const before = readFileSync(path);

    expect((await errorOf(openStorage({ path }))).code).toBe("STORAGE_CORRUPT");
    expect((await errorOf(openStorage({ path }))).code).toBe("STORAGE_CORRUPT");
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it("that is not a database at all is refused with STORAGE_CORRUPT, untouched", async () => {
    const garbage = Buffer.from(crypto.getRandomValues(new Uint8Array(16384)));
    writeFileSync(path, garbage);

    const err = await errorOf(openStorage({ path }));
    expect(err.code).toBe("STORAGE_CORRUPT");
    expect(err.message).toContain("file is not a database");
    expect(err.message).toContain(path);
    expect(readFileSync(path).equals(garbage)).toBe(true);
  });

  it("does not stop a healthy database from opening in the same process", async () => {
    writeFileSync(path, "this is a text file, not SQLite, and long enough to have a header............");
    expect((await errorOf(openStorage({ path }))).code).toBe("STORAGE_CORRUPT");
    const healthy = await openStorage({ path: join(dir, "other.db") });
    await healthy.set("ns", "k", { ok: true });
    expect(await healthy.get("ns", "k")).toEqual({ ok: true });
    await healthy.close();
  });
});
