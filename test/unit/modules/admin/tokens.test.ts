/** `/api/v1/tokens` at scale: paging, the cap on the count, and one log line per creation. */
import { afterEach, describe, expect, it } from "bun:test";
import { cleanupDirs, errorBody, type Harness, json, startHarness } from "./harness.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
  cleanupDirs();
});

/** A harness whose app builds its own token store from the config (http.maxTokens, the log). */
function start(overrides: Record<string, unknown> = {}) {
  return startHarness({ overrides, app: { tokens: undefined } });
}

describe("GET /api/v1/tokens paging", () => {
  it("keeps the old shape: every token under `tokens` without a limit, and next null", async () => {
    h = await start();
    const body = await json(await h.request("/api/v1/tokens", { as: "admin" }));
    expect(body.tokens.map((t: { name: string }) => t.name)).toEqual([
      "read-token",
      "control-token",
      "admin-token",
    ]);
    expect(body.next).toBeNull();
  });

  it("pages with limit and cursor, oldest first, until next is null", async () => {
    h = await start();
    const harness = h;
    for (let i = 0; i < 5; i++)
      await harness.postJson("/api/v1/tokens", { name: `p${i}`, scopes: ["read"] }, "admin");
    const names: string[] = [];
    let url = "/api/v1/tokens?limit=3";
    for (let pages = 1; ; pages++) {
      const res = await harness.request(url, { as: "admin" });
      expect(res.status).toBe(200);
      const body = await json(res);
      expect(body.tokens.length).toBeLessThanOrEqual(3);
      names.push(...body.tokens.map((t: { name: string }) => t.name));
      if (body.next === null) {
        expect(pages).toBe(3);
        break;
      }
      url = `/api/v1/tokens?limit=3&cursor=${encodeURIComponent(body.next)}`;
    }
    expect(names).toEqual(["read-token", "control-token", "admin-token", "p0", "p1", "p2", "p3", "p4"]);
  });

  it("answers a bad limit or cursor with 422", async () => {
    h = await start();
    for (const query of ["limit=0", "limit=1001", "limit=x", "cursor=abc", "cursor=token:1"]) {
      const res = await h.request(`/api/v1/tokens?${query}`, { as: "admin" });
      expect(`${query} ${res.status}`).toBe(`${query} 422`);
      expect((await errorBody(res)).error.code).toBe("VALIDATION_FAILED");
    }
  });
});

describe("http.maxTokens", () => {
  it("refuses one token more with 409 AUTH_TOKEN_LIMIT; revoking one makes room", async () => {
    h = await start({ "http.maxTokens": 4 });
    const fourth = await h.postJson("/api/v1/tokens", { name: "fourth", scopes: ["read"] }, "admin");
    expect(fourth.status).toBe(201);
    const refused = await h.postJson("/api/v1/tokens", { name: "fifth", scopes: ["read"] }, "admin");
    expect(refused.status).toBe(409);
    const body = await errorBody(refused);
    expect(body.error.code).toBe("AUTH_TOKEN_LIMIT");
    expect(body.error.data).toEqual({ tokens: 4, maxTokens: 4 });
    const { info } = await json(fourth);
    expect((await h.request(`/api/v1/tokens/${info.id}`, { method: "DELETE", as: "admin" })).status).toBe(
      204,
    );
    expect((await h.postJson("/api/v1/tokens", { name: "fifth", scopes: ["read"] }, "admin")).status).toBe(
      201,
    );
  });
});

describe("token creation log", () => {
  it("logs a creation exactly once, from the token store; the route adds only its access line", async () => {
    h = await start();
    const before = h.log.lines.length;
    const res = await h.postJson("/api/v1/tokens", { name: "log-once", scopes: ["read"] }, "admin");
    expect(res.status).toBe(201);
    const { token, info } = await json(res);
    const lines = h.log.lines.slice(before);
    const created = lines.filter((l) => l.msg === "token created");
    expect(created).toHaveLength(1);
    expect(created[0]).toEqual(expect.objectContaining({ component: "auth", id: info.id, name: "log-once" }));
    // Whatever else the request wrote is its one access/audit line; nothing else names the token.
    expect(lines.filter((l) => l.msg !== "token created").map((l) => l.msg)).toEqual(["http request"]);
    expect(lines.filter((l) => JSON.stringify(l).includes(info.id))).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toContain(token);
  });
});
