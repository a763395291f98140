import { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStorage, type Storage, type StorageOps } from "../../../../../src/kernel/storage/index.ts";
import { createTokenStore, hasScope, type TokenStore } from "../../../../../src/modules/admin/auth/index.ts";
import { VERIFY_CACHE_SIZE } from "../../../../../src/modules/admin/auth/token-store.ts";
import { hearthRejection } from "../../../../helpers/errors.ts";

let dir: string;
let storage: Storage;
let store: TokenStore;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "hearth-auth-"));
  storage = await openStorage({ path: join(dir, "hearth.db") });
  store = createTokenStore({ storage });
});
afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("token store", () => {
  it("creates a token that verifies, and fails to verify once revoked", async () => {
    const { token, info } = await store.create({ name: "grafana", scopes: ["read"] });
    expect((await store.verify(token))?.id).toBe(info.id);
    expect(await store.revoke(info.id)).toBe(true);
    expect(await store.verify(token)).toBeUndefined();
  });

  it("makes tokens of hth_ and 32 random bytes in base64url, each different", async () => {
    const a = (await store.create({ name: "a", scopes: ["read"] })).token;
    const b = (await store.create({ name: "b", scopes: ["read"] })).token;
    expect(a).toMatch(/^hth_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.slice(4), "base64url")).toHaveLength(32);
    expect(a).not.toBe(b);
  });

  it("stores only a hash: the raw SQLite rows contain no token", async () => {
    const { token } = await store.create({ name: "cli", scopes: ["admin"] });
    await storage.close();
    const db = new Database(join(dir, "hearth.db"), { readonly: true });
    const rows = db
      .query<{ key: string; value: string }, []>("SELECT key, value FROM documents WHERE namespace = 'auth'")
      .all();
    db.close();
    // The token, its two index entries (by id, by creation) and the count.
    expect(rows).toHaveLength(4);
    const raw = JSON.stringify(rows);
    expect(raw).not.toContain(token);
    expect(raw).not.toContain(token.slice(4));
    const sha = new Bun.CryptoHasher("sha256").update(token).digest("hex");
    const record = rows.find((r) => r.key.startsWith("token:"));
    expect(JSON.parse(record?.value ?? "{}").hash).toBe(sha);
  });

  it("never returns the token or its hash from list or verify", async () => {
    const { token, info } = await store.create({ name: "ha", scopes: ["control"] });
    const hash = new Bun.CryptoHasher("sha256").update(token).digest("hex");
    const shown = JSON.stringify([await store.list(), await store.verify(token)]);
    expect(shown).not.toContain(token.slice(4));
    expect(shown).not.toContain(hash.slice(0, 16));
    expect(shown).not.toContain('"hash"');
    expect(info).toMatchObject({ name: "ha", scopes: ["control"] });
    expect(info.id).toMatch(/^[0-9a-f]{12}$/);
  });

  it("refuses a wrong token, a token of the wrong shape and a non-string", async () => {
    const { token } = await store.create({ name: "x", scopes: ["read"] });
    const flipped = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    expect(await store.verify(flipped)).toBeUndefined();
    expect(await store.verify("hth_short")).toBeUndefined();
    expect(await store.verify(`${token} `)).toBeUndefined();
    expect(await store.verify(42 as unknown as string)).toBeUndefined();
  });

  it("lists every token oldest first and counts them", async () => {
    await store.create({ name: "first", scopes: ["read"] });
    await Bun.sleep(2);
    await store.create({ name: "second", scopes: ["admin"] });
    expect((await store.list()).map((t) => t.name)).toEqual(["first", "second"]);
    expect(await store.count()).toBe(2);
  });

  it("revoking an unknown id returns false and removes nothing", async () => {
    await store.create({ name: "keep", scopes: ["read"] });
    expect(await store.revoke("000000000000")).toBe(false);
    expect(await store.count()).toBe(1);
  });

  it("drops duplicate scopes and orders them weakest first", async () => {
    const { info } = await store.create({ name: "dup", scopes: ["admin", "read", "admin"] });
    expect(info.scopes).toEqual(["read", "admin"]);
  });

  it("refuses an empty or too long name, control characters, no scopes and unknown scopes", async () => {
    const bad = [
      { name: "", scopes: ["read"] },
      { name: "x".repeat(65), scopes: ["read"] },
      { name: "line\nbreak", scopes: ["read"] },
      { name: "ok", scopes: [] },
      { name: "ok", scopes: ["root"] },
    ];
    for (const input of bad) {
      const err = await hearthRejection(store.create(input as never), "INVALID_ARGUMENT");
      expect((err.data as { issues: unknown[] }).issues.length).toBeGreaterThan(0);
    }
    expect(await store.count()).toBe(0);
  });

  it("accepts a name of exactly 64 characters", async () => {
    const { info } = await store.create({ name: "n".repeat(64), scopes: ["read"] });
    expect(info.name).toHaveLength(64);
  });

  it("records lastUsedAt on first use and not again within the interval", async () => {
    const { token, info } = await store.create({ name: "u", scopes: ["read"] });
    expect(info.lastUsedAt).toBeUndefined();
    const first = (await store.verify(token))?.lastUsedAt;
    expect(first).toBeString();
    const writes = storage.stats().writes;
    await Bun.sleep(5);
    expect((await store.verify(token))?.lastUsedAt).toBe(first);
    expect(storage.stats().writes).toBe(writes);
    expect((await store.list())[0]?.lastUsedAt).toBe(first);
  });

  it("records lastUsedAt again once the interval has passed", async () => {
    const quick = createTokenStore({ storage, lastUsedIntervalMs: 20 });
    const { token } = await quick.create({ name: "u", scopes: ["read"] });
    const first = (await quick.verify(token))?.lastUsedAt;
    await Bun.sleep(40);
    const second = (await quick.verify(token))?.lastUsedAt;
    expect(second).not.toBe(first);
    expect((await quick.list())[0]?.lastUsedAt).toBe(second as string);
  });

  it("a revoke racing a use is not undone by the lastUsedAt write", async () => {
    // Holds the lastUsedAt write's transaction until the revoke is done.
    const gate = Promise.withResolvers<void>();
    let entered = Promise.withResolvers<void>();
    const gated = new Proxy(storage, {
      get(target, prop) {
        if (prop === "transaction") {
          return async (fn: (tx: StorageOps) => Promise<unknown>) => {
            entered.resolve();
            await gate.promise;
            return target.transaction(fn);
          };
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const { token, info } = await store.create({ name: "race", scopes: ["read"] });
    const racing = createTokenStore({ storage: gated });
    entered = Promise.withResolvers<void>();
    expect((await racing.verify(token))?.id).toBe(info.id);
    const flushing = racing.flushUsage();
    await entered.promise;
    expect(await store.revoke(info.id)).toBe(true);
    gate.resolve();
    await flushing;
    expect(await store.count()).toBe(0);
    expect(await storage.listKeys("auth", "token:")).toEqual([]);
  });
});

describe("token store: verify cache", () => {
  it("verifies a known token again without reading storage", async () => {
    const { token, info } = await store.create({ name: "scraper", scopes: ["read"] });
    expect((await store.verify(token))?.id).toBe(info.id);
    const reads = storage.stats().reads;
    for (let i = 0; i < 5; i++) expect((await store.verify(token))?.id).toBe(info.id);
    expect(storage.stats().reads).toBe(reads);
  });

  it("refuses a cached token right after it is revoked through another store on the same storage", async () => {
    const other = createTokenStore({ storage });
    const { token, info } = await store.create({ name: "a", scopes: ["read"] });
    expect((await store.verify(token))?.id).toBe(info.id);
    expect(await other.revoke(info.id)).toBe(true);
    expect(await store.verify(token)).toBeUndefined();
  });

  /** A token verified (so cached), then revoked through a second connection, as the CLI does. */
  async function cachedThenRevokedElsewhere(): Promise<string> {
    const { token, info } = await store.create({ name: "a", scopes: ["read"] });
    expect((await store.verify(token))?.id).toBe(info.id);
    const cli = await openStorage({ path: join(dir, "hearth.db") });
    try {
      expect(await createTokenStore({ storage: cli }).revoke(info.id)).toBe(true);
    } finally {
      await cli.close();
    }
    return token;
  }

  it("refuses a cached token on the first request after another process (a second connection) revoked it", async () => {
    const token = await cachedThenRevokedElsewhere();
    // A request after the CLI's revoke arrives in a later turn of the event loop (the probe of
    // other processes' commits is shared by the requests of one turn): here, the next turn.
    await new Promise((resolve) => setImmediate(resolve));
    expect(await store.verify(token)).toBeUndefined();
  });

  it("sees another process's revoke in the next turn even while requests keep coming in this one", async () => {
    const token = await cachedThenRevokedElsewhere();
    // Requests of the turn the revoke committed in may still pass (they raced it); none after it.
    for (let i = 0; i < 3; i++) await store.verify(token);
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(await store.verify(token)).toBeUndefined();
  });

  it("does not cache a record read while a revoke was committing", async () => {
    const { token, info } = await store.create({ name: "a", scopes: ["read"] });
    const [verified] = await Promise.all([store.verify(token), store.revoke(info.id)]);
    expect(verified === undefined || verified.id === info.id).toBe(true);
    expect(await store.verify(token)).toBeUndefined();
  });

  it("keeps at most VERIFY_CACHE_SIZE tokens and still verifies the ones dropped", async () => {
    const made = [];
    for (let i = 0; i < VERIFY_CACHE_SIZE + 4; i++)
      made.push(await store.create({ name: `t${i}`, scopes: ["read"] }));
    for (const { token, info } of made) expect((await store.verify(token))?.id).toBe(info.id);
    const reads = storage.stats().reads;
    // The first four were dropped (least recently used): verifying them reads storage again.
    for (const { token, info } of made.slice(0, 4)) expect((await store.verify(token))?.id).toBe(info.id);
    expect(storage.stats().reads).toBe(reads + 4);
  });
});

describe("token store: deferred last-used times", () => {
  const stored = async (id: string) => {
    const keys = await storage.listKeys("auth", "token:");
    const docs = await Promise.all(keys.map((k) => storage.get("auth", k)));
    return docs.find((d) => d?.id === id);
  };

  it("keeps a use in memory: verify writes nothing, readers still see the time", async () => {
    const { token, info } = await store.create({ name: "scraper", scopes: ["read"] });
    const writes = storage.stats().writes;
    const at = (await store.verify(token))?.lastUsedAt;
    expect(at).toBeString();
    expect(storage.stats().writes).toBe(writes);
    expect((await store.get(info.id))?.lastUsedAt).toBe(at as string);
    expect((await stored(info.id))?.lastUsedAt).toBeUndefined();
  });

  it("writes every recorded use in one transaction on flushUsage()", async () => {
    const a = await store.create({ name: "a", scopes: ["read"] });
    const b = await store.create({ name: "b", scopes: ["read"] });
    await store.verify(a.token);
    await store.verify(b.token);
    const tx = storage.stats().transactions;
    await store.flushUsage();
    expect(storage.stats().transactions).toBe(tx + 1);
    expect((await stored(a.info.id))?.lastUsedAt).toBeString();
    expect((await stored(b.info.id))?.lastUsedAt).toBeString();
  });

  it("writes recorded uses by itself once lastUsedFlushMs has passed", async () => {
    const quick = createTokenStore({ storage, lastUsedFlushMs: 20 });
    const { token, info } = await quick.create({ name: "q", scopes: ["read"] });
    await quick.verify(token);
    await Bun.sleep(80);
    expect((await stored(info.id))?.lastUsedAt).toBeString();
  });

  it("a flush with nothing recorded writes nothing", async () => {
    const tx = storage.stats().transactions;
    await store.flushUsage();
    expect(storage.stats().transactions).toBe(tx);
  });
});

describe("token store at scale", () => {
  it("pages tokens oldest first with a cursor; next is null on the last page", async () => {
    const names: string[] = [];
    for (let i = 0; i < 7; i++) {
      names.push(`t${i}`);
      await store.create({ name: `t${i}`, scopes: ["read"] });
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await store.page(cursor === undefined ? { limit: 3 } : { limit: 3, cursor });
      pages++;
      expect(page.tokens.length).toBeLessThanOrEqual(3);
      seen.push(...page.tokens.map((t) => t.name));
      if (page.next === null) break;
      cursor = page.next;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(names);
    expect((await store.page()).tokens.map((t) => t.name)).toEqual(names);
    expect((await store.page({ limit: 7 })).next).toBeNull();
    expect((await store.list()).map((t) => t.name)).toEqual(names);
  });

  it("keeps paging from a cursor whose token was revoked meanwhile", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await store.create({ name: `t${i}`, scopes: ["read"] })).info.id);
    const first = await store.page({ limit: 2 });
    await store.revoke(ids[1] as string);
    const second = await store.page({ limit: 2, cursor: first.next as string });
    expect(second.tokens.map((t) => t.name)).toEqual(["t2", "t3"]);
  });

  it("refuses a bad page limit or cursor", async () => {
    await hearthRejection(store.page({ limit: 0 }), "INVALID_ARGUMENT");
    await hearthRejection(store.page({ limit: 1001 }), "INVALID_ARGUMENT");
    await hearthRejection(store.page({ cursor: "token:../x" }), "INVALID_ARGUMENT");
    await hearthRejection(store.page({ cursor: "12" }), "INVALID_ARGUMENT");
  });

  it("refuses a token past maxTokens with AUTH_TOKEN_LIMIT; a revoke frees a place", async () => {
    const capped = createTokenStore({ storage, maxTokens: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await capped.create({ name: `t${i}`, scopes: ["read"] })).info.id);
    const err = await hearthRejection(
      capped.create({ name: "one-more", scopes: ["read"] }),
      "AUTH_TOKEN_LIMIT",
    );
    expect(err.httpStatus).toBe(409);
    expect(err.data).toEqual({ tokens: 3, maxTokens: 3 });
    expect(await capped.count()).toBe(3);
    expect(await capped.revoke(ids[0] as string)).toBe(true);
    expect((await capped.create({ name: "again", scopes: ["read"] })).info.name).toBe("again");
    expect(await capped.count()).toBe(3);
  });

  it("indexes tokens written before the indexes existed, once, on first use", async () => {
    // What an older Hearth left: token records only, no index, no count.
    const legacy = {
      id: "0123456789ab",
      name: "old",
      scopes: ["read"],
      createdAt: "2025-01-01T00:00:00.000Z",
    };
    const hash = new Bun.CryptoHasher("sha256").update("hth_legacy").digest("hex");
    await storage.set("auth", `token:${hash.slice(0, 32)}`, { ...legacy, hash });
    const fresh = createTokenStore({ storage });
    expect(await fresh.count()).toBe(1);
    await fresh.create({ name: "new", scopes: ["admin"] });
    expect((await fresh.list()).map((t) => t.name)).toEqual(["old", "new"]);
    expect(await fresh.revoke(legacy.id)).toBe(true);
    expect((await fresh.list()).map((t) => t.name)).toEqual(["new"]);
    expect(await fresh.count()).toBe(1);
  });

  it("re-indexes when another writer left the count out of step", async () => {
    await store.create({ name: "a", scopes: ["read"] });
    await storage.set("auth", "meta:tokens", { tokens: 40, seq: 40, version: 1 });
    const again = createTokenStore({ storage });
    expect(await again.count()).toBe(1);
  });

  it("refuses to revoke an id that could not be one, without touching storage keys", async () => {
    await store.create({ name: "keep", scopes: ["read"] });
    for (const id of ["../x", "ABC", "", "a".repeat(65)]) expect(await store.revoke(id)).toBe(false);
    expect(await store.count()).toBe(1);
  });
});

describe("hasScope", () => {
  it("admin covers control and read, control covers read, read covers only read", () => {
    expect([
      hasScope(["admin"], "admin"),
      hasScope(["admin"], "control"),
      hasScope(["admin"], "read"),
    ]).toEqual([true, true, true]);
    expect([
      hasScope(["control"], "admin"),
      hasScope(["control"], "control"),
      hasScope(["control"], "read"),
    ]).toEqual([false, true, true]);
    expect([hasScope(["read"], "admin"), hasScope(["read"], "control"), hasScope(["read"], "read")]).toEqual([
      false,
      false,
      true,
    ]);
  });

  it("grants nothing for no scopes or an unknown one", () => {
    expect(hasScope([], "read")).toBe(false);
    expect(hasScope(["root" as never], "read")).toBe(false);
  });
});
