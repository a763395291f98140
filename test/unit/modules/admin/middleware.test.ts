import { afterEach, describe, expect, it } from "bun:test";
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
