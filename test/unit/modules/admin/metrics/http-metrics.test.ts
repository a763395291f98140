import { describe, expect, it } from "bun:test";
import { Hono } from "hono";
import { HearthError } from "../../../../../src/errors.ts";
import { createMetrics, UNMATCHED_ROUTE } from "../../../../../src/modules/admin/metrics/index.ts";
import { fakeMetrics, find, parseExposition, VERSION, value } from "./exposition.ts";

/** A small app shaped like the admin API: global middleware, an auth-like guard, typed routes. */
function app() {
  const metrics = createMetrics({
    getMetrics: () => fakeMetrics(),
    version: VERSION,
  });
  const a = new Hono<{ Variables: { route: string } }>();
  a.use("*", metrics.httpMiddleware());
  a.use("/api/v1/*", async (c, next) => {
    if (c.req.header("authorization") !== "Bearer good") {
      throw new HearthError("INVALID_ARGUMENT", "no token", { httpStatus: 401 });
    }
    await next();
  });
  a.get("/health", (c) => c.json({ status: "healthy" }));
  a.get("/api/v1/plugins/:name", (c) => c.json({ name: c.req.param("name") }));
  a.get("/api/v1/state/*", (c) => c.json({ key: c.req.path }));
  // Like the admin API's owner dispatch: one catch-all route, the endpoint's own pattern set per request.
  a.get("/api/v1/zigbee/*", (c) => {
    c.set("route", "/api/v1/zigbee/devices/:id");
    return c.json({});
  });
  a.post("/api/v1/boom", () => {
    throw new Error("kaput");
  });
  a.onError((err, c) => c.json({ error: {} }, err instanceof HearthError ? (err.httpStatus as 401) : 500));
  a.notFound((c) => c.json({ error: { code: "NOT_FOUND" } }, 404));
  const scrape = async () => parseExposition((await metrics.render()).body);
  return { app: a, scrape };
}

const auth = { headers: { authorization: "Bearer good" } };

describe("HTTP metrics", () => {
  it("labels requests with the route pattern, not the path", async () => {
    const { app: a, scrape } = app();
    await a.request("/api/v1/plugins/zigbee", auth);
    await a.request("/api/v1/plugins/mqtt", auth);
    const samples = await scrape();
    const labels = { method: "GET", route: "/api/v1/plugins/:name", status: "200" };
    expect(value(samples, "hearth_http_requests_total", labels)).toBe(2);
    expect(
      value(samples, "hearth_http_request_duration_seconds_count", { route: "/api/v1/plugins/:name" }),
    ).toBe(2);
  });

  it("labels wildcard routes with their pattern", async () => {
    const { app: a, scrape } = app();
    await a.request("/api/v1/state/living/lamp/on", auth);
    expect(value(await scrape(), "hearth_http_requests_total", { route: "/api/v1/state/*" })).toBe(1);
  });

  it("prefers the route pattern a handler set for the endpoint it dispatched to", async () => {
    const { app: a, scrape } = app();
    await a.request("/api/v1/zigbee/devices/0x00124b0001", auth);
    const routes = find(await scrape(), "hearth_http_requests_total").map((s) => s.labels.route);
    expect(routes).toEqual(["/api/v1/zigbee/devices/:id"]);
  });

  it("puts every unknown path under one unmatched series", async () => {
    const { app: a, scrape } = app();
    await a.request("/nope");
    await a.request("/wp-login.php");
    const samples = await scrape();
    expect(value(samples, "hearth_http_requests_total", { route: UNMATCHED_ROUTE, status: "404" })).toBe(2);
    expect(find(samples, "hearth_http_requests_total").map((s) => s.labels.route)).toEqual([UNMATCHED_ROUTE]);
  });

  it("records the status an early-answering middleware gave, under the route it guarded", async () => {
    const { app: a, scrape } = app();
    await a.request("/api/v1/plugins/zigbee");
    const samples = await scrape();
    expect(
      value(samples, "hearth_http_requests_total", {
        method: "GET",
        route: "/api/v1/plugins/:name",
        status: "401",
      }),
    ).toBe(1);
  });

  it("records the 500 the error handler turned a throwing handler into", async () => {
    const { app: a, scrape } = app();
    const res = await a.request("/api/v1/boom", { method: "POST", ...auth });
    expect(res.status).toBe(500);
    expect(
      value(await scrape(), "hearth_http_requests_total", {
        method: "POST",
        route: "/api/v1/boom",
        status: "500",
      }),
    ).toBe(1);
  });

  it("folds unknown HTTP methods into OTHER", async () => {
    const { app: a, scrape } = app();
    await a.request("/health", { method: "PROPFIND" });
    const methods = find(await scrape(), "hearth_http_requests_total").map((s) => s.labels.method);
    expect(methods).toEqual(["OTHER"]);
  });

  it("keeps separate series per status of one route", async () => {
    const { app: a, scrape } = app();
    await a.request("/health");
    await a.request("/api/v1/state/x", auth);
    await a.request("/api/v1/state/x");
    const samples = await scrape();
    expect(value(samples, "hearth_http_requests_total", { route: "/api/v1/state/*", status: "200" })).toBe(1);
    expect(value(samples, "hearth_http_requests_total", { route: "/api/v1/state/*", status: "401" })).toBe(1);
    expect(value(samples, "hearth_http_requests_total", { route: "/health", status: "200" })).toBe(1);
  });
});

describe("the /metrics cache window (cacheMs)", () => {
  it("serves the same text to scrapes within the window and renders anew after it", async () => {
    const metrics = createMetrics({ getMetrics: () => fakeMetrics(), version: VERSION, cacheMs: 80 });
    const a = new Hono();
    a.use("*", metrics.httpMiddleware());
    a.get("/health", (c) => c.json({ status: "healthy" }));
    const first = (await metrics.render()).body;
    await a.request("/health");
    expect((await metrics.render()).body).toBe(first);
    await Bun.sleep(100);
    const later = (await metrics.render()).body;
    expect(later).not.toBe(first);
    expect(value(parseExposition(later), "hearth_http_requests_total", { route: "/health" })).toBe(1);
  });

  it("renders on every scrape with no window (the default of createMetrics)", async () => {
    const metrics = createMetrics({ getMetrics: () => fakeMetrics(), version: VERSION });
    const a = new Hono();
    a.use("*", metrics.httpMiddleware());
    a.get("/health", (c) => c.json({ status: "healthy" }));
    const first = (await metrics.render()).body;
    await a.request("/health");
    expect((await metrics.render()).body).not.toBe(first);
  });
});
