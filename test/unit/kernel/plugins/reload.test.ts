import { describe, expect, it } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { openStorage } from "../../../../src/kernel/storage/index.ts";
import {
  builtin,
  createKernel,
  harness,
  recorder,
  recordingSink,
  rejectionCode,
  tempDir,
  writePlugin,
} from "./helpers.ts";

/** An external plugin whose `counter.get` service returns `value`. */
const counterCode = (value: number) => `
export default {
  onStart(ctx) {
    ctx.services.register("get", () => ${value});
  },
};
`;

/** External `counter` (in a temp pluginsDir) and a built-in `user` that depends on it. */
async function withCounter(log: string[] = []) {
  const dir = tempDir();
  writePlugin(dir, "counter", { name: "counter", version: "1.0.0" }, { "index.ts": counterCode(1) });
  const h = harness({
    pluginsDir: dir,
    builtins: [builtin("user", recorder("user", log), { dependencies: ["counter"] })],
  });
  await h.manager.startAll();
  return { ...h, entry: join(dir, "counter", "index.ts") };
}

describe("PluginManager.reload", () => {
  it("picks up code changed on disk", async () => {
    const { manager, kernel, entry } = await withCounter();
    expect(await kernel.services.call("counter.get")).toBe(1);
    writeFileSync(entry, counterCode(2));
    await manager.reload("counter");
    expect(await kernel.services.call("counter.get")).toBe(2);
    writeFileSync(entry, counterCode(3));
    await manager.reload("counter");
    expect(await kernel.services.call("counter.get")).toBe(3);
  });

  it("keeps the reloaded code across a later stop and start", async () => {
    const { manager, kernel, entry } = await withCounter();
    writeFileSync(entry, counterCode(2));
    await manager.reload("counter");
    await manager.stopAll();
    await manager.startAll();
    expect(await kernel.services.call("counter.get")).toBe(2);
  });

  it("stops its dependents first and brings them back after it", async () => {
    const log: string[] = [];
    const { manager, kernel, events } = await withCounter(log);
    log.length = 0;
    await kernel.bus.drain();
    events.length = 0;
    await manager.reload("counter");
    await kernel.bus.drain();
    expect(events).toEqual([
      "$plugin.stopped user",
      "$plugin.unloaded user",
      "$plugin.stopped counter",
      "$plugin.unloaded counter",
      "$plugin.loaded counter",
      "$plugin.started counter",
      "$plugin.loaded user",
      "$plugin.started user",
    ]);
    expect(log).toEqual(["user.onStop", "user.onUnload", "user.onLoad", "user.onStart"]);
  });

  it("leaves a plugin whose new code throws failed, and the others running", async () => {
    const { manager, kernel, entry } = await withCounter();
    writeFileSync(entry, "export default { onStart() { throw new Error('v2 is broken'); } };");
    const info = await manager.reload("counter");
    expect(info).toMatchObject({ state: "failed", error: { code: "PLUGIN_HOOK_FAILED", hook: "onStart" } });
    expect(kernel.services.has("counter.get")).toBe(false);
    expect(manager.get("user")).toMatchObject({
      state: "skipped",
      error: { code: "PLUGIN_DEPENDENCY_MISSING" },
    });
  });

  it("reports a syntax error in the new code as PLUGIN_LOAD_FAILED", async () => {
    const { manager, entry } = await withCounter();
    writeFileSync(entry, "export default { onStart( };");
    expect((await manager.reload("counter")).error?.code).toBe("PLUGIN_LOAD_FAILED");
  });

  it("brings a failed plugin and its dependents back once its code is fixed", async () => {
    const { manager, kernel, entry } = await withCounter();
    writeFileSync(entry, "export default { onStart() { throw new Error('broken'); } };");
    await manager.reload("counter");
    writeFileSync(entry, counterCode(4));
    await manager.reload("counter");
    expect(await kernel.services.call("counter.get")).toBe(4);
    expect(manager.get("user").state).toBe("started");
  });

  it("runs an external plugin that imports only types from the SDK", async () => {
    const dir = tempDir();
    writePlugin(
      dir,
      "typed",
      { name: "typed", version: "1.0.0", entry: "src/main.ts" },
      {
        "src/main.ts": `
import type { PluginContext } from "hearth/sdk";
export default {
  configSchema: (z: any) => z.object({ greeting: z.string().default("hi") }),
  onStart(ctx: PluginContext<{ greeting: string }>) {
    ctx.services.register("greet", () => ctx.config.greeting);
  },
};
`,
      },
    );
    const { manager, kernel } = harness({ pluginsDir: dir });
    await manager.startAll();
    expect(await kernel.services.call("typed.greet")).toBe("hi");
  });

  it("refuses an unknown, a disabled, or a not running plugin", async () => {
    const { manager } = await withCounter();
    expect(await rejectionCode(manager.reload("nope"))).toBe("PLUGIN_NOT_FOUND");
    await manager.disable("user");
    expect(await rejectionCode(manager.reload("user"))).toBe("PLUGIN_STATE_CONFLICT");
    await manager.stopAll();
    expect(await rejectionCode(manager.reload("counter"))).toBe("PLUGIN_STATE_CONFLICT");
  });
});

describe("PluginManager.enable / disable", () => {
  it("disable stops the plugin and skips its dependents with a reason", async () => {
    const log: string[] = [];
    const { manager, kernel } = await withCounter(log);
    log.length = 0;
    const info = await manager.disable("counter");
    expect(info).toMatchObject({ state: "disabled", enabled: false });
    expect(kernel.services.has("counter.get")).toBe(false);
    expect(log).toEqual(["user.onStop", "user.onUnload"]);
    expect(manager.get("user")).toMatchObject({
      state: "skipped",
      error: { code: "PLUGIN_DEPENDENCY_MISSING" },
    });
    expect(manager.get("user").error?.message).toContain('"counter", which is disabled');
  });

  it("enable starts the plugin and brings back the dependents it had taken down", async () => {
    const { manager, kernel } = await withCounter();
    await manager.disable("counter");
    const info = await manager.enable("counter");
    expect(info).toMatchObject({ state: "started", enabled: true });
    expect(await kernel.services.call("counter.get")).toBe(1);
    expect(manager.get("user").state).toBe("started");
  });

  it("refuses to enable a plugin the config file disables", async () => {
    const { manager } = harness({
      builtins: [builtin("p", {})],
      config: { p: { enabled: false, config: {} } },
    });
    await manager.startAll();
    expect(await rejectionCode(manager.enable("p"))).toBe("PLUGIN_STATE_CONFLICT");
    expect(manager.get("p").state).toBe("disabled");
  });

  it("persists the choice: a disabled plugin stays disabled after a reopen, until enabled", async () => {
    const path = join(tempDir(), "hearth.db");
    const log: string[] = [];
    const open = async () => {
      const storage = await openStorage({ path });
      const h = harness({ kernel: createKernel(storage), builtins: [builtin("p", recorder("p", log))] });
      await h.manager.startAll();
      return { ...h, storage };
    };
    const first = await open();
    await first.manager.disable("p");
    await first.manager.stopAll();
    await first.storage.close();

    const second = await open();
    expect(second.manager.get("p")).toMatchObject({ state: "disabled", enabled: false });
    log.length = 0;
    await second.manager.enable("p");
    await second.manager.stopAll();
    await second.storage.close();
    expect(log).toEqual(["p.onLoad", "p.onStart", "p.onStop", "p.onUnload"]);

    const third = await open();
    expect(third.manager.get("p").state).toBe("started");
    await third.manager.stopAll();
    await third.storage.close();
  });

  it("enabling before start only records the choice", async () => {
    const log: string[] = [];
    const { manager, kernel } = harness({ builtins: [builtin("p", recorder("p", log))] });
    await kernel.storage.set("plugins", "p", { enabled: false });
    await manager.discover();
    expect(manager.get("p").state).toBe("disabled");
    await manager.enable("p");
    expect(manager.get("p").state).toBe("discovered");
    expect(log).toEqual([]);
  });

  it("tells the integration sink about enable and disable", async () => {
    const sink = recordingSink();
    const { manager } = harness({
      kernel: { ...createKernel(), integrations: sink },
      builtins: [builtin("hue", {}, { isIntegration: true })],
    });
    await manager.startAll();
    await manager.disable("hue");
    await manager.enable("hue");
    expect(sink.calls).toEqual(["declare hue", "enabled hue", "disabled hue", "enabled hue"]);
  });

  it("serialises concurrent lifecycle calls", async () => {
    const { manager, kernel } = await withCounter();
    const results = await Promise.all([
      manager.disable("counter"),
      manager.enable("counter"),
      manager.reload("counter"),
    ]);
    expect(results.map((r) => r.state)).toEqual(["disabled", "started", "started"]);
    expect(await kernel.services.call("counter.get")).toBe(1);
  });
});

describe("PluginManager.reload re-reads plugin.json", () => {
  const manifestOf = (entry: string) => join(entry, "..", "plugin.json");

  it("picks up a new version and a new dependency", async () => {
    const { manager, entry } = await withCounter();
    writePlugin(
      join(entry, "..", ".."),
      "helper",
      { name: "helper", version: "1.0.0" },
      { "index.ts": "export default {};" },
    );
    writeFileSync(manifestOf(entry), JSON.stringify({ name: "counter", version: "2.0.0" }));
    await manager.reload("counter");
    expect(manager.get("counter")).toMatchObject({ version: "2.0.0", state: "started" });
    // A dependency on a plugin that is not there: it cannot start, and says why.
    writeFileSync(
      manifestOf(entry),
      JSON.stringify({ name: "counter", version: "2.1.0", dependencies: ["absent"] }),
    );
    const info = await manager.reload("counter");
    expect(info.state).not.toBe("started");
    expect(info.error?.code).toBe("PLUGIN_DEPENDENCY_MISSING");
    expect(manager.get("user").state).not.toBe("started");
  });

  it("fails the plugin on a manifest that is now invalid or renames it, and its dependents stay down", async () => {
    const { manager, kernel, entry } = await withCounter();
    writeFileSync(manifestOf(entry), "{ not json");
    const info = await manager.reload("counter");
    expect(info.state).toBe("failed");
    expect(info.error?.code).toBe("PLUGIN_MANIFEST_INVALID");
    expect(manager.get("user").state).not.toBe("started");
    expect(await rejectionCode(kernel.services.call("counter.get"))).toBe("SERVICE_NOT_FOUND");

    writeFileSync(manifestOf(entry), JSON.stringify({ name: "tally", version: "1.0.0" }));
    const renamed = await manager.reload("counter");
    expect(renamed.error?.code).toBe("PLUGIN_MANIFEST_INVALID");
    expect(renamed.error?.message).toContain("renamed");

    // Fixed: it comes back, and so does its dependent.
    writeFileSync(manifestOf(entry), JSON.stringify({ name: "counter", version: "1.0.1" }));
    expect((await manager.reload("counter")).state).toBe("started");
    expect(manager.get("user").state).toBe("started");
    expect(await kernel.services.call("counter.get")).toBe(1);
  });
});
