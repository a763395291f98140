import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hearthBinary, runHearth, startHearth, tempDir } from "./harness.ts";

let bin: string;
const dirs: string[] = [];
beforeAll(async () => {
  bin = await hearthBinary();
}, 120_000);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = tempDir("backup");
  dirs.push(d);
  return d;
}

/** An external plugin that writes a counter document every 5 ms while running. */
function writerPlugin(data: string): void {
  const p = join(data, "plugins", "writer");
  mkdirSync(p, { recursive: true });
  writeFileSync(join(p, "plugin.json"), JSON.stringify({ name: "writer", version: "1.0.0" }));
  writeFileSync(
    join(p, "index.ts"),
    `export default {
  async onStart(ctx) {
    let n = 0;
    ctx.setInterval(() => { n++; void ctx.storage.set("writer", "doc-" + (n % 50), { n }); }, 5);
  },
};
`,
  );
}

function count(db: string, namespace: string): number {
  const d = new Database(db, { readonly: true });
  try {
    return (
      d.query("SELECT count(*) AS c FROM documents WHERE namespace = ?").get(namespace) as { c: number }
    ).c;
  } finally {
    d.close();
  }
}

describe("hearth backup and restore (compiled binary)", () => {
  it("takes a consistent backup while the service is writing, then restores it with the service stopped", async () => {
    const data = dir();
    const out = dir();
    writerPlugin(data);
    const h = await startHearth(bin, { args: ["--data-dir", data] });
    await Bun.sleep(150);
    const backup = join(out, "hearth-backup.db");
    const b = await runHearth(bin, ["backup", backup, "--data-dir", data]);
    expect(b.stderr).toBe("");
    expect(b.code).toBe(0);
    expect(b.stdout).toContain("integrity checked");
    const backedUp = count(backup, "writer");
    expect(backedUp).toBeGreaterThan(0);

    const refused = await runHearth(bin, ["restore", backup, "--data-dir", data]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("DATA_DIR_IN_USE");

    h.proc.kill("SIGTERM");
    expect(await h.exited).toBe(0);
    const r = await runHearth(bin, ["restore", backup, "--data-dir", data]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("previous database is kept as");
    expect(readdirSync(data).some((f) => f.startsWith("hearth.db.before-restore-"))).toBe(true);
    expect(count(join(data, "hearth.db"), "writer")).toBe(backedUp);
  });

  it("refuses to overwrite an existing backup file", async () => {
    const data = dir();
    const h = await startHearth(bin, { args: ["--data-dir", data] });
    h.proc.kill("SIGTERM");
    await h.exited;
    const target = join(dir(), "exists.db");
    writeFileSync(target, "keep me");
    const r = await runHearth(bin, ["backup", target, "--data-dir", data]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("STORAGE_BACKUP_FAILED");
  });

  it("refuses to restore a damaged file and leaves the current database alone", async () => {
    const data = dir();
    const h = await startHearth(bin, { args: ["--data-dir", data] });
    h.proc.kill("SIGTERM");
    await h.exited;
    const junk = join(dir(), "junk.db");
    writeFileSync(junk, "this is not a database at all, just bytes ".repeat(200));
    const r = await runHearth(bin, ["restore", junk, "--data-dir", data]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("STORAGE_CORRUPT");
    expect(readdirSync(data).some((f) => f.startsWith("hearth.db.before-restore-"))).toBe(false);
    expect(existsSync(join(data, "hearth.db"))).toBe(true);
  });

  it("refuses to start on a database written by a newer Hearth, leaving it untouched", async () => {
    const data = dir();
    const h = await startHearth(bin, { args: ["--data-dir", data] });
    h.proc.kill("SIGTERM");
    await h.exited;
    const db = new Database(join(data, "hearth.db"));
    db.run("PRAGMA user_version = 999");
    db.close();
    const before = Bun.file(join(data, "hearth.db"));
    const bytes = await before.bytes();
    const r = await runHearth(bin, ["run", "--data-dir", data], { env: { HEARTH_HTTP_PORT: "0" } });
    expect(r.code).toBe(1);
    expect(`${r.stdout}${r.stderr}`).toContain("STORAGE_SCHEMA_TOO_NEW");
    expect(Buffer.from(await Bun.file(join(data, "hearth.db")).bytes()).equals(Buffer.from(bytes))).toBe(
      true,
    );
  });
});
