import { describe, expect, it } from "bun:test";
import { z } from "zod";
import { createIntegrationRegistry } from "../../../../src/kernel/integrations/index.ts";
import { createMemoryStorage } from "../../../../src/kernel/storage/index.ts";
import { builtin, createKernel, harness, recorder, recordingSink } from "./helpers.ts";

describe("PluginManager: lifecycle", () => {
  it("runs each hook exactly once per load, in order", async () => {
    const log: string[] = [];
    const { manager } = harness({ builtins: [builtin("p", recorder("p", log))] });
    await manager.startAll();
    await manager.startAll();
    await manager.stopAll();
    await manager.stopAll();
    expect(log).toEqual(["p.onLoad", "p.onStart", "p.onStop", "p.onUnload"]);
  });

  it("walks the states discovered → started → unloaded", async () => {
    const { manager } = harness({ builtins: [builtin("p", {})] });
    expect((await manager.discover())[0]?.state).toBe("discovered");
    await manager.startAll();
    expect(manager.get("p").state).toBe("started");
    await manager.stopAll();
    expect(manager.get("p").state).toBe("unloaded");
  });

  it("publishes $plugin events for each step", async () => {
    const { manager, kernel, events } = harness({ builtins: [builtin("p", {})] });
    await manager.startAll();
    await manager.stopAll();
    await kernel.bus.drain();
    expect(events).toEqual([
      "$plugin.loaded p",
      "$plugin.started p",
      "$plugin.stopped p",
      "$plugin.unloaded p",
    ]);
  });

  it("does not load a plugin disabled in the config", async () => {
    const log: string[] = [];
    const { manager } = harness({
      builtins: [builtin("p", recorder("p", log))],
      config: { p: { enabled: false, config: {} } },
    });
    await manager.startAll();
    expect(manager.get("p")).toMatchObject({ state: "disabled", enabled: false });
    expect(log).toEqual([]);
  });

  it("records load and start durations", async () => {
    const { manager } = harness({ builtins: [builtin("p", {})] });
    await manager.startAll();
    const info = manager.get("p");
    expect(typeof info.loadMs).toBe("number");
    expect(typeof info.startMs).toBe("number");
  });

  it("throws PLUGIN_NOT_FOUND for an unknown name", async () => {
    const { manager } = harness();
    await manager.discover();
    expect(() => manager.get("nope")).toThrow(expect.objectContaining({ code: "PLUGIN_NOT_FOUND" }));
  });

  it("reports healthy when every enabled plugin runs, degraded otherwise", async () => {
    const ok = harness({
      builtins: [builtin("a", {}), builtin("off", {})],
      config: { off: { enabled: false } },
    });
    await ok.manager.startAll();
    expect(ok.manager.health().status).toBe("healthy");
    const bad = harness({ builtins: [builtin("a", {}), builtin("b", recorder("b", [], { onLoad: true }))] });
    await bad.manager.startAll();
    const health = bad.manager.health();
    expect(health.status).toBe("degraded");
    expect(health.plugins.b).toMatchObject({ status: "degraded", state: "failed" });
    expect(health.plugins.a?.status).toBe("healthy");
  });
});

describe("PluginManager: failures", () => {
  for (const hook of ["onLoad", "onStart"] as const) {
    it(`marks a plugin whose ${hook} throws failed and starts the others`, async () => {
      const { manager, kernel, events } = harness({
        builtins: [builtin("bad", recorder("bad", [], { [hook]: true })), builtin("good", {})],
      });
      await manager.startAll();
      expect(manager.get("bad")).toMatchObject({
        state: "failed",
        error: { code: "PLUGIN_HOOK_FAILED", hook, message: expect.stringContaining(`${hook} broke`) },
      });
      expect(manager.get("good").state).toBe("started");
      await kernel.bus.drain();
      expect(events).toContain("$plugin.failed bad");
    });
  }

  it("runs onUnload (not onStop) after a failed onStart, and nothing after a failed onLoad", async () => {
    const afterStart: string[] = [];
    const afterLoad: string[] = [];
    const { manager } = harness({
      builtins: [
        builtin("s", recorder("s", afterStart, { onStart: true })),
        builtin("l", recorder("l", afterLoad, { onLoad: true })),
      ],
    });
    await manager.startAll();
    await manager.stopAll();
    expect(afterStart).toEqual(["s.onLoad", "s.onStart", "s.onUnload"]);
    expect(afterLoad).toEqual(["l.onLoad"]);
  });

  for (const hook of ["onStop", "onUnload"] as const) {
    it(`logs a failing ${hook} and goes on stopping the others`, async () => {
      const log: string[] = [];
      const { manager } = harness({
        builtins: [builtin("a", recorder("a", log)), builtin("b", recorder("b", log, { [hook]: true }))],
      });
      await manager.startAll();
      log.length = 0;
      await manager.stopAll();
      expect(log).toEqual(["b.onStop", "b.onUnload", "a.onStop", "a.onUnload"]);
      expect(manager.get("b")).toMatchObject({
        state: "unloaded",
        error: { code: "PLUGIN_HOOK_FAILED", hook },
      });
      expect(manager.get("a").state).toBe("unloaded");
    });
  }

  it("fails a hook that hangs with PLUGIN_HOOK_TIMEOUT naming plugin and hook", async () => {
    const { manager } = harness({
      hookTimeoutMs: 50,
      builtins: [builtin("slow", { onStart: () => new Promise(() => {}) }), builtin("next", {})],
    });
    await manager.startAll();
    expect(manager.get("slow")).toMatchObject({
      state: "failed",
      error: { code: "PLUGIN_HOOK_TIMEOUT", hook: "onStart", data: { plugin: "slow", hook: "onStart" } },
    });
    expect(manager.get("next").state).toBe("started");
  });

  it("goes on stopping when onStop hangs", async () => {
    const log: string[] = [];
    const { manager } = harness({
      hookTimeoutMs: 50,
      builtins: [builtin("a", recorder("a", log)), builtin("hang", { onStop: () => new Promise(() => {}) })],
    });
    await manager.startAll();
    await manager.stopAll();
    expect(manager.get("hang").error).toMatchObject({ code: "PLUGIN_HOOK_TIMEOUT", hook: "onStop" });
    expect(log).toContain("a.onUnload");
  });

  it("fails a plugin whose code cannot be loaded", async () => {
    const source = builtin("x", {});
    source.load = async () => {
      throw new Error("syntax error");
    };
    const { manager } = harness({ builtins: [source] });
    await manager.startAll();
    expect(manager.get("x")).toMatchObject({ state: "failed", error: { code: "PLUGIN_LOAD_FAILED" } });
  });

  it("fails a plugin whose default export has unknown keys or non-function hooks", async () => {
    const { manager } = harness({
      builtins: [
        builtin("typo", { onstart() {} } as never),
        builtin("notfn", { onStart: 42 } as never),
        builtin("nothing", (() => undefined) as never),
      ],
    });
    await manager.startAll();
    expect(manager.get("typo").error?.message).toContain('unknown key "onstart"');
    expect(manager.get("notfn").error?.message).toContain("onStart is not a function");
    expect(manager.get("nothing").error?.code).toBe("PLUGIN_LOAD_FAILED");
  });

  it("reports a failed integration to the integration sink", async () => {
    const sink = recordingSink();
    const { manager } = harness({
      kernel: { ...createKernel(), integrations: sink },
      builtins: [
        builtin("hue", recorder("hue", [], { onStart: true }), { isIntegration: true }),
        builtin("lifx", {}, { isIntegration: true }),
      ],
    });
    await manager.startAll();
    expect(sink.calls).toEqual(["declare hue", "declare lifx", "error hue", "enabled lifx"]);
  });
});

describe("PluginManager with the real IntegrationRegistry", () => {
  it("keeps each integration's record in step with its plugin", async () => {
    const storage = createMemoryStorage();
    const integrations = createIntegrationRegistry({ storage });
    const { manager } = harness({
      kernel: { ...createKernel(storage), integrations },
      builtins: [
        builtin("hue", {}, { isIntegration: true, description: "Philips Hue" }),
        builtin("lifx", recorder("lifx", [], { onLoad: true }), { isIntegration: true }),
        builtin("plain", {}),
      ],
    });
    await manager.startAll();
    await manager.disable("hue");
    expect(integrations.list().map((r) => [r.name, r.status, r.error?.message ?? ""])).toEqual([
      ["hue", "disabled", ""],
      ["lifx", "error", expect.stringContaining("onLoad broke")],
    ]);
  });

  it("derives the config JSON Schema from configSchema when the manifest has none", async () => {
    const storage = createMemoryStorage();
    const integrations = createIntegrationRegistry({ storage });
    const { manager } = harness({
      kernel: { ...createKernel(storage), integrations },
      builtins: [
        builtin("hue", { configSchema: z.object({ bridge: z.string().default("auto") }) } as never, {
          isIntegration: true,
        }),
      ],
    });
    await manager.startAll();
    expect(integrations.get("hue")?.configSchema).toMatchObject({
      properties: { bridge: { type: "string" } },
    });
  });
});

describe("PluginManager: config", () => {
  const schema = z.object({ port: z.string(), baud: z.number().default(115200) });

  it("hands the hooks the config parsed by configSchema", async () => {
    let seen: unknown;
    const { manager } = harness({
      builtins: [
        builtin("serial", {
          configSchema: schema,
          onLoad: (ctx: { config: unknown }) => {
            seen = ctx.config;
          },
        } as never),
      ],
      config: { serial: { enabled: true, config: { port: "/dev/ttyUSB0" } } },
    });
    await manager.startAll();
    expect(seen).toEqual({ port: "/dev/ttyUSB0", baud: 115200 });
  });

  it("accepts configSchema as a function of zod, for plugins that cannot import it", async () => {
    let seen: unknown;
    const { manager } = harness({
      builtins: [
        builtin("ext", {
          configSchema: (zod: typeof z) => zod.object({ n: zod.number().default(3) }),
          onLoad: (ctx: { config: unknown }) => {
            seen = ctx.config;
          },
        } as never),
      ],
    });
    await manager.startAll();
    expect(seen).toEqual({ n: 3 });
  });

  it("fails the plugin with PLUGIN_CONFIG_INVALID naming each bad path, before any hook runs", async () => {
    const log: string[] = [];
    const { manager } = harness({
      builtins: [builtin("serial", { ...recorder("serial", log), configSchema: schema } as never)],
      config: { serial: { enabled: true, config: { port: 1, baud: "fast" } } },
    });
    await manager.startAll();
    const error = manager.get("serial").error;
    expect(error?.code).toBe("PLUGIN_CONFIG_INVALID");
    const issues = (error?.data as { issues: { path: string }[] } | undefined)?.issues ?? [];
    expect(issues.map((i) => i.path)).toEqual(["port", "baud"]);
    expect(log).toEqual([]);
  });

  it("passes the raw slice (or {}) when the plugin has no schema", async () => {
    let seen: unknown;
    const { manager } = harness({
      builtins: [
        builtin("p", {
          onLoad: (ctx) => {
            seen = ctx.config;
          },
        }),
      ],
    });
    await manager.startAll();
    expect(seen).toEqual({});
  });
});

describe("PluginManager: enabledByDefault", () => {
  /** A built-in whose `load()` is counted: a plugin that is off must not even be imported. */
  const counted = (manifest: Record<string, unknown>) => {
    const loads = { n: 0 };
    const source = builtin(
      "p",
      () => {
        loads.n++;
        return {};
      },
      manifest,
    );
    return { source, loads };
  };

  it("keeps a plugin with enabledByDefault: false off, and never loads its code, without a plugins.<name> section", async () => {
    const { source, loads } = counted({ enabledByDefault: false });
    const { manager } = harness({ builtins: [source] });
    await manager.startAll();
    expect(manager.get("p")).toMatchObject({ state: "disabled", enabled: false });
    expect(loads.n).toBe(0);
  });

  it("starts it once a plugins.<name> section exists", async () => {
    const { source, loads } = counted({ enabledByDefault: false });
    const { manager } = harness({ builtins: [source], config: { p: { config: { port: "/dev/x" } } } });
    await manager.startAll();
    expect(manager.get("p")).toMatchObject({ state: "started", enabled: true });
    expect(loads.n).toBe(1);
  });

  it("lets the section still turn it off with enabled: false", async () => {
    const { source, loads } = counted({ enabledByDefault: false });
    const { manager } = harness({ builtins: [source], config: { p: { enabled: false, config: {} } } });
    await manager.startAll();
    expect(manager.get("p").state).toBe("disabled");
    expect(loads.n).toBe(0);
  });

  it("runs a plugin without the flag (or with true) with no section at all", async () => {
    for (const manifest of [{}, { enabledByDefault: true }]) {
      const { source, loads } = counted(manifest);
      const { manager } = harness({ builtins: [source] });
      await manager.startAll();
      expect(manager.get("p").state).toBe("started");
      expect(loads.n).toBe(1);
      await manager.stopAll();
    }
  });
});
