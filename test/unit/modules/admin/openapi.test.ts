import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { z } from "zod";
import { cleanupDirs, type Harness, plugin, startHarness } from "./harness.ts";

type Doc = {
  openapi: string;
  info: { license?: { name: string }; contact?: unknown };
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  tags: { name: string }[];
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};
type Operation = {
  operationId?: string;
  security?: unknown[];
  "x-scope"?: string;
  tags?: string[];
  responses: Record<
    string,
    {
      content?: Record<string, { schema: unknown }>;
      headers?: Record<string, { required?: boolean }>;
      links?: Record<string, { operationId: string; parameters: Record<string, string> }>;
    }
  >;
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: unknown;
};

const lamp = plugin("lamp", {
  onStart(ctx) {
    ctx.services.register("get", (p: { id: string }) => ({ id: p.id, on: false }));
    ctx.http.register({
      method: "GET",
      path: "/lamps/:id",
      service: "get",
      summary: "One lamp",
      scope: "read",
      params: z.object({ id: z.string().min(1) }),
      query: z.object({ verbose: z.enum(["yes", "no"]).optional() }),
      response: z.object({ id: z.string(), on: z.boolean() }),
    });
    ctx.http.register({
      method: "POST",
      path: "/lamps/:id",
      service: "get",
      summary: "Switch a lamp",
      scope: "control",
      body: z.object({ on: z.boolean() }),
    });
  },
});

let h: Harness;
let doc: Doc;
beforeAll(async () => {
  h = await startHarness({ plugins: [lamp] });
  doc = (await (await h.request("/openapi.json")).json()) as Doc;
});
afterAll(async () => {
  await h.stop();
  cleanupDirs();
});

/** Every documented operation: [method, path]. */
function operations(): [string, string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => [method, path, op] as [string, string, Operation]),
  );
}

describe("GET /openapi.json", () => {
  it("is public and an OpenAPI 3.1 document", async () => {
    const res = await h.request("/openapi.json");
    expect(res.status).toBe(200);
    expect(doc.openapi).toBe("3.1.0");
  });

  it("passes a real OpenAPI validator", async () => {
    const result = await new Validator().validate(doc as never);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it("documents every built-in route", () => {
    const documented = new Set(operations().map(([m, p]) => `${m.toUpperCase()} ${p}`));
    for (const route of [
      "GET /health",
      "GET /health/ready",
      "GET /metrics",
      "GET /openapi.json",
      "GET /api/v1/runtime",
      "GET /api/v1/modules",
      "GET /api/v1/plugins",
      "POST /api/v1/plugins/{name}/reload",
      "POST /api/v1/plugins/{name}/enable",
      "POST /api/v1/plugins/{name}/disable",
      "GET /api/v1/services",
      "POST /api/v1/services/{name}/call",
      "GET /api/v1/state",
      "GET /api/v1/state/{key}",
      "GET /api/v1/storage",
      "GET /api/v1/storage/{namespace}",
      "GET /api/v1/integrations",
      "GET /api/v1/events/stream",
      "GET /api/v1/tokens",
      "POST /api/v1/tokens",
      "DELETE /api/v1/tokens/{id}",
    ]) {
      expect(documented.has(route)).toBe(true);
    }
  });

  it("marks every /api/v1 operation with bearer security and a scope", () => {
    const api = operations().filter(([, p]) => p.startsWith("/api/v1"));
    expect(api.length).toBeGreaterThanOrEqual(19);
    for (const [, , op] of api) {
      expect(op.security).toEqual([{ bearer: [] }, { session: [] }]);
      expect(["read", "control", "admin"]).toContain(op["x-scope"] as string);
    }
    expect(doc.components.securitySchemes.bearer).toEqual(expect.objectContaining({ scheme: "bearer" }));
  });

  it("makes every error response reference the one Error schema", () => {
    let errors = 0;
    for (const [, path, op] of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        // The probes answer 503 with their own body (`{ status }`, the health report), by design.
        if (status === "503" && path.startsWith("/health")) continue;
        errors++;
        expect(response.content?.["application/json"]?.schema).toEqual({
          $ref: "#/components/schemas/Error",
        });
      }
    }
    expect(errors).toBeGreaterThan(50);
    expect(doc.components.schemas.Error).toBeDefined();
  });

  it("documents 401 and 403 on every authenticated operation and nothing of the kind on /health", () => {
    for (const [, path, op] of operations()) {
      if (op["x-scope"] === "public") continue;
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["401", "403", "429"]));
      expect(path).not.toBe("/health");
    }
    expect(doc.paths["/health"]?.get?.security).toEqual([]);
  });

  it("gives every operation a unique operationId, and has servers, a license and a contact", () => {
    const ids = operations().map(([, , op]) => op.operationId);
    expect(ids.every((id) => typeof id === "string" && /^[A-Za-z][A-Za-z0-9_]*$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths["/api/v1/tokens"]?.post?.operationId).toBe("createToken");
    expect(doc.paths["/api/v1/lamp/lamps/{id}"]?.get?.operationId).toBe("get_lamp_lamps_id");
    expect(doc.servers?.[0]?.url).toBe("/");
    expect(doc.info.license?.name).toBe("MIT");
    expect(doc.info.contact).toBeDefined();
  });

  it("sends WWW-Authenticate with every 401 and Retry-After with every 429", () => {
    for (const [, , op] of operations()) {
      if (op["x-scope"] === "public") continue;
      expect(op.responses["401"]?.headers?.["WWW-Authenticate"]?.required).toBe(true);
      expect(op.responses["429"]?.headers?.["Retry-After"]?.required).toBe(true);
    }
  });

  it("documents 413 where a body can arrive, and 415 where one is read as JSON", () => {
    for (const [method, path, op] of operations()) {
      const statuses = Object.keys(op.responses);
      if (method === "get") expect(statuses).not.toContain("413");
      else expect([path, statuses.includes("413")]).toEqual([path, true]);
      if (op.requestBody !== undefined) expect([path, statuses.includes("415")]).toEqual([path, true]);
    }
  });

  it("links a created token to the operation that revokes it", () => {
    const links = doc.paths["/api/v1/tokens"]?.post?.responses["201"]?.links;
    expect(links?.revokeToken).toEqual(
      expect.objectContaining({ operationId: "revokeToken", parameters: { id: "$response.body#/info/id" } }),
    );
    const ids = new Set(operations().map(([, , op]) => op.operationId));
    expect(ids.has(links?.revokeToken?.operationId)).toBe(true);
  });

  it("includes owner endpoints from their zod schemas, tagged by owner", () => {
    const get = doc.paths["/api/v1/lamp/lamps/{id}"]?.get;
    expect(get?.tags).toEqual(["lamp"]);
    expect(get?.["x-scope"]).toBe("read");
    expect(get?.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "id", in: "path", required: true }),
        expect.objectContaining({ name: "verbose", in: "query", required: false }),
      ]),
    );
    expect(get?.responses["200"]?.content?.["application/json"]?.schema).toEqual(
      expect.objectContaining({ type: "object", required: ["id", "on"] }),
    );
    const post = doc.paths["/api/v1/lamp/lamps/{id}"]?.post;
    expect(post?.["x-scope"]).toBe("control");
    expect(post?.requestBody).toEqual(
      expect.objectContaining({
        required: true,
        content: { "application/json": { schema: expect.objectContaining({ required: ["on"] }) } },
      }),
    );
    expect(doc.tags.map((t) => t.name)).toContain("lamp");
  });

  it("follows the registry: an owner's endpoints leave the document when it is disabled", async () => {
    await h.postJson("/api/v1/plugins/lamp/disable", undefined, "admin");
    const after = (await (await h.request("/openapi.json")).json()) as Doc;
    expect(after.paths["/api/v1/lamp/lamps/{id}"]).toBeUndefined();
    await h.postJson("/api/v1/plugins/lamp/enable", undefined, "admin");
    const back = (await (await h.request("/openapi.json")).json()) as Doc;
    expect(back.paths["/api/v1/lamp/lamps/{id}"]).toBeDefined();
  });
});

describe("authentication of every documented /api/v1 route", () => {
  /** A concrete URL for a documented path: each `{param}` filled with a plausible value. */
  const concrete = (path: string) =>
    path.replace(/\{([^}]+)\}/g, (_, name: string) => (name === "name" ? "lamp" : "x"));

  it("answers 401 with the error shape and a Bearer challenge to every /api/v1 operation without a token", async () => {
    const api = operations().filter(([, p]) => p.startsWith("/api/v1"));
    expect(api.length).toBeGreaterThanOrEqual(19);
    for (const [method, path] of api) {
      const res = await h.request(concrete(path), { method: method.toUpperCase() });
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect({ route: `${method} ${path}`, status: res.status }).toEqual({
        route: `${method} ${path}`,
        status: 401,
      });
      expect(body.error.code).toBe("AUTH_REQUIRED");
      expect(typeof body.error.message).toBe("string");
      expect(res.headers.get("WWW-Authenticate")).toStartWith("Bearer");
    }
  });

  it("answers 401 to /health/ready and /metrics without a token but 200 to /health", async () => {
    expect((await h.request("/health/ready")).status).toBe(401);
    expect((await h.request("/metrics")).status).toBe(401);
    expect((await h.request("/health")).status).toBe(200);
  });

  it("answers 403 to every admin operation called with a read token", async () => {
    const adminOnly = operations().filter(([, , op]) => op["x-scope"] === "admin");
    expect(adminOnly.length).toBeGreaterThan(8);
    for (const [method, path] of adminOnly) {
      const res = await h.request(concrete(path), { method: method.toUpperCase(), as: "read" });
      expect({ route: `${method} ${path}`, status: res.status }).toEqual({
        route: `${method} ${path}`,
        status: 403,
      });
      const body = (await res.json()) as { error: { code: string } };
      expect(body.error.code).toBe("AUTH_FORBIDDEN");
    }
  });

  it("answers 403 to a control operation called with a read token", async () => {
    const res = await h.postJson("/api/v1/lamp/lamps/1", { on: true }, "read");
    expect(res.status).toBe(403);
  });
});
