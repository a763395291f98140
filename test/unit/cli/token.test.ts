import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT, runCli } from "../../../src/cli/commands.ts";
import { openStorage } from "../../../src/kernel/storage/index.ts";
import { createTokenStore, type TokenInfo } from "../../../src/modules/admin/auth/index.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hearth-cli-token-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const dataDir = () => join(dir, "data");

async function cli(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

const token = (...args: string[]) => cli("token", ...args, "--data-dir", dataDir());

/** Opens the same database the CLI wrote and verifies a token through the store. */
async function verify(t: string): Promise<TokenInfo | undefined> {
  const storage = await openStorage({ path: join(dataDir(), "hearth.db") });
  try {
    return await createTokenStore({ storage }).verify(t);
  } finally {
    await storage.close();
  }
}

describe("hearth token", () => {
  it("create prints only the token on stdout, and the token verifies with its scopes", async () => {
    const r = await token("create", "--name", "grafana", "--scope", "read");
    expect(r.code).toBe(EXIT.OK);
    expect(r.out).toMatch(/^hth_[A-Za-z0-9_-]{43}\n$/);
    expect(r.err).toContain("grafana");
    expect(r.err).not.toContain(r.out.trim());
    expect(await verify(r.out.trim())).toMatchObject({ name: "grafana", scopes: ["read"] });
  });

  it("create takes --scope more than once", async () => {
    const r = await token("create", "--name", "ha", "--scope", "control", "--scope", "read");
    expect((await verify(r.out.trim()))?.scopes).toEqual(["read", "control"]);
  });

  it("create --json prints the token with its info", async () => {
    const r = await token("create", "--name", "ci", "--scope", "admin", "--json");
    const body = JSON.parse(r.out);
    expect(body).toMatchObject({ name: "ci", scopes: ["admin"] });
    expect((await verify(body.token))?.id).toBe(body.id);
  });

  it("list shows ids, names and scopes but never a token", async () => {
    const created = (await token("create", "--name", "grafana", "--scope", "read")).out.trim();
    const r = await token("list");
    expect(r.code).toBe(EXIT.OK);
    expect(r.out).toContain("grafana");
    expect(r.out).toMatch(/[0-9a-f]{12}\s+grafana\s+read/);
    expect(r.out).not.toContain(created.slice(4));
  });

  it("list --json prints the token infos", async () => {
    await token("create", "--name", "one", "--scope", "read");
    const list = JSON.parse((await token("list", "--json")).out) as TokenInfo[];
    expect(list.map((t) => t.name)).toEqual(["one"]);
    expect(JSON.stringify(list)).not.toContain("hth_");
  });

  it("list on a data folder without a database creates nothing", async () => {
    const r = await token("list");
    expect(r.code).toBe(EXIT.OK);
    expect(r.out).toContain("no tokens");
    expect(existsSync(dataDir())).toBe(false);
  });

  it("revoke removes the token so it no longer verifies", async () => {
    const t = (await token("create", "--name", "old", "--scope", "admin")).out.trim();
    const id = (await verify(t))?.id as string;
    const r = await token("revoke", id);
    expect(r.code).toBe(EXIT.OK);
    expect(r.out).toContain(id);
    expect(await verify(t)).toBeUndefined();
  });

  it("revoke of an unknown id exits 1 naming the code", async () => {
    await token("create", "--name", "keep", "--scope", "read");
    const r = await token("revoke", "abcdefabcdef");
    expect(r.code).toBe(EXIT.FAILURE);
    expect(r.err).toMatch(/[A-Z_]+: no token with id "abcdefabcdef"/);
  });

  it("reads the data folder from --config", async () => {
    const file = join(dir, "hearth.json");
    writeFileSync(file, JSON.stringify({ dataDir: dataDir() }));
    const t = (await cli("token", "create", "--name", "cfg", "--scope", "read", "--config", file)).out.trim();
    expect((await verify(t))?.name).toBe("cfg");
  });

  it("--help shows the usage of every action", async () => {
    const r = await cli("token", "--help");
    expect(r.code).toBe(EXIT.OK);
    for (const action of ["create", "list", "revoke", "--scope", "--data-dir"])
      expect(r.out).toContain(action);
  });

  it("exits 2 on a missing or unknown action, missing --name or --scope, or a bad scope", async () => {
    for (const args of [
      [],
      ["frob"],
      ["create", "--scope", "read"],
      ["create", "--name", "x"],
      ["create", "--name", "x", "--scope", "root"],
      ["revoke"],
      ["list", "--scope", "read"],
    ]) {
      const r = await token(...args);
      expect(r.code).toBe(EXIT.USAGE);
      expect(r.err).toContain("Usage: hearth token");
    }
  });

  it("exits 1 naming the code when the database cannot be opened", async () => {
    writeFileSync(join(dir, "not-a-folder"), "");
    const r = await cli(
      "token",
      "create",
      "--name",
      "x",
      "--scope",
      "read",
      "--data-dir",
      join(dir, "not-a-folder"),
    );
    expect(r.code).toBe(EXIT.FAILURE);
    expect(r.err).toContain("STORAGE_OPEN_FAILED");
    expect(r.out).toBe("");
  });

  it("exits 3 when the config file is missing", async () => {
    const r = await cli("token", "list", "--config", join(dir, "absent.json"));
    expect(r.code).toBe(EXIT.CONFIG);
    expect(r.err).toContain("CONFIG_NOT_FOUND");
  });
});
