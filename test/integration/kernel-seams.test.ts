/**
 * The kernel seams through the public surface: the state mirror holds across restarts and reports
 * drift in /health/ready, reserved names are refused with a clear error, one charset for names.
 */
import { afterAll, describe, expect, it } from "bun:test";
import { z } from "zod";
import { defineModule } from "../../src/kernel/modules/index.ts";
import { type Booted, bootRuntime, dataDir, plugin, removeDataDirs } from "../helpers/runtime.ts";

const running: Booted[] = [];
async function boot(...args: Parameters<typeof bootRuntime>): Promise<Booted> {
  const b = await bootRuntime(...args);
  running.push(b);
  return b;
}
afterAll(async () => {
  for (const b of running) await b.stop();
  removeDataDirs();
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by expect()
type Json = any;

describe("the state mirror", () => {
  const demo = () => plugin("demo", {});

  it("keeps plugins/<name> in state equal to storage across disable, restart and enable (the drift)", async () => {
    const dir = dataDir();
    const first = await boot({ dir, plugins: [demo()] });
    await first.json("/api/v1/plugins/demo/disable", { method: "POST" });
    expect(first.kernel.state.get("plugins/demo")).toEqual({ enabled: false });
    await first.stop();

    const second = await boot({ dir, plugins: [demo()] });
    expect(second.kernel.state.get("plugins/demo")).toEqual({ enabled: false });
    await second.json("/api/v1/plugins/demo/enable", { method: "POST" });
    expect(await second.kernel.storage.get("plugins", "demo")).toEqual({ enabled: true });
    expect(second.kernel.state.get("plugins/demo")).toEqual({ enabled: true });
    const report = await second.kernel.mirror.checkConsistency();
    expect(report.consistent).toBe(true);
    const ready: Json = await second.json("/health/ready");
    expect(ready.checks.mirror).toEqual({ status: "healthy" });
  });

  it("mirrors integration records too, and names a key that drifted in /health/ready (degraded)", async () => {
    const b = await boot({ plugins: [plugin("lamp", {}, { isIntegration: true })] });
    expect(b.kernel.state.get("integrations/lamp")).toMatchObject({ name: "lamp", status: "enabled" });
    // Drift made by hand: state is writable by the kernel, storage still says "enabled".
    b.kernel.state.set("integrations/lamp", { name: "lamp", status: "error" });
    const res = await b.request("/health/ready");
    const ready: Json = await res.json();
    expect(res.status).toBe(200);
    expect(ready.status).toBe("degraded");
    expect(ready.checks.mirror.status).toBe("degraded");
    expect(ready.checks.mirror.detail).toContain("integrations/lamp (differs)");
    await b.kernel.mirror.syncFromStorage();
    expect((await b.json<Json>("/health/ready")).checks.mirror.status).toBe("healthy");
  });

  it("does not mirror a plugin's own storage namespace", async () => {
    const b = await boot({
      plugins: [
        plugin("keeper", {
          async onStart(ctx) {
            await ctx.storage.set("keeper", "doc", { v: 1 });
          },
        }),
      ],
    });
    expect(await b.kernel.storage.get("keeper", "doc")).toEqual({ v: 1 });
    expect(b.kernel.state.has("keeper/doc")).toBe(false);
  });
});

describe("reserved names", () => {
  it("refuses a plugin named like a built-in route at discovery, with a clear error, and starts the rest", async () => {
    const b = await boot({
      plugins: [
        plugin("tokens", {
          onStart(ctx) {
            ctx.services.register("hello", () => "hi");
            ctx.http.register({
              method: "GET",
              path: "/hello",
              service: "hello",
              summary: "x",
              scope: "read",
            });
          },
        }),
        plugin("fine", {}),
      ],
    });
    const body: Json = await b.json("/api/v1/plugins");
    expect(body.plugins.map((p: Json) => p.name)).toEqual(["fine"]);
    expect(body.problems).toEqual([
      expect.objectContaining({
        name: "tokens",
        error: expect.objectContaining({
          code: "PLUGIN_MANIFEST_INVALID",
          message: expect.stringContaining('Plugin name "tokens" is reserved (held by admin)'),
        }),
      }),
    ]);
    const ready: Json = await b.json("/health/ready");
    expect(ready.status).toBe("degraded");
    expect(ready.checks.plugins.detail).toContain("tokens (invalid)");
  });

  it("runs the README's module example: a mirrored namespace, a service and a route", async () => {
    const weather = defineModule({
      name: "weather",
      required: true,
      async register(ctx) {
        await ctx.mirror.track("weather");
        ctx.services.register("weather.list", async () => ctx.storage.query("weather", {}), {
          owner: "weather",
        });
        ctx.http.register("weather", {
          method: "GET",
          path: "/",
          service: "weather.list",
          summary: "Latest readings",
          scope: "read",
        });
      },
    });
    const b = await boot({ modules: [weather] });
    await b.kernel.storage.set("weather", "garden", { celsius: 21 });
    expect(b.kernel.state.get("weather/garden")).toEqual({ celsius: 21 });
    expect(await b.json("/api/v1/weather")).toEqual([{ key: "garden", value: { celsius: 21 } }]);
  });

  it("lets a module serve under a name reserved for it, and nobody else", async () => {
    const echo = (owner: string, base: string) =>
      defineModule({
        name: owner,
        required: false,
        register(ctx) {
          ctx.services.register(`${owner}.echo`, (p: { x?: string }) => ({ echo: p.x ?? null }), { owner });
          ctx.http.register(owner, {
            method: "GET",
            path: "/echo",
            base,
            service: `${owner}.echo`,
            summary: "Echo",
            scope: "read",
            query: z.object({ x: z.string().optional() }),
          });
        },
      });
    // `people` is reserved for the presence module, which serves it.
    const b = await boot({ modules: [echo("weather", "people"), echo("sky", "moon")] });
    expect(await b.json("/api/v1/people")).toEqual({ people: [] });
    const modules: Json = await b.json("/api/v1/modules");
    const failed = Object.fromEntries(
      modules.modules.filter((m: Json) => m.state === "failed").map((m: Json) => [m.name, m.error.message]),
    );
    expect(failed.weather).toContain(
      '"weather" may not serve routes under /api/v1/people: that name is reserved for presence',
    );
    expect(failed.sky).toContain(
      '"sky" may not serve routes under /api/v1/moon: an owner serves only under its own name',
    );
  });
});

describe("one charset for names", () => {
  it("lets a plugin named with a '-' use its name as service owner, event domain, state prefix, namespace and route", async () => {
    const seen: string[] = [];
    const b = await boot({
      plugins: [
        plugin("zigbee-stick", {
          async onStart(ctx) {
            ctx.services.register("ping", () => ({ pong: true }));
            ctx.http.register({
              method: "GET",
              path: "/ping",
              service: "ping",
              summary: "Ping",
              scope: "read",
            });
            ctx.state.set("zigbee-stick/coordinator", { up: true });
            await ctx.storage.set("zigbee-stick", "network", { channel: 11 });
            ctx.events.subscribe("zigbee-stick.*", (e) => {
              seen.push(e.type);
            });
            await ctx.events.publish("zigbee-stick.device_joined", { id: "0x01" });
          },
        }),
      ],
    });
    expect((await b.json<Json>("/api/v1/plugins")).plugins[0]).toMatchObject({
      name: "zigbee-stick",
      state: "started",
    });
    expect(seen).toEqual(["zigbee-stick.device_joined"]);
    expect(await b.json("/api/v1/zigbee-stick/ping")).toEqual({ pong: true });
    expect(b.kernel.state.get("zigbee-stick/coordinator")).toEqual({ up: true });
    expect(await b.kernel.storage.get("zigbee-stick", "network")).toEqual({ channel: 11 });
    expect(b.kernel.services.has("zigbee-stick.ping")).toBe(true);
  });

  it("refuses the same names everywhere: an '_' is no plugin name, no module name and no event domain", async () => {
    const b = await boot({ plugins: [plugin("zig_bee", {})] });
    const body: Json = await b.json("/api/v1/plugins");
    expect(body.plugins).toEqual([]);
    expect(body.problems[0].error.code).toBe("PLUGIN_MANIFEST_INVALID");
    expect(() => defineModule({ name: "zig_bee" }) && b.kernel.bus.publish("zig_bee.joined", {})).toThrow();
    expect(() => b.kernel.services.register("zig_bee.x", () => 1, { owner: "zig_bee" })).toThrow();
  });
});
