import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { HearthError } from "../../../../../src/errors.ts";
import { openStorage, type Storage } from "../../../../../src/kernel/storage/index.ts";
import {
  type AuthEnv,
  type AuthOptions,
  createAuth,
  createTokenStore,
  parseBearer,
  type Scope,
  type TokenStore,
} from "../../../../../src/modules/admin/auth/index.ts";
import { createFailureLimiter } from "../../../../../src/modules/admin/auth/rate-limit.ts";

let dir: string;
let storage: Storage;
let store: TokenStore;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "hearth-auth-mw-"));
  storage = await openStorage({ path: join(dir, "hearth.db") });
  store = createTokenStore({ storage });
});
afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A tiny app with one route per scope, rendering HearthErrors the way the API's onError does. */
function app(options: Partial<AuthOptions> = {}) {
  const auth = createAuth({ store, trustProxy: false, maxFailures: 3, windowMs: 60_000, ...options });
  const a = new Hono<AuthEnv>();
  for (const scope of ["read", "control", "admin"] as Scope[]) {
    a.get(`/${scope}`, auth.require(scope), (c) => c.json({ name: c.var.token.name }));
  }
  a.get("/whoami", (c) => c.text(auth.clientAddress(c)));
  a.onError((err, c) => {
    if (err instanceof HearthError) return c.json({ error: err.toJSON() }, err.httpStatus as 401);
    return c.json({ error: { code: "INTERNAL_ERROR" } }, 500);
  });
  return a;
}

/** Bun's server as Hono sees it in `c.env`: only requestIP is used. */
function from(address: string) {
  return { requestIP: () => ({ address, family: "IPv4", port: 40000 }) };
}

function get(a: Hono<AuthEnv>, path: string, headers: Record<string, string> = {}, address = "10.0.0.1") {
  return a.request(path, { headers }, from(address));
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The intended AUTH_* code, whether the catalogue has it yet or it rides in data.reason. */
async function codeOf(res: Response): Promise<string> {
  const body = (await res.json()) as { error: { code: string; data?: { reason?: string } } };
  return body.error.data?.reason ?? body.error.code;
}

async function token(scopes: Scope[], name = "t"): Promise<string> {
  return (await store.create({ name, scopes })).token;
}

describe("auth middleware", () => {
  it("lets a valid token through and exposes its info as c.var.token", async () => {
    const res = await get(app(), "/read", bearer(await token(["read"], "grafana")));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ name: "grafana" });
  });

  it("answers 401 AUTH_REQUIRED with WWW-Authenticate: Bearer without an Authorization header", async () => {
    const res = await get(app(), "/read");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toStartWith("Bearer");
    expect(await codeOf(res)).toBe("AUTH_REQUIRED");
  });

  it("answers 401 AUTH_INVALID_TOKEN for a wrong token", async () => {
    await token(["admin"]);
    const res = await get(app(), "/read", bearer(`hth_${"A".repeat(43)}`));
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toStartWith("Bearer");
    expect(await codeOf(res)).toBe("AUTH_INVALID_TOKEN");
  });

  it("answers 401 for malformed headers: other scheme, no token, two tokens, two headers", async () => {
    const t = await token(["admin"]);
    const a = app({ maxFailures: 100 });
    for (const authorization of [
      `Basic ${t}`,
      "Bearer",
      "Bearer ",
      `Bearer ${t} ${t}`,
      `Bearer ${t}, Bearer ${t}`,
      t,
    ]) {
      const res = await get(a, "/read", { authorization });
      expect(res.status).toBe(401);
      expect(await codeOf(res)).toBe("AUTH_INVALID_TOKEN");
    }
  });

  it("accepts the Bearer scheme in any case", async () => {
    const t = await token(["read"]);
    const a = app();
    for (const scheme of ["bearer", "BEARER", "BeArEr"]) {
      expect((await get(a, "/read", { authorization: `${scheme} ${t}` })).status).toBe(200);
    }
  });

  it("answers 401 for a revoked token on its next request", async () => {
    const { token: t, info } = await store.create({ name: "gone", scopes: ["admin"] });
    const a = app();
    expect((await get(a, "/read", bearer(t))).status).toBe(200);
    await store.revoke(info.id);
    expect((await get(a, "/read", bearer(t))).status).toBe(401);
  });

  it("answers 403 AUTH_FORBIDDEN when the token's scope is too low", async () => {
    const res = await get(app(), "/admin", bearer(await token(["read"])));
    expect(res.status).toBe(403);
    expect(await codeOf(res)).toBe("AUTH_FORBIDDEN");
  });

  it("applies the hierarchy admin ⊇ control ⊇ read", async () => {
    const a = app();
    const status = async (scope: Scope, path: string) =>
      (await get(a, path, bearer(await token([scope])))).status;
    expect([
      await status("admin", "/admin"),
      await status("admin", "/control"),
      await status("admin", "/read"),
    ]).toEqual([200, 200, 200]);
    expect([
      await status("control", "/admin"),
      await status("control", "/control"),
      await status("control", "/read"),
    ]).toEqual([403, 200, 200]);
    expect([
      await status("read", "/admin"),
      await status("read", "/control"),
      await status("read", "/read"),
    ]).toEqual([403, 403, 200]);
  });

  it("refuses to build middleware for an unknown scope", () => {
    const auth = createAuth({ store, trustProxy: false, maxFailures: 3, windowMs: 60_000 });
    expect(() => auth.require("root" as Scope)).toThrow(HearthError);
  });
});

describe("failed-auth rate limiting", () => {
  const wrong = bearer(`hth_${"B".repeat(43)}`);

  it("answers further bad attempts 429 with Retry-After once a client reached maxFailures", async () => {
    const a = app({ maxFailures: 3 });
    for (let i = 0; i < 3; i++) expect((await get(a, "/read", wrong)).status).toBe(401);
    for (const headers of [wrong, { authorization: "Bearer not-even-a-token" }]) {
      const res = await get(a, "/read", headers);
      expect(res.status).toBe(429);
      expect(await codeOf(res)).toBe("AUTH_RATE_LIMITED");
      const retry = Number(res.headers.get("retry-after"));
      expect(Number.isInteger(retry)).toBe(true);
      expect(retry).toBeGreaterThanOrEqual(1);
      expect(retry).toBeLessThanOrEqual(60);
    }
  });

  it("never refuses a valid token, even from a blocked address in the middle of an attack", async () => {
    const owner = await token(["admin"], "owner");
    const scraper = await token(["read"], "prometheus");
    const a = app({ maxFailures: 3 });
    const seen: string[] = [];
    for (let i = 0; i < 20; i++) {
      seen.push(`${(await get(a, "/read", wrong)).status}`);
      seen.push(`${(await get(a, "/admin", bearer(owner))).status}`);
      seen.push(`${(await get(a, "/read", bearer(scraper))).status}`);
    }
    const bad = seen.filter((_, i) => i % 3 === 0);
    expect(bad).toEqual([...Array(3).fill("401"), ...Array(17).fill("429")]);
    expect(seen.filter((_, i) => i % 3 !== 0)).toEqual(Array(40).fill("200"));
  });

  it("still answers a valid token's scope errors with 403, not 429, from a blocked address", async () => {
    const a = app({ maxFailures: 1 });
    await get(a, "/read", wrong);
    expect((await get(a, "/read", wrong)).status).toBe(429);
    expect((await get(a, "/admin", bearer(await token(["read"])))).status).toBe(403);
  });

  it("answers a missing Authorization header 401 from a blocked address: it is not a guess", async () => {
    const a = app({ maxFailures: 1 });
    await get(a, "/read", wrong);
    const res = await get(a, "/read");
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe("AUTH_REQUIRED");
  });

  it("does not block another client address", async () => {
    const t = await token(["read"]);
    const a = app({ maxFailures: 2 });
    for (let i = 0; i < 3; i++) await get(a, "/read", wrong, "10.0.0.1");
    expect((await get(a, "/read", bearer(t), "10.0.0.2")).status).toBe(200);
    expect((await get(a, "/read", wrong, "10.0.0.2")).status).toBe(401);
  });

  it("a success by another client does not reset the blocked one", async () => {
    const t = await token(["read"]);
    const a = app({ maxFailures: 2 });
    for (let i = 0; i < 2; i++) await get(a, "/read", wrong, "10.0.0.1");
    expect((await get(a, "/read", bearer(t), "10.0.0.2")).status).toBe(200);
    expect((await get(a, "/read", wrong, "10.0.0.1")).status).toBe(429);
  });

  it("a client's own success does not clear its failures", async () => {
    const t = await token(["read"]);
    const a = app({ maxFailures: 2 });
    await get(a, "/read", wrong);
    expect((await get(a, "/read", bearer(t))).status).toBe(200);
    await get(a, "/read", wrong);
    expect((await get(a, "/read", wrong)).status).toBe(429);
  });

  it("does not count requests without an Authorization header or with too low a scope", async () => {
    const t = await token(["read"]);
    const a = app({ maxFailures: 2 });
    for (let i = 0; i < 3; i++) {
      await get(a, "/read");
      await get(a, "/admin", bearer(t));
    }
    expect((await get(a, "/read", wrong)).status).toBe(401);
  });

  it("answers bad attempts 401 again once the window has passed", async () => {
    const a = app({ maxFailures: 1, windowMs: 30 });
    await get(a, "/read", wrong);
    expect((await get(a, "/read", wrong)).status).toBe(429);
    await Bun.sleep(50);
    expect((await get(a, "/read", wrong)).status).toBe(401);
  });

  it("tracks at most maxClients addresses, forgetting the one quiet the longest", async () => {
    const a = app({ maxFailures: 1, maxClients: 2 });
    for (const address of ["10.0.0.1", "10.0.0.2", "10.0.0.3"]) await get(a, "/read", wrong, address);
    expect((await get(a, "/read", wrong, "10.0.0.1")).status).toBe(401);
    expect((await get(a, "/read", wrong, "10.0.0.3")).status).toBe(429);
  });
});

describe("failure limiter", () => {
  it("blocks at maxFailures for the rest of the window; failures while blocked do not extend it", () => {
    let t = 0;
    const limiter = createFailureLimiter({ maxFailures: 2, windowMs: 1000, maxClients: 10, now: () => t });
    expect(limiter.fail("a")).toBe(false);
    expect(limiter.fail("a")).toBe(true);
    expect(limiter.retryAfterMs("a")).toBe(1000);
    t = 900;
    expect(limiter.retryAfterMs("a")).toBe(100);
    t = 1000;
    expect(limiter.retryAfterMs("a")).toBe(0);
    expect(limiter.size()).toBe(0);
  });

  it("evicts the least recently failing address when full, not the oldest window", () => {
    let t = 0;
    const limiter = createFailureLimiter({ maxFailures: 2, windowMs: 10_000, maxClients: 2, now: () => t });
    limiter.fail("a");
    t = 1;
    limiter.fail("b");
    t = 2;
    limiter.fail("a"); // a is blocked and now the most recent
    t = 3;
    limiter.fail("c"); // evicts b
    expect(limiter.size()).toBe(2);
    expect(limiter.retryAfterMs("a")).toBeGreaterThan(0);
    limiter.fail("b");
    expect(limiter.retryAfterMs("b")).toBe(0);
  });

  it("prunes addresses whose last failure is a window old", () => {
    let t = 0;
    const limiter = createFailureLimiter({ maxFailures: 5, windowMs: 100, maxClients: 100, now: () => t });
    for (const a of ["a", "b", "c"]) limiter.fail(a);
    t = 150;
    limiter.fail("d");
    expect(limiter.size()).toBe(1);
  });
});

describe("client address", () => {
  it("is the socket address from Bun, ignoring X-Forwarded-For by default", async () => {
    const res = await get(app(), "/whoami", { "x-forwarded-for": "203.0.113.9" }, "192.168.1.20");
    expect(await res.text()).toBe("192.168.1.20");
  });

  it("is the last X-Forwarded-For entry (the one the trusted proxy appended) when trustProxy is on", async () => {
    const a = app({ trustProxy: true });
    const res = await get(a, "/whoami", { "x-forwarded-for": " 203.0.113.9 , 10.0.0.1 " }, "127.0.0.1");
    expect(await res.text()).toBe("10.0.0.1");
    expect(await (await get(a, "/whoami", {}, "127.0.0.1")).text()).toBe("127.0.0.1");
  });

  it("a forged X-Forwarded-For does not escape the limit unless trustProxy is on", async () => {
    const t = await token(["read"]);
    const wrong = { authorization: `Bearer hth_${"C".repeat(43)}` };
    const a = app({ maxFailures: 1 });
    await get(a, "/read", { ...wrong, "x-forwarded-for": "198.51.100.1" });
    const res = await get(a, "/read", { ...wrong, "x-forwarded-for": "198.51.100.2" });
    expect(res.status).toBe(429);
    // A valid token passes whatever its (shared) address did.
    expect((await get(a, "/read", { ...bearer(t), "x-forwarded-for": "198.51.100.2" })).status).toBe(200);

    const proxied = app({ maxFailures: 1, trustProxy: true });
    await get(proxied, "/read", { ...wrong, "x-forwarded-for": "198.51.100.1" });
    expect((await get(proxied, "/read", { ...bearer(t), "x-forwarded-for": "198.51.100.2" })).status).toBe(
      200,
    );
    expect((await get(proxied, "/read", { ...wrong, "x-forwarded-for": "198.51.100.2" })).status).toBe(401);
    expect((await get(proxied, "/read", { ...wrong, "x-forwarded-for": "198.51.100.1" })).status).toBe(429);
    // A client that prepends its own entries does not get a fresh address: the proxy's entry counts.
    const spoof = { ...wrong, "x-forwarded-for": "203.0.113.77, 198.51.100.1" };
    expect((await get(proxied, "/read", spoof)).status).toBe(429);
  });

  it("is the real peer address when served by Bun.serve", async () => {
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app().fetch });
    try {
      const res = await fetch(new URL("/whoami", server.url));
      expect(await res.text()).toBe("127.0.0.1");
    } finally {
      await server.stop(true);
    }
  });
});

describe("parseBearer", () => {
  it("returns the one token of a Bearer header and nothing for anything else", () => {
    expect(parseBearer("Bearer abc")).toBe("abc");
    expect(parseBearer("  bearer   abc  ")).toBe("abc");
    expect(parseBearer("Bearer a b")).toBeUndefined();
    expect(parseBearer("Token abc")).toBeUndefined();
    expect(parseBearer("Bearerabc")).toBeUndefined();
  });
});
