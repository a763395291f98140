import { afterEach, describe, expect, it } from "bun:test";
import { accessLevel } from "../../../../src/modules/admin/access-log.ts";
import { cleanupDirs, type Harness, startHarness } from "./harness.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
  cleanupDirs();
});

describe("access log", () => {
  it("writes one line per request with method, route pattern, status and duration", async () => {
    h = await startHarness();
    await h.request("/api/v1/state/some/key?pattern=x", { as: "read" });
    const lines = h.log.lines.filter((l) => l.msg === "http request");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toEqual(
      expect.objectContaining({
        method: "GET",
        route: "/api/v1/state/:key{.+}",
        status: 404,
        ms: expect.any(Number),
      }),
    );
  });

  it("never carries the token, the raw path, the query or the body", async () => {
    h = await startHarness();
    await h.postJson("/api/v1/tokens", { name: "body-marker", scopes: ["read"] }, "admin");
    await h.request("/api/v1/state/path-marker?q=query-marker", { as: "read" });
    const text = h.log.lines
      .filter((l) => l.msg === "http request")
      .map((l) => JSON.stringify(l))
      .join("\n");
    expect(text).not.toContain(h.secrets.admin);
    expect(text).not.toContain(h.secrets.read);
    for (const marker of ["body-marker", "path-marker", "query-marker"]) expect(text).not.toContain(marker);
  });
});

describe("access log levels (http.accessLog)", () => {
  const accessLines = (x: Harness) => x.log.lines.filter((l) => l.msg === "http request");

  it("by default logs a successful read at debug, a refusal and a change at info", async () => {
    h = await startHarness();
    await h.request("/api/v1/runtime", { as: "read" });
    await h.request("/api/v1/runtime");
    await h.postJson("/api/v1/tokens", { name: "audited", scopes: ["read"] }, "admin");
    const [read, refused, change] = accessLines(h);
    expect(read).toMatchObject({ level: "debug", status: 200 });
    expect(refused).toMatchObject({ level: "info", status: 401 });
    expect(change).toMatchObject({ level: "info", status: 201, audit: true, outcome: "ok" });
  });

  it("logs every request at info when set to all", async () => {
    h = await startHarness({ overrides: { "http.accessLog": "all" } });
    await h.request("/api/v1/runtime", { as: "read" });
    expect(accessLines(h)[0]).toMatchObject({ level: "info", status: 200 });
  });

  it("logs nothing above debug when off, audit records included", async () => {
    h = await startHarness({ overrides: { "http.accessLog": "off" } });
    await h.request("/api/v1/runtime");
    await h.postJson("/api/v1/tokens", { name: "quiet", scopes: ["read"] }, "admin");
    const levels = accessLines(h).map((l) => l.level);
    expect(levels).toEqual(["debug", "debug"]);
  });

  it("puts a server error at warn in every mode but off", () => {
    expect(accessLevel("changes", 500, false)).toBe("warn");
    expect(accessLevel("all", 503, true)).toBe("warn");
    expect(accessLevel("off", 500, true)).toBe("debug");
    expect(accessLevel("changes", 404, false)).toBe("info");
    expect(accessLevel("changes", 204, true)).toBe("info");
    expect(accessLevel("changes", 304, false)).toBe("debug");
  });
});

describe("CORS", () => {
  it("is off by default: no Access-Control headers, even on a preflight", async () => {
    h = await startHarness();
    const res = await h.request("/api/v1/runtime", {
      method: "OPTIONS",
      headers: { Origin: "https://example.com", "Access-Control-Request-Method": "GET" },
    });
    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("answers a preflight from a configured origin and allows the Authorization header", async () => {
    h = await startHarness({ overrides: { "http.corsOrigins": ["https://ui.example"] } });
    const res = await h.request("/api/v1/runtime", {
      method: "OPTIONS",
      headers: {
        Origin: "https://ui.example",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("https://ui.example");
    expect(res.headers.get("Access-Control-Allow-Headers")?.toLowerCase()).toContain("authorization");
  });

  it("does not allow an origin that is not configured", async () => {
    h = await startHarness({ overrides: { "http.corsOrigins": ["https://ui.example"] } });
    const res = await h.request("/api/v1/runtime", {
      headers: { Origin: "https://evil.example" },
      as: "read",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("Access-Control-Allow-Origin")).not.toBe("https://evil.example");
  });
});
