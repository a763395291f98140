import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../../../../src/kernel/log/index.ts";
import { openStorage, type Storage } from "../../../../../src/kernel/storage/index.ts";
import {
  createTokenStore,
  ensureBootstrapToken,
  type TokenStore,
} from "../../../../../src/modules/admin/auth/index.ts";
import { hearthRejection } from "../../../../helpers/errors.ts";
import { captureLog } from "../../../../helpers/log.ts";

let dir: string;
let dataDir: string;
let storage: Storage;
let store: TokenStore;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "hearth-auth-boot-"));
  dataDir = join(dir, "data");
  storage = await openStorage({ path: join(dataDir, "hearth.db") });
  store = createTokenStore({ storage });
});
afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const tokenFile = () => join(dataDir, "admin.token");

describe("bootstrap token", () => {
  it("on first start writes an admin token to <dataDir>/admin.token that verifies", async () => {
    const result = await ensureBootstrapToken({ store, dataDir, logger: silentLogger() });
    expect(result).toEqual({ created: true, path: tokenFile() });
    const token = readFileSync(tokenFile(), "utf8");
    expect(token).toMatch(/^hth_[A-Za-z0-9_-]{43}\n$/);
    const info = await store.verify(token.trim());
    expect(info).toMatchObject({ name: "bootstrap", scopes: ["admin"] });
  });

  it("creates the file with mode 0600 and leaves no temporary file", async () => {
    await ensureBootstrapToken({ store, dataDir, logger: silentLogger() });
    expect(statSync(tokenFile()).mode & 0o777).toBe(0o600);
    expect(readdirSync(dataDir).filter((f) => f.includes("admin.token"))).toEqual(["admin.token"]);
  });

  it("logs the file's path at info and never the token", async () => {
    const log = captureLog("debug");
    await ensureBootstrapToken({ store, dataDir, logger: log.logger });
    const token = readFileSync(tokenFile(), "utf8").trim();
    const line = log.lines.find((l) => l.path === tokenFile());
    expect(line?.level).toBe("info");
    expect(line?.component).toBe("auth");
    expect(log.text()).not.toContain(token);
    expect(log.text()).not.toContain(token.slice(4, 20));
  });

  it("on a second start creates no token and leaves the file untouched", async () => {
    await ensureBootstrapToken({ store, dataDir, logger: silentLogger() });
    const before = readFileSync(tokenFile(), "utf8");
    const mtime = statSync(tokenFile()).mtimeMs;
    const again = await ensureBootstrapToken({ store, dataDir, logger: silentLogger() });
    expect(again).toEqual({ created: false, path: tokenFile() });
    expect(await store.count()).toBe(1);
    expect(readFileSync(tokenFile(), "utf8")).toBe(before);
    expect(statSync(tokenFile()).mtimeMs).toBe(mtime);
  });

  it("does nothing when a token already exists, even without the file", async () => {
    await store.create({ name: "made-by-cli", scopes: ["read"] });
    const result = await ensureBootstrapToken({ store, dataDir, logger: silentLogger() });
    expect(result.created).toBe(false);
    expect(existsSync(tokenFile())).toBe(false);
    expect(await store.count()).toBe(1);
  });

  it("replaces a stale file left from an earlier database with a fresh 0600 one", async () => {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(tokenFile(), "hth_stale\n", { mode: 0o644 });
    await ensureBootstrapToken({ store, dataDir, logger: silentLogger() });
    const token = readFileSync(tokenFile(), "utf8").trim();
    expect(token).not.toBe("hth_stale");
    expect(await store.verify(token)).toBeDefined();
    expect(statSync(tokenFile()).mode & 0o777).toBe(0o600);
  });

  it("keeps no unreadable token when the file cannot be written", async () => {
    // A folder in the way makes the final rename fail, for root too.
    mkdirSync(join(tokenFile(), "blocker"), { recursive: true });
    const err = await hearthRejection(ensureBootstrapToken({ store, dataDir, logger: silentLogger() }));
    expect(err.message).toContain(tokenFile());
    expect(await store.count()).toBe(0);
    expect(readdirSync(dataDir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
