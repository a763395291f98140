import { describe, expect, it } from "bun:test";
import type { BusEvent } from "../../../../src/kernel/bus/types.ts";
import { harness, probe, rejectionCode, thrownCode } from "./helpers.ts";

/** A started manager with one probe plugin `zig` (and a neighbour `other`), handing out zig's context. */
async function started() {
  const zig = probe("zig");
  const other = probe("other");
  const h = harness({ builtins: [zig.source, other.source] });
  await h.manager.startAll();
  return { ...h, ctx: zig.ctx(), otherCtx: other.ctx() };
}

describe("plugin context: services", () => {
  it("registers an action as <plugin>.<action> owned by the plugin", async () => {
    const { ctx, kernel } = await started();
    ctx.services.register("ping", () => "pong");
    expect(kernel.services.list().map((s) => [s.name, s.owner])).toEqual([["zig.ping", "zig"]]);
    expect(await kernel.services.call("zig.ping")).toBe("pong");
  });

  it("registers a versioned action v2.x as v2.<plugin>.x", async () => {
    const { ctx, kernel } = await started();
    ctx.services.register("v2.ping", () => 2);
    expect(kernel.services.list().map((s) => s.name)).toEqual(["v2.zig.ping"]);
  });

  it("cannot register under another owner's name", async () => {
    const { ctx, kernel } = await started();
    expect(thrownCode(() => ctx.services.register("devices.turn_on", () => 1))).toBe("PLUGIN_FORBIDDEN");
    expect(thrownCode(() => ctx.services.register("v2.devices.turn_on", () => 1))).toBe("PLUGIN_FORBIDDEN");
    expect(kernel.services.list()).toEqual([]);
  });

  it("ignores an owner smuggled in through the options", async () => {
    const { ctx, kernel } = await started();
    ctx.services.register("ping", () => 1, { owner: "other" } as never);
    expect(kernel.services.list()[0]?.owner).toBe("zig");
  });

  it("calls other services with the plugin as the caller", async () => {
    const { ctx, otherCtx } = await started();
    let caller: string | undefined;
    otherCtx.services.register("who", (_p, c) => {
      caller = c.caller;
    });
    await ctx.services.call("other.who", {}, { caller: "admin" } as never);
    expect(caller).toBe("zig");
    expect(ctx.services.has("other.who")).toBe(true);
  });
});

describe("plugin context: events", () => {
  it("publishes domain events", async () => {
    const { ctx, kernel } = await started();
    const seen: string[] = [];
    kernel.bus.subscribe("zig.*", (e) => void seen.push(e.type));
    await ctx.events.publish("zig.ticked", {});
    await ctx.events.publishOrdered("zig.tocked", {});
    expect(seen).toEqual(["zig.ticked", "zig.tocked"]);
  });

  it("refuses to publish $-prefixed kernel events", async () => {
    const { ctx, kernel } = await started();
    let delivered = false;
    kernel.bus.subscribe("$plugin.failed", () => {
      delivered = true;
    });
    expect(thrownCode(() => ctx.events.publish("$plugin.failed", { name: "other" }))).toBe(
      "PLUGIN_FORBIDDEN",
    );
    expect(thrownCode(() => ctx.events.publishOrdered("$runtime.stopping", {}))).toBe("PLUGIN_FORBIDDEN");
    await kernel.bus.drain();
    expect(delivered).toBe(false);
  });

  it("subscribes with the plugin as owner, whatever the options say", async () => {
    const { ctx, kernel } = await started();
    const owners: (string | undefined)[] = [];
    kernel.bus.subscribe(
      "$bus.handler_failed",
      (e: BusEvent<{ owner?: string }>) => void owners.push(e.payload.owner),
    );
    ctx.events.subscribe(
      "zig.broke",
      () => {
        throw new Error("x");
      },
      { owner: "someone-else" } as never,
    );
    await kernel.bus.publish("zig.broke", {});
    await kernel.bus.drain();
    expect(owners).toEqual(["zig"]);
  });

  it("may read kernel events", async () => {
    const { ctx, kernel } = await started();
    const seen: string[] = [];
    ctx.events.subscribe("$runtime.*", (e) => void seen.push(e.type));
    await kernel.bus.publish("$runtime.started", {});
    expect(seen).toEqual(["$runtime.started"]);
  });
});

describe("plugin context: state", () => {
  it("writes and deletes keys under <plugin>/", async () => {
    const { ctx, kernel } = await started();
    ctx.state.set("zig/coordinator", { up: true });
    expect(kernel.state.get("zig/coordinator")).toEqual({ up: true });
    expect(ctx.state.delete("zig/coordinator")).toBe(true);
  });

  it("refuses to write or delete someone else's keys", async () => {
    const { ctx, kernel } = await started();
    kernel.state.set("devices/lamp", { on: true });
    expect(thrownCode(() => ctx.state.set("devices/lamp", { on: false }))).toBe("PLUGIN_FORBIDDEN");
    expect(thrownCode(() => ctx.state.set("zigbee/x", 1))).toBe("PLUGIN_FORBIDDEN");
    expect(thrownCode(() => ctx.state.delete("devices/lamp"))).toBe("PLUGIN_FORBIDDEN");
    expect(kernel.state.get("devices/lamp")).toEqual({ on: true });
  });

  it("reads and watches everything", async () => {
    const { ctx, kernel } = await started();
    kernel.state.set("devices/lamp", { on: true });
    const seen: string[] = [];
    ctx.state.watch("devices/*", (c) => void seen.push(c.key));
    kernel.state.set("devices/fan", { on: true });
    expect(ctx.state.get("devices/lamp")).toEqual({ on: true });
    expect(ctx.state.has("devices/fan")).toBe(true);
    expect(ctx.state.keys("devices/*")).toEqual(["devices/fan", "devices/lamp"]);
    expect(seen).toEqual(["devices/fan"]);
  });
});

describe("plugin context: storage", () => {
  it("uses the namespace <plugin> and <plugin>.<anything>", async () => {
    const { ctx } = await started();
    await ctx.storage.set("zig", "net", { pan: 1 });
    await ctx.storage.batchSet("zig.devices", { a: { x: 1 } });
    expect(await ctx.storage.get("zig", "net")).toEqual({ pan: 1 });
    expect(await ctx.storage.listKeys("zig.devices")).toEqual(["a"]);
  });

  it("refuses foreign namespaces, including look-alikes", async () => {
    const { ctx, kernel } = await started();
    await kernel.storage.set("auth", "token", { hash: "x" });
    expect(await rejectionCode(ctx.storage.get("auth", "token"))).toBe("PLUGIN_FORBIDDEN");
    expect(await rejectionCode(ctx.storage.set("zigbee", "k", {}))).toBe("PLUGIN_FORBIDDEN");
    expect(await rejectionCode(ctx.storage.query("other"))).toBe("PLUGIN_FORBIDDEN");
    expect(await rejectionCode(ctx.storage.batchDelete("auth", ["token"]))).toBe("PLUGIN_FORBIDDEN");
    expect(await kernel.storage.has("auth", "token")).toBe(true);
  });

  it("lists only its own namespaces", async () => {
    const { ctx, kernel } = await started();
    await kernel.storage.set("auth", "token", { hash: "x" });
    await ctx.storage.set("zig", "a", {});
    await ctx.storage.set("zig.b", "a", {});
    expect((await ctx.storage.namespaces()).map((n) => n.namespace)).toEqual(["zig", "zig.b"]);
  });

  it("hands a transaction a handle with the same limits", async () => {
    const { ctx, kernel } = await started();
    const code = await rejectionCode(
      ctx.storage.transaction(async (tx) => {
        await tx.set("zig", "a", { n: 1 });
        await tx.set("auth", "token", { hash: "evil" });
      }),
    );
    expect(code).toBe("PLUGIN_FORBIDDEN");
    expect(await kernel.storage.has("zig", "a")).toBe(false);
    expect(await kernel.storage.has("auth", "token")).toBe(false);
  });
});

describe("plugin context: http", () => {
  it("registers an endpoint under the plugin, qualifying a relative service", async () => {
    const { ctx, kernel } = await started();
    ctx.http.register({ method: "GET", path: "/status", service: "status", summary: "s", scope: "read" });
    expect(kernel.http.list().map((e) => [e.owner, e.service])).toEqual([["zig", "zig.status"]]);
  });

  it("refuses to expose another owner's service", async () => {
    const { ctx, kernel } = await started();
    const endpoint = {
      method: "POST",
      path: "/x",
      service: "devices.delete",
      summary: "s",
      scope: "read",
    } as const;
    expect(thrownCode(() => ctx.http.register(endpoint))).toBe("PLUGIN_FORBIDDEN");
    expect(kernel.http.list()).toEqual([]);
  });
});

describe("plugin context: helpers", () => {
  it("gives name, version, a child logger, zod and coded errors", async () => {
    const { ctx } = await started();
    expect([ctx.name, ctx.version]).toEqual(["zig", "1.0.0"]);
    expect(ctx.z.number().parse(3)).toBe(3);
    const err = ctx.errors.create("INVALID_ARGUMENT", "pin 99 does not exist", { pin: 99 });
    expect(ctx.errors.is(err, "INVALID_ARGUMENT")).toBe(true);
    expect(err.toJSON()).toEqual({
      code: "INVALID_ARGUMENT",
      message: "pin 99 does not exist",
      data: { pin: 99 },
    });
    expect(typeof ctx.log.info).toBe("function");
  });
});
