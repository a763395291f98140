import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { z } from "zod";
import { HearthError } from "../../../../src/errors.ts";
import { cleanupDirs, errorBody, type Harness, plugin, startHarness } from "./harness.ts";

const INTERNAL = "db password hunter2 at /var/lib/hearth/secret.db";

const faulty = plugin("faulty", {
  onStart(ctx) {
    ctx.services.register("crash", () => {
      throw new Error(INTERNAL);
    });
    ctx.services.register("mirror", () => {
      throw new HearthError("MIRROR_FAILED", `Mirroring failed: ${INTERNAL}`, { data: { detail: INTERNAL } });
    });
    ctx.http.register({ method: "GET", path: "/crash", service: "crash", summary: "Throws", scope: "read" });
    ctx.http.register({
      method: "GET",
      path: "/mirror",
      service: "mirror",
      summary: "Throws coded",
      scope: "read",
    });
    ctx.services.register("echo", (p: unknown) => p);
    ctx.http.register({
      method: "POST",
      path: "/echo/:n",
      service: "echo",
      summary: "Echo",
      scope: "read",
      params: z.object({ n: z.coerce.number().int() }),
      body: z.object({ text: z.string().max(5) }),
    });
  },
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ plugins: [faulty], overrides: { "http.maxBodyBytes": 1024 } });
});
afterAll(async () => {
  await h.stop();
  cleanupDirs();
});

function expectErrorShape(body: unknown): void {
  expect(body).toEqual({
    error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
  });
  const keys = Object.keys((body as { error: object }).error);
  for (const k of keys) expect(["code", "message", "data"]).toContain(k);
}

describe("errors on the wire", () => {
  it("answers an unknown route with 404 JSON in the error shape", async () => {
    for (const path of ["/nope", "/api/v1/nope", "/api/v1/faulty/missing"]) {
      const res = await h.request(path, { as: "admin" });
      expect(res.status).toBe(404);
      const body = await errorBody(res);
      expectErrorShape(body);
      expect(body.error.code).toBe("NOT_FOUND");
      expect(body.error.message).toContain(path);
    }
  });

  it("answers every /api/v1 path without valid credentials 401, known or not, without echoing it", async () => {
    const paths = [
      "/api/v1",
      "/api/v1/",
      "/api/v1/runtime",
      "/api/v1/nope",
      "/api/v1/faulty/crash",
      "/api/v1/faulty/missing",
      "/api/v1/zigbee/permit-join",
      "/api/v1/tokens/abc/def",
    ];
    const bad = [{ Authorization: `Bearer hth_${"Q".repeat(43)}` }, { Authorization: "Basic x" }];
    for (const headers of [{}, ...bad]) {
      for (const method of ["GET", "POST", "DELETE", "PATCH"]) {
        for (const path of paths) {
          const res = await h.request(path, { method, headers });
          const text = await res.text();
          // Bad tokens past http.authMaxFailures are throttled (429); never a 404 that maps routes.
          const expected = headers === bad[0] || headers === bad[1] ? [401, 429] : [401];
          expect(expected).toContain(res.status);
          if (res.status === 401) expect(res.headers.get("www-authenticate")).toStartWith("Bearer");
          expect(JSON.parse(text).error.code).toMatch(/^AUTH_(REQUIRED|INVALID_TOKEN|RATE_LIMITED)$/);
          expect(text).not.toContain("nope");
          expect(text).not.toContain("zigbee");
        }
      }
    }
    // The throttled address still gets in with a valid token.
    expect((await h.request("/api/v1/runtime", { as: "read" })).status).toBe(200);
  });

  it("answers a body over the limit on /api/v1 without credentials 401, not 413", async () => {
    for (const path of ["/api/v1/tokens", "/api/v1/faulty/echo/1", "/api/v1/unknown"]) {
      const res = await h.request(path, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ pad: "x".repeat(4096) }),
      });
      expect(`${path} ${res.status}`).toBe(`${path} 401`);
      expect((await errorBody(res)).error.code).toBe("AUTH_REQUIRED");
    }
    const lines = h.log.lines.filter((l) => l.msg === "http request" && l.status === 413);
    expect(lines).toEqual([]);
  });

  it("keeps the public routes public and unknown paths outside /api/v1 a 404", async () => {
    expect((await h.request("/health")).status).toBe(200);
    expect((await h.request("/openapi.json")).status).toBe(200);
    expect((await h.request("/metrics")).status).toBe(401);
    expect((await h.request("/health/ready")).status).toBe(401);
    expect((await h.request("/nope")).status).toBe(404);
  });

  it("records a request whose client went away mid-body as 499, not as a logged 500", async () => {
    const client = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"text":'));
      },
      pull(c) {
        // What the server sees when the connection drops: the request is aborted, the body read fails.
        client.abort();
        c.error(new Error("The connection was closed."));
      },
    });
    const res = await h.request("/api/v1/faulty/echo/1", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
      signal: client.signal,
      as: "read",
    } as RequestInit & { as: "read" });
    expect(res.status).toBe(499);
    expect((await errorBody(res)).error.code).toBe("CLIENT_CLOSED_REQUEST");
  });

  it("answers a wrong method on a known path with 405 and the methods it takes in Allow", async () => {
    const res = await h.request("/api/v1/runtime", { method: "DELETE", as: "admin" });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("GET, HEAD");
    const body = await errorBody(res);
    expectErrorShape(body);
    expect(body.error).toMatchObject({ code: "METHOD_NOT_ALLOWED", data: { allow: ["GET", "HEAD"] } });
  });

  it("answers a wrong method on a public path with 405 too, and an unknown path with 404", async () => {
    const res = await h.request("/health", { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("GET, HEAD");
    expect((await h.request("/no/such/path", { method: "POST" })).status).toBe(404);
  });

  it("answers a wrong method on an /api/v1 path without a token with 401, not 405", async () => {
    const res = await h.request("/api/v1/tokens", { method: "PUT" });
    expect(res.status).toBe(401);
    expect(res.headers.get("Allow")).toBeNull();
  });

  it("answers malformed JSON with 400 and a clear message", async () => {
    const res = await h.request("/api/v1/tokens", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{ not json",
      as: "admin",
    });
    expect(res.status).toBe(400);
    const body = await errorBody(res);
    expectErrorShape(body);
    expect(body.error.code).toBe("INVALID_JSON");
    expect(body.error.message).toContain("Malformed JSON");
  });

  it("answers malformed JSON to an owner endpoint with 400 too", async () => {
    const res = await h.request("/api/v1/faulty/echo/1", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "[1,",
      as: "read",
    });
    expect(res.status).toBe(400);
    expect((await errorBody(res)).error.message).toContain("Malformed JSON");
  });

  it("answers a schema failure with 422 naming each issue path", async () => {
    const res = await h.postJson("/api/v1/tokens", { name: "", scopes: ["root"] }, "admin");
    expect(res.status).toBe(422);
    const body = await errorBody(res);
    expectErrorShape(body);
    expect(body.error.code).toBe("VALIDATION_FAILED");
    const data = body.error.data as { target: string; issues: { path: unknown[]; message: string }[] };
    expect(data.target).toBe("json");
    expect(data.issues.map((i) => i.path)).toEqual(expect.arrayContaining([["name"], ["scopes", 0]]));
  });

  it("answers an owner endpoint's param and body failures with 422", async () => {
    const badParam = await h.postJson("/api/v1/faulty/echo/abc", { text: "hi" }, "read");
    expect(badParam.status).toBe(422);
    expect(((await errorBody(badParam)).error.data as { target: string }).target).toBe("param");
    const badBody = await h.postJson("/api/v1/faulty/echo/1", { text: "far too long" }, "read");
    expect(badBody.status).toBe(422);
    const data = (await errorBody(badBody)).error.data as { issues: { path: unknown[] }[] };
    expect(data.issues[0]?.path).toEqual(["text"]);
  });

  it("answers a body over http.maxBodyBytes with 413", async () => {
    const res = await h.postJson("/api/v1/tokens", { name: "x".repeat(2000), scopes: ["read"] }, "admin");
    expect(res.status).toBe(413);
    const body = await errorBody(res);
    expectErrorShape(body);
    expect(body.error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(body.error.data).toEqual({ maxBytes: 1024 });
  });

  it("answers a chunked body over the limit with 413 too", async () => {
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(new TextEncoder().encode("x".repeat(400)));
        controller.close();
      },
    });
    const res = await h.request("/api/v1/faulty/echo/1", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: chunks,
      as: "read",
    });
    expect(res.status).toBe(413);
  });

  it("answers a non-JSON body with 415", async () => {
    const res = await h.request("/api/v1/tokens", {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: "hello",
      as: "admin",
    });
    expect(res.status).toBe(415);
    const body = await errorBody(res);
    expectErrorShape(body);
    expect(body.error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("answers an unexpected failure with a 500 that carries no internal message or stack", async () => {
    const res = await h.request("/api/v1/faulty/crash", { as: "read" });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: "INTERNAL_ERROR", message: "Internal error" } });
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("at ");
  });

  it("logs the detail of a 500 for the operator", () => {
    const line = h.log.lines.find((l) => l.msg === "request failed" && String(l.err).includes("hunter2"));
    expect(line).toBeDefined();
    expect(line?.route).toBe("/api/v1/faulty/crash");
  });

  it("keeps a coded 5xx's code but not its message or data", async () => {
    const res = await h.request("/api/v1/faulty/mirror", { as: "read" });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text).error.code).toBe("MIRROR_FAILED");
    expect(text).not.toContain("hunter2");
    expect(JSON.parse(text).error.data).toBeUndefined();
  });

  it("answers 401 for an invalid token and 429 with Retry-After once the address failed too often", async () => {
    const limited = await startHarness({ overrides: { "http.authMaxFailures": 2 } });
    try {
      const bad = { headers: { Authorization: "Bearer nope" } };
      expect((await limited.request("/api/v1/runtime", bad)).status).toBe(401);
      expect((await limited.request("/api/v1/runtime", bad)).status).toBe(401);
      const res = await limited.request("/api/v1/runtime", bad);
      expect(res.status).toBe(429);
      expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
      const body = await errorBody(res);
      expectErrorShape(body);
      expect(body.error.code).toBe("AUTH_RATE_LIMITED");
    } finally {
      await limited.stop();
    }
  });

  it("answers a bad state pattern with 400 from the state engine's code", async () => {
    const res = await h.request("/api/v1/state?pattern=%20bad%20", { as: "read" });
    expect(res.status).toBe(400);
    expect((await errorBody(res)).error.code).toBe("STATE_INVALID_KEY");
  });
});
