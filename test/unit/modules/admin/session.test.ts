import { afterEach, describe, expect, it } from "bun:test";
import {
  createSessionStore,
  createTokenStore,
  MAX_SESSIONS_PER_TOKEN,
  SESSION_COOKIE,
} from "../../../../src/modules/admin/auth/index.ts";
import { cleanupDirs, errorBody, type Harness, json, type ScopeName, startHarness } from "./harness.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
  cleanupDirs();
});

const HOST = "hearth.local:8420";
const CSRF = { "X-Hearth-CSRF": "1" };

/** Signs in with the token of `scope`; returns the `Cookie` header value and the response. */
async function signIn(harness: Harness, scope: ScopeName) {
  const res = await harness.request("/api/v1/session", { method: "POST", as: scope });
  const setCookie = res.headers.get("set-cookie") ?? "";
  return { res, setCookie, cookie: setCookie.split(";")[0] ?? "" };
}

/** A request with the session cookie only (no bearer token), from the page's own origin by default. */
function withCookie(harness: Harness, cookie: string, path: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  headers.set("Cookie", cookie);
  if (!headers.has("Host")) headers.set("Host", HOST);
  return harness.request(path, { ...init, headers });
}

const createToken = (harness: Harness, cookie: string, headers: Record<string, string>) =>
  withCookie(harness, cookie, "/api/v1/tokens", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify({ name: "from-page", scopes: ["read"] }),
  });

describe("POST /api/v1/session", () => {
  it("sets an HttpOnly, SameSite=Strict, Path=/ cookie with a Max-Age, and names the caller", async () => {
    h = await startHarness();
    const { res, setCookie, cookie } = await signIn(h, "control");
    expect(res.status).toBe(201);
    expect(setCookie).toContain(`${SESSION_COOKIE}=hss_`);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    expect(setCookie).toContain("Path=/");
    expect(setCookie).toContain(`Max-Age=${Math.floor(h.config.http.sessionTtlMs / 1000)}`);
    expect(cookie).not.toContain(h.secrets.control);
    const body = await json(res);
    expect(body).toEqual({
      tokenId: expect.any(String),
      tokenName: "control-token",
      scopes: ["control"],
      via: "session",
      expiresAt: expect.any(String),
    });
  });

  it("stores only a hash of the session id, with the token id, scopes and expiry, in the secret namespace", async () => {
    h = await startHarness();
    const { cookie } = await signIn(h, "read");
    const id = cookie.split("=")[1] ?? "";
    const stored = await h.runtime.kernel.storage.query("auth", { prefix: "session:" });
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(id);
    expect(stored[0]?.value).toEqual(
      expect.objectContaining({
        tokenId: expect.any(String),
        scopes: ["read"],
        expiresAt: expect.any(String),
      }),
    );
  });

  it("needs a bearer token: without one it is 401 like any /api/v1 request", async () => {
    h = await startHarness();
    const res = await h.request("/api/v1/session", { method: "POST" });
    expect(res.status).toBe(401);
    expect((await errorBody(res)).error.code).toBe("AUTH_REQUIRED");
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("does not let a session make another session (sessions cannot outlive their expiry)", async () => {
    h = await startHarness();
    const { cookie } = await signIn(h, "admin");
    const res = await withCookie(h, cookie, "/api/v1/session", { method: "POST", headers: CSRF });
    expect(res.status).toBe(403);
    expect((await errorBody(res)).error.code).toBe("AUTH_FORBIDDEN");
  });

  it(`keeps at most ${MAX_SESSIONS_PER_TOKEN} sessions per token: one more sign-in ends the oldest`, async () => {
    h = await startHarness();
    const first = (await signIn(h, "read")).cookie;
    for (let i = 0; i < MAX_SESSIONS_PER_TOKEN; i++) await signIn(h, "read");
    expect((await withCookie(h, first, "/api/v1/session")).status).toBe(401);
    expect(await h.runtime.kernel.storage.query("auth", { prefix: "session:" })).toHaveLength(
      MAX_SESSIONS_PER_TOKEN,
    );
  });
});

describe("the session cookie as credentials", () => {
  it("is accepted like the token on reads, including the event stream's scope and /health/ready", async () => {
    h = await startHarness();
    const { cookie } = await signIn(h, "read");
    expect((await withCookie(h, cookie, "/api/v1/runtime")).status).toBe(200);
    expect((await withCookie(h, cookie, "/health/ready")).status).toBe(200);
    const me = await json(await withCookie(h, cookie, "/api/v1/session"));
    expect(me).toEqual(
      expect.objectContaining({ tokenName: "read-token", via: "session", scopes: ["read"] }),
    );
  });

  it("carries exactly its token's scopes: a read session is refused an admin route (403)", async () => {
    h = await startHarness();
    const { cookie } = await signIn(h, "read");
    const res = await createToken(h, cookie, CSRF);
    expect(res.status).toBe(403);
    expect((await errorBody(res)).error.code).toBe("AUTH_FORBIDDEN");
    expect((await createToken(h, (await signIn(h, "admin")).cookie, CSRF)).status).toBe(201);
  });

  it("is ignored when a bearer token is sent too (the header wins)", async () => {
    h = await startHarness();
    const { cookie } = await signIn(h, "admin");
    const res = await h.request("/api/v1/tokens", { headers: { Cookie: cookie }, as: "read" });
    expect(res.status).toBe(403);
  });

  it("answers an unknown or forged cookie 401 and tells the browser to drop it", async () => {
    h = await startHarness();
    const forged = `${SESSION_COOKIE}=hss_${"A".repeat(43)}`;
    const res = await withCookie(h, forged, "/api/v1/runtime");
    expect(res.status).toBe(401);
    expect((await errorBody(res)).error.code).toBe("AUTH_INVALID_TOKEN");
    expect(res.headers.get("set-cookie")).toContain(`${SESSION_COOKIE}=;`);
    expect(res.headers.get("www-authenticate")).toContain("invalid_token");
  });

  it("keeps 401 before 404: a bad cookie on an unknown path is 401, a good one gets the 404", async () => {
    h = await startHarness();
    const bad = await withCookie(h, `${SESSION_COOKIE}=nope`, "/api/v1/no/such/route");
    expect(bad.status).toBe(401);
    expect(await bad.text()).not.toContain("no/such");
    const { cookie } = await signIn(h, "read");
    expect((await withCookie(h, cookie, "/api/v1/no/such/route")).status).toBe(404);
  });

  it("counts bad cookies in the failed-auth limiter, and a valid session still passes while throttled", async () => {
    h = await startHarness({ overrides: { "http.authMaxFailures": 3 } });
    const { cookie } = await signIn(h, "read");
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push(
        (await withCookie(h, `${SESSION_COOKIE}=hss_${String(i).repeat(43)}`, "/api/v1/runtime")).status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect((await withCookie(h, cookie, "/api/v1/runtime")).status).toBe(200);
  });
});

describe("CSRF guard on cookie-authenticated changes", () => {
  it("refuses a change without X-Hearth-CSRF: 1 (403 AUTH_CSRF) and nothing is created", async () => {
    h = await startHarness();
    const { cookie } = await signIn(h, "admin");
    const before = await h.tokens.count();
    const res = await createToken(h, cookie, {});
    expect(res.status).toBe(403);
    expect((await errorBody(res)).error.code).toBe("AUTH_CSRF");
    expect(await h.tokens.count()).toBe(before);
  });

  it("refuses a change from another Origin, even with the header", async () => {
    h = await startHarness();
    const { cookie } = await signIn(h, "admin");
    for (const origin of ["https://evil.example", "null", `http://${HOST}.evil.example`]) {
      const res = await createToken(h, cookie, { ...CSRF, Origin: origin });
      expect(res.status).toBe(403);
      expect((await errorBody(res)).error.code).toBe("AUTH_CSRF");
    }
  });

  it("refuses a change the browser marks as cross-site (Sec-Fetch-Site)", async () => {
    h = await startHarness();
    const { cookie } = await signIn(h, "admin");
    const res = await createToken(h, cookie, { ...CSRF, "Sec-Fetch-Site": "cross-site" });
    expect((await errorBody(res)).error.code).toBe("AUTH_CSRF");
  });

  it("accepts a change with the header from the page's own origin", async () => {
    h = await startHarness();
    const { cookie } = await signIn(h, "admin");
    const res = await createToken(h, cookie, {
      ...CSRF,
      Origin: `http://${HOST}`,
      "Sec-Fetch-Site": "same-origin",
    });
    expect(res.status).toBe(201);
  });

  it("does not apply to reads with the cookie, nor to bearer-token requests", async () => {
    h = await startHarness();
    const { cookie } = await signIn(h, "admin");
    expect(
      (await withCookie(h, cookie, "/api/v1/tokens", { headers: { Origin: "https://evil.example" } })).status,
    ).toBe(200);
    const res = await h.postJson("/api/v1/tokens", { name: "bearer", scopes: ["read"] }, "admin");
    expect(res.status).toBe(201);
  });
});

describe("ending sessions", () => {
  it("DELETE /api/v1/session ends the session and clears the cookie", async () => {
    h = await startHarness();
    const { cookie } = await signIn(h, "read");
    const res = await withCookie(h, cookie, "/api/v1/session", { method: "DELETE", headers: CSRF });
    expect(res.status).toBe(204);
    expect(res.headers.get("set-cookie")).toContain(`${SESSION_COOKIE}=;`);
    expect((await withCookie(h, cookie, "/api/v1/runtime")).status).toBe(401);
  });

  it("logging out is a change: without the CSRF header it is refused and the session lives on", async () => {
    h = await startHarness();
    const { cookie } = await signIn(h, "read");
    expect((await withCookie(h, cookie, "/api/v1/session", { method: "DELETE" })).status).toBe(403);
    expect((await withCookie(h, cookie, "/api/v1/runtime")).status).toBe(200);
  });

  it("revoking the token ends its sessions from the next request on", async () => {
    h = await startHarness();
    const { cookie } = await signIn(h, "control");
    const me = await json(await withCookie(h, cookie, "/api/v1/session"));
    const res = await h.request(`/api/v1/tokens/${me.tokenId}`, { method: "DELETE", as: "admin" });
    expect(res.status).toBe(204);
    expect((await withCookie(h, cookie, "/api/v1/runtime")).status).toBe(401);
    expect(await h.runtime.kernel.storage.query("auth", { prefix: "session:" })).toHaveLength(0);
  });

  it("a session expires after its time to live", async () => {
    h = await startHarness();
    let now = Date.now();
    const tokens = createTokenStore({ storage: h.runtime.kernel.storage });
    const sessions = createSessionStore({
      storage: h.runtime.kernel.storage,
      tokens,
      ttlMs: 60_000,
      now: () => now,
    });
    const { token } = await tokens.create({ name: "t", scopes: ["read"] });
    const info = await tokens.verify(token);
    if (info === undefined) throw new Error("token not verified");
    const { id } = await sessions.create(info);
    expect((await sessions.verify(id))?.token.id).toBe(info.id);
    now += 60_000;
    expect(await sessions.verify(id)).toBeUndefined();
    expect(await h.runtime.kernel.storage.query("auth", { prefix: "session:" })).toHaveLength(0);
  });
});
