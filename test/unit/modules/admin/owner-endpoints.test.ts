import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { z } from "zod";
import { cleanupDirs, type Harness, json, plugin, startHarness } from "./harness.ts";

const seen: unknown[] = [];
const lamp = plugin("lamp", {
  onStart(ctx) {
    ctx.services.register("record", (p: unknown) => {
      seen.push(p);
      return { got: p };
    });
    ctx.services.register("nothing", () => undefined);
    ctx.http.register({
      method: "GET",
      path: "/lamps/:id",
      service: "record",
      summary: "One lamp",
      scope: "read",
      query: z.object({ verbose: z.enum(["yes", "no"]).default("no") }),
    });
    ctx.http.register({
      method: "GET",
      path: "/lamps/all",
      service: "nothing",
      summary: "All",
      scope: "read",
    });
    ctx.http.register({
      method: "POST",
      path: "/lamps/:id/switch",
      service: "record",
      summary: "Switch",
      scope: "control",
      body: z.object({ on: z.boolean() }),
    });
    ctx.http.register({
      method: "PUT",
      path: "/scenes",
      service: "record",
      summary: "Scenes",
      scope: "admin",
    });
  },
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ plugins: [lamp] });
});
afterAll(async () => {
  await h.stop();
  cleanupDirs();
});

describe("owner endpoints", () => {
  it("turns a request into a service call with path params and query merged, defaults applied", async () => {
    const res = await h.request("/api/v1/lamp/lamps/kitchen", { as: "read" });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ got: { id: "kitchen", verbose: "no" } });
  });

  it("merges the JSON body into the params", async () => {
    const res = await h.postJson("/api/v1/lamp/lamps/porch/switch", { on: true }, "control");
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ got: { id: "porch", on: true } });
  });

  it("decodes percent-encoded path parameters", async () => {
    const res = await h.request("/api/v1/lamp/lamps/living%20room", { as: "read" });
    expect(await json(res)).toEqual({ got: { id: "living room", verbose: "no" } });
  });

  it("prefers a static segment over a parameter", async () => {
    const res = await h.request("/api/v1/lamp/lamps/all", { as: "read" });
    expect(res.status).toBe(200);
    expect(await json(res)).toBeNull();
  });

  it("enforces each endpoint's own scope", async () => {
    expect((await h.postJson("/api/v1/lamp/lamps/a/switch", { on: true }, "read")).status).toBe(403);
    expect((await h.request("/api/v1/lamp/scenes", { method: "PUT", as: "control" })).status).toBe(403);
    expect((await h.request("/api/v1/lamp/scenes", { method: "PUT", as: "admin" })).status).toBe(200);
  });

  it("answers 401 before validating anything", async () => {
    const res = await h.request("/api/v1/lamp/lamps/a/switch", { method: "POST", body: "not json" });
    expect(res.status).toBe(401);
  });

  it("refuses a non-object body when the path has parameters", async () => {
    const res = await h.postJson("/api/v1/lamp/lamps/a/switch", [true], "control");
    expect(res.status).toBe(422);
  });

  it("answers 405 with Allow for a method the endpoint does not have", async () => {
    const res = await h.request("/api/v1/lamp/lamps/a", { method: "DELETE", as: "admin" });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("GET, HEAD");
    expect((await h.request("/api/v1/lamp/lamps/a", { method: "HEAD", as: "read" })).status).toBe(200);
  });

  it("stops serving an owner's endpoints when the plugin is disabled and serves them again when enabled", async () => {
    await h.request("/api/v1/plugins/lamp/disable", { method: "POST", as: "admin" });
    expect((await h.request("/api/v1/lamp/lamps/a", { as: "read" })).status).toBe(404);
    await h.request("/api/v1/plugins/lamp/enable", { method: "POST", as: "admin" });
    expect((await h.request("/api/v1/lamp/lamps/a", { as: "read" })).status).toBe(200);
  });

  it("refuses, when it is registered, an endpoint under a name the built-in routes hold", async () => {
    const { http } = h.runtime.kernel;
    let err: unknown;
    try {
      http.register("tokens", {
        method: "GET",
        path: "/:id",
        service: "tokens.steal",
        summary: "x",
        scope: "read",
      });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "HTTP_ROUTE_CONFLICT", data: { owner: "tokens", holder: "admin" } });
    expect((err as Error).message).toContain("reserved for admin");
    // The owner got nothing: GET is still not a method of the built-in path.
    const res = await h.request("/api/v1/tokens/x", { as: "admin" });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("DELETE");
    const doc = await json(await h.request("/openapi.json"));
    expect(doc.paths["/api/v1/tokens/{id}"]?.get).toBeUndefined();
  });

  it("logs the endpoint's pattern, never the raw path", () => {
    const line = h.log.lines.find((l) => l.msg === "http request" && l.route === "/api/v1/lamp/lamps/:id");
    expect(line).toEqual(expect.objectContaining({ method: "GET", status: 200 }));
    expect(h.log.text()).not.toContain("living room");
  });
});
