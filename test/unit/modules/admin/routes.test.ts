import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { cleanupDirs, errorBody, type Harness, json, plugin, startHarness } from "./harness.ts";

let loads = 0;
const lamp = plugin(
  "lamp",
  {
    async onStart(ctx) {
      loads++;
      ctx.services.register("switch", (p: { on: boolean }) => ({ on: p.on }), {
        schema: ctx.z.object({ on: ctx.z.boolean() }),
      });
      ctx.state.set("lamp/kitchen", { on: false });
      await ctx.storage.set("lamp", "kitchen", { on: false });
    },
  },
  { isIntegration: true, description: "A lamp" },
);

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    plugins: [lamp],
    overrides: {
      "storage.secretNamespaces": ["vault"],
      plugins: { lamp: { enabled: true, config: { apiKey: "s3cret-api-key" } } },
    },
  });
  // Secrets that must never come out: a secret namespace and a state key that merely looks like one.
  await h.runtime.kernel.storage.set("vault", "wifi", { password: "hunter2" });
  h.runtime.kernel.state.set("secrets/leak", { v: "hunter2" });
});
afterAll(async () => {
  await h.stop();
  cleanupDirs();
});

describe("runtime, modules, integrations, health", () => {
  it("GET /api/v1/runtime gives version, phase, uptime and the config without secrets", async () => {
    const res = await h.request("/api/v1/runtime", { as: "read" });
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text);
    expect(body.phase).toBe("started");
    expect(body.version.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.config.http.port).toBe(h.config.http.port);
    expect(body.config.storage.secretNamespaces).toEqual(
      expect.arrayContaining(["auth", "secrets", "vault"]),
    );
    expect(body.config.plugins.lamp).toEqual({ enabled: true });
    expect(text).not.toContain("s3cret-api-key");
  });

  it("GET /api/v1/modules lists the modules with their state", async () => {
    const body = await json(await h.request("/api/v1/modules", { as: "read" }));
    expect(body.modules.map((m: { name: string }) => m.name)).toContain("logger");
  });

  it("GET /api/v1/integrations lists what the integrations give", async () => {
    const app = (await import("../../../../src/modules/admin/index.ts")).createAdminApp({
      kernel: {
        ...h.runtime.kernel,
        integrations: {
          ...h.runtime.kernel.integrations,
          list: () => [
            { name: "lamp", version: "1.0.0", status: "enabled", updatedAt: "2024-01-01T00:00:00Z" },
          ],
        },
      },
      tokens: h.tokens,
    });
    const res = await app.request("/api/v1/integrations", {
      headers: { Authorization: `Bearer ${h.secrets.read}` },
    });
    expect(await json(res)).toEqual({
      integrations: [
        { name: "lamp", version: "1.0.0", status: "enabled", updatedAt: "2024-01-01T00:00:00Z" },
      ],
    });
  });

  it("GET /health answers 503 with a tiny body once the runtime is no longer healthy", async () => {
    const other = await startHarness();
    await other.stop();
    const res = await other.request("/health");
    expect(res.status).toBe(503);
    expect(await json(res)).toEqual({ status: "unhealthy" });
  });

  it("GET /health/ready gives the per-component report to a read token", async () => {
    const res = await h.request("/health/ready", { as: "read" });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.checks.storage.status).toBe("healthy");
    expect(body.checks.plugins.plugins.lamp.status).toBe("healthy");
  });

  it("GET /metrics answers Prometheus text to a read token", async () => {
    const res = await h.request("/metrics", { as: "read" });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toContain("text/plain");
    expect(await res.text()).toContain("hearth_http_requests_total");
  });
});

describe("plugins", () => {
  it("lists plugins with their state", async () => {
    const body = await json(await h.request("/api/v1/plugins", { as: "read" }));
    expect(body.plugins).toEqual([expect.objectContaining({ name: "lamp", state: "started" })]);
    expect(body.problems).toEqual([]);
  });

  it("reloads a plugin through the API", async () => {
    const before = loads;
    const res = await h.request("/api/v1/plugins/lamp/reload", { method: "POST", as: "admin" });
    expect(res.status).toBe(200);
    expect((await json(res)).state).toBe("started");
    expect(loads).toBe(before + 1);
  });

  it("disables and enables a plugin through the API", async () => {
    const off = await h.request("/api/v1/plugins/lamp/disable", { method: "POST", as: "admin" });
    expect((await json(off)).state).toBe("disabled");
    expect(h.runtime.kernel.services.has("lamp.switch")).toBe(false);
    const on = await h.request("/api/v1/plugins/lamp/enable", { method: "POST", as: "admin" });
    expect((await json(on)).state).toBe("started");
    expect(h.runtime.kernel.services.has("lamp.switch")).toBe(true);
  });

  it("answers 404 with PLUGIN_NOT_FOUND for an unknown plugin", async () => {
    const res = await h.request("/api/v1/plugins/ghost/reload", { method: "POST", as: "admin" });
    expect(res.status).toBe(404);
    expect((await errorBody(res)).error.code).toBe("PLUGIN_NOT_FOUND");
  });
});

describe("services", () => {
  it("lists services", async () => {
    const body = await json(await h.request("/api/v1/services", { as: "read" }));
    expect(body.services.map((s: { name: string }) => s.name)).toContain("lamp.switch");
  });

  it("calls a service with JSON params and returns its result", async () => {
    const res = await h.postJson("/api/v1/services/lamp.switch/call", { on: true }, "admin");
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ result: { on: true } });
  });

  it("passes the service's own validation failure through as 422", async () => {
    const res = await h.postJson("/api/v1/services/lamp.switch/call", { on: "yes" }, "admin");
    expect(res.status).toBe(422);
    expect((await errorBody(res)).error.code).toBe("SERVICE_INVALID_PARAMS");
  });

  it("answers 404 for an unknown service and 403 to a control token", async () => {
    expect((await h.postJson("/api/v1/services/ghost.x/call", {}, "admin")).status).toBe(404);
    expect((await h.postJson("/api/v1/services/lamp.switch/call", { on: true }, "control")).status).toBe(403);
  });
});

describe("state", () => {
  it("lists keys by pattern, leaving out secret namespaces", async () => {
    const all = await json(await h.request("/api/v1/state?pattern=**", { as: "read" }));
    expect(all.keys).toContain("lamp/kitchen");
    expect(all.keys).not.toContain("secrets/leak");
    const some = await json(await h.request("/api/v1/state?pattern=lamp/*", { as: "read" }));
    expect(some.keys).toEqual(expect.arrayContaining(["lamp/kitchen"]));
    expect(some.keys.every((k: string) => k.startsWith("lamp/"))).toBe(true);
  });

  it("gets one key, whose name contains a slash, written plainly or encoded", async () => {
    for (const path of ["/api/v1/state/lamp/kitchen", "/api/v1/state/lamp%2Fkitchen"]) {
      const res = await h.request(path, { as: "read" });
      expect(res.status).toBe(200);
      expect(await json(res)).toEqual({ key: "lamp/kitchen", value: { on: false } });
    }
  });

  it("refuses a key under a secret namespace with 403", async () => {
    const res = await h.request("/api/v1/state/secrets/leak", { as: "admin" });
    expect(res.status).toBe(403);
    const text = await res.text();
    expect(JSON.parse(text).error.code).toBe("AUTH_FORBIDDEN");
    expect(text).not.toContain("hunter2");
  });

  it("answers 404 for a key that does not exist", async () => {
    const res = await h.request("/api/v1/state/lamp/none", { as: "read" });
    expect(res.status).toBe(404);
    expect((await errorBody(res)).error.code).toBe("NOT_FOUND");
  });
});

describe("storage", () => {
  it("lists namespaces with counts, marking secret ones", async () => {
    const body = await json(await h.request("/api/v1/storage", { as: "admin" }));
    expect(body.namespaces).toEqual(
      expect.arrayContaining([
        { namespace: "lamp", keys: 1, secret: false },
        { namespace: "vault", keys: 1, secret: true },
        expect.objectContaining({ namespace: "auth", secret: true }),
      ]),
    );
  });

  it("gives keys and values of a non-secret namespace", async () => {
    const res = await h.request("/api/v1/storage/lamp", { as: "admin" });
    expect(await json(res)).toEqual({
      namespace: "lamp",
      entries: [{ key: "kitchen", value: { on: false } }],
      truncated: false,
    });
  });

  it("cuts the list at limit and says so", async () => {
    await h.runtime.kernel.storage.set("lamp", "porch", { on: true });
    const body = await json(await h.request("/api/v1/storage/lamp?limit=1", { as: "admin" }));
    expect(body.entries).toHaveLength(1);
    expect(body.truncated).toBe(true);
  });

  it("refuses secret namespaces with 403 whatever the token", async () => {
    for (const ns of ["vault", "auth"]) {
      const res = await h.request(`/api/v1/storage/${ns}`, { as: "admin" });
      expect(res.status).toBe(403);
      expect(await res.text()).not.toContain("hunter2");
    }
  });

  it("answers 404 for an empty namespace", async () => {
    expect((await h.request("/api/v1/storage/nothing-here", { as: "admin" })).status).toBe(404);
  });
});

describe("tokens", () => {
  it("creates a token, uses it, revokes it, and it is refused afterwards", async () => {
    const created = await h.postJson("/api/v1/tokens", { name: "ci", scopes: ["read"] }, "admin");
    expect(created.status).toBe(201);
    const { token, info } = await json(created);
    expect(info).toEqual(expect.objectContaining({ name: "ci", scopes: ["read"] }));
    const auth = { headers: { Authorization: `Bearer ${token}` } };

    expect((await h.request("/api/v1/runtime", auth)).status).toBe(200);
    const revoked = await h.request(`/api/v1/tokens/${info.id}`, { method: "DELETE", as: "admin" });
    expect(revoked.status).toBe(204);
    const after = await h.request("/api/v1/runtime", auth);
    expect(after.status).toBe(401);
    expect((await errorBody(after)).error.code).toBe("AUTH_INVALID_TOKEN");
  });

  it("lists tokens without their secrets", async () => {
    const res = await h.request("/api/v1/tokens", { as: "admin" });
    const text = await res.text();
    expect(JSON.parse(text).tokens.map((t: { name: string }) => t.name)).toEqual(
      expect.arrayContaining(["read-token", "admin-token"]),
    );
    for (const secret of Object.values(h.secrets)) expect(text).not.toContain(secret);
  });

  it("answers 404 when revoking an unknown token", async () => {
    const res = await h.request("/api/v1/tokens/does-not-exist", { method: "DELETE", as: "admin" });
    expect(res.status).toBe(404);
    expect((await errorBody(res)).error.code).toBe("AUTH_TOKEN_NOT_FOUND");
  });

  it("never logs a token", () => {
    const text = h.log.text();
    for (const secret of Object.values(h.secrets)) expect(text).not.toContain(secret);
  });
});
