import { describe, expect, it } from "bun:test";
import type { PluginContext } from "../../../../src/sdk/index.ts";
import { captureLog } from "../../../helpers/log.ts";
import { builtin, harness, probe, rejectionCode, thrownCode } from "./helpers.ts";

interface Registered {
  ctx?: PluginContext<unknown>;
  events: number;
  watched: number;
  ticks: number;
}

/** A plugin that registers one of everything in onLoad, then fails in `failIn` (or never). */
function everything(r: Registered, failIn?: "onLoad" | "onStart") {
  return {
    onLoad(ctx: PluginContext<unknown>) {
      r.ctx = ctx;
      ctx.services.register("ping", () => "pong");
      ctx.events.subscribe("test.poked", () => {
        r.events++;
      });
      ctx.state.watch("shared/**", () => {
        r.watched++;
      });
      ctx.http.register({ method: "GET", path: "/ping", service: "ping", summary: "ping", scope: "read" });
      ctx.setTimeout(() => r.ticks++, 20);
      ctx.setInterval(() => r.ticks++, 10);
      if (failIn === "onLoad") throw new Error("load broke");
    },
    onStart() {
      if (failIn === "onStart") throw new Error("start broke");
    },
  };
}

async function gone(h: ReturnType<typeof harness>, r: Registered) {
  await h.kernel.bus.publish("test.poked", {});
  h.kernel.state.set("shared/x", 1);
  const ticks = r.ticks;
  await Bun.sleep(50);
  return {
    service: h.kernel.services.has("p.ping"),
    endpoints: h.kernel.http.list().length,
    events: r.events,
    watched: r.watched,
    ticked: r.ticks > ticks,
    subscriptions: h.kernel.bus.stats().subscriptions,
  };
}

describe("cleanup of what a plugin registered", () => {
  it("keeps everything while the plugin runs", async () => {
    const r: Registered = { events: 0, watched: 0, ticks: 0 };
    const h = harness({ builtins: [builtin("p", everything(r))] });
    await h.manager.startAll();
    const baseline = h.kernel.bus.stats().subscriptions;
    expect(await gone(h, r)).toEqual({
      service: true,
      endpoints: 1,
      events: 1,
      watched: 1,
      ticked: true,
      subscriptions: baseline,
    });
    await h.manager.stopAll();
  });

  for (const failIn of ["onLoad", "onStart"] as const) {
    it(`removes service, subscription, watcher, endpoint and timers when ${failIn} fails`, async () => {
      const r: Registered = { events: 0, watched: 0, ticks: 0 };
      const h = harness({ builtins: [builtin("p", everything(r, failIn))] });
      const before = h.kernel.bus.stats().subscriptions;
      await h.manager.startAll();
      expect(h.manager.get("p").state).toBe("failed");
      expect(await gone(h, r)).toEqual({
        service: false,
        endpoints: 0,
        events: 0,
        watched: 0,
        ticked: false,
        subscriptions: before,
      });
    });
  }

  it("removes everything on stop", async () => {
    const r: Registered = { events: 0, watched: 0, ticks: 0 };
    const h = harness({ builtins: [builtin("p", everything(r))] });
    const before = h.kernel.bus.stats().subscriptions;
    await h.manager.startAll();
    await h.manager.stopAll();
    expect(await gone(h, r)).toEqual({
      service: false,
      endpoints: 0,
      events: 0,
      watched: 0,
      ticked: false,
      subscriptions: before,
    });
  });

  it("removes what a hook registered after its timeout, and refuses it anything more", async () => {
    let late: unknown;
    const h = harness({
      hookTimeoutMs: 30,
      builtins: [
        builtin("slow", {
          async onStart(ctx) {
            ctx.services.register("early", () => 1);
            await Bun.sleep(80);
            try {
              ctx.services.register("late", () => 1);
            } catch (err) {
              late = err;
            }
          },
        }),
      ],
    });
    await h.manager.startAll();
    expect(h.kernel.services.has("slow.early")).toBe(false);
    await Bun.sleep(100);
    expect(h.kernel.services.has("slow.late")).toBe(false);
    expect(late).toMatchObject({ code: "PLUGIN_STATE_CONFLICT" });
  });
});

describe("a stale context", () => {
  it("throws PLUGIN_STATE_CONFLICT for every call after unload", async () => {
    const zig = probe("zig");
    const { manager } = harness({ builtins: [zig.source] });
    await manager.startAll();
    const ctx = zig.ctx();
    await manager.stopAll();
    expect(thrownCode(() => ctx.services.register("x", () => 1))).toBe("PLUGIN_STATE_CONFLICT");
    expect(thrownCode(() => ctx.events.publish("zig.ticked", {}))).toBe("PLUGIN_STATE_CONFLICT");
    expect(thrownCode(() => ctx.events.subscribe("zig.ticked", () => {}))).toBe("PLUGIN_STATE_CONFLICT");
    expect(thrownCode(() => ctx.state.set("zig/x", 1))).toBe("PLUGIN_STATE_CONFLICT");
    expect(thrownCode(() => ctx.state.get("zig/x"))).toBe("PLUGIN_STATE_CONFLICT");
    expect(thrownCode(() => ctx.setTimeout(() => {}, 1))).toBe("PLUGIN_STATE_CONFLICT");
    expect(await rejectionCode(ctx.storage.get("zig", "x"))).toBe("PLUGIN_STATE_CONFLICT");
    expect(await rejectionCode(ctx.services.call("zig.x"))).toBe("PLUGIN_STATE_CONFLICT");
  });
});

describe("plugin timers", () => {
  it("clears a timer through the context", async () => {
    const zig = probe("zig");
    const { manager } = harness({ builtins: [zig.source] });
    await manager.startAll();
    let fired = 0;
    const t = zig.ctx().setTimeout(() => fired++, 10);
    const i = zig.ctx().setInterval(() => fired++, 10);
    zig.ctx().clearTimeout(t);
    zig.ctx().clearInterval(i);
    await Bun.sleep(40);
    expect(fired).toBe(0);
  });

  it("catches a throwing timer callback, logs it under the plugin and counts it", async () => {
    const { logger, lines } = captureLog();
    const zig = probe("zig");
    const { manager } = harness({ builtins: [zig.source], logger });
    await manager.startAll();
    zig.ctx().setTimeout(() => {
      throw new Error("tick broke");
    }, 1);
    zig.ctx().setTimeout(async () => {
      throw new Error("async tick broke");
    }, 1);
    await Bun.sleep(30);
    expect(manager.get("zig").errorCount).toBe(2);
    const logged = lines.filter((l) => l.plugin === "zig" && l.level === "error").map((l) => l.err);
    expect(logged).toEqual(["tick broke", "async tick broke"]);
  });

  it("counts a throwing state watcher as a handler error without disturbing the writer", async () => {
    const zig = probe("zig");
    const { manager, kernel } = harness({ builtins: [zig.source] });
    await manager.startAll();
    zig.ctx().state.watch("devices/*", () => {
      throw new Error("watch broke");
    });
    kernel.state.set("devices/lamp", { on: true });
    expect(kernel.state.get("devices/lamp")).toEqual({ on: true });
    expect(manager.get("zig").errorCount).toBe(1);
  });
});
