import { describe, expect, it } from "bun:test";
import { builtin, harness, probe, recorder } from "./helpers.ts";

describe("PluginManager metrics", () => {
  it("counts the plugin's failed event handlers, and only its own", async () => {
    const zig = probe("zig");
    const other = probe("other");
    const { manager, kernel } = harness({ builtins: [zig.source, other.source] });
    await manager.startAll();
    zig.ctx().events.subscribe("test.poked", () => {
      throw new Error("handler broke");
    });
    other.ctx().events.subscribe("test.poked", () => {});
    await kernel.bus.publish("test.poked", {});
    await kernel.bus.publish("test.poked", {});
    await kernel.bus.drain();
    expect(manager.get("zig").errorCount).toBe(2);
    expect(manager.get("other").errorCount).toBe(0);
  });

  it("counts calls and failures of the plugin's services", async () => {
    const zig = probe("zig");
    const { manager, kernel } = harness({ builtins: [zig.source] });
    await manager.startAll();
    zig.ctx().services.register("ok", () => 1);
    zig.ctx().services.register("bad", () => {
      throw new Error("no");
    });
    await kernel.services.call("zig.ok");
    await kernel.services.call("zig.ok");
    await kernel.services.call("zig.bad").catch(() => undefined);
    expect(manager.get("zig")).toMatchObject({ serviceCalls: 3, serviceFailures: 1, errorCount: 1 });
  });

  it("counts a call that times out as a failure", async () => {
    const zig = probe("zig");
    const { manager, kernel } = harness({ builtins: [zig.source] });
    await manager.startAll();
    zig.ctx().services.register("hang", () => new Promise(() => {}), { timeoutMs: 20 });
    await kernel.services.call("zig.hang").catch(() => undefined);
    expect(manager.get("zig")).toMatchObject({ serviceCalls: 1, serviceFailures: 1 });
  });

  it("keeps the counters across a reload", async () => {
    const { manager, kernel } = harness({
      builtins: [
        builtin("p", {
          onStart(ctx) {
            ctx.services.register("bad", () => {
              throw new Error("no");
            });
          },
        }),
      ],
    });
    await manager.startAll();
    await kernel.services.call("p.bad").catch(() => undefined);
    await manager.reload("p");
    await kernel.services.call("p.bad").catch(() => undefined);
    expect(manager.get("p")).toMatchObject({ serviceCalls: 2, serviceFailures: 2, errorCount: 2 });
  });

  it("counts hook failures, including ones while stopping", async () => {
    const { manager } = harness({
      builtins: [builtin("a", recorder("a", [], { onStop: true, onUnload: true }))],
    });
    await manager.startAll();
    expect(manager.get("a").errorCount).toBe(0);
    await manager.stopAll();
    expect(manager.get("a").errorCount).toBe(2);
  });

  it("lists every plugin, sorted by name, with its counters", async () => {
    const { manager } = harness({ builtins: [builtin("b", {}), builtin("a", {})] });
    await manager.startAll();
    expect(manager.list().map((p) => [p.name, p.errorCount, p.serviceCalls, p.serviceFailures])).toEqual([
      ["a", 0, 0, 0],
      ["b", 0, 0, 0],
    ]);
  });
});
