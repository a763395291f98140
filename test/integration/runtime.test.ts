import { afterEach, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HearthError } from "../../src/errors.ts";
import { loadConfig } from "../../src/kernel/config/index.ts";
import { defineModule } from "../../src/kernel/modules/index.ts";
import type { ModuleDefinition } from "../../src/kernel/modules/types.ts";
import { builtinSource } from "../../src/kernel/plugins/index.ts";
import type { PluginSource } from "../../src/kernel/plugins/types.ts";
import { openStorage } from "../../src/kernel/storage/index.ts";
import { CoreRuntime } from "../../src/runtime.ts";
import type { PluginDefinition } from "../../src/sdk/index.ts";
import { captureLog } from "../helpers/log.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function plugin(
  name: string,
  definition: PluginDefinition<unknown>,
  manifest: Record<string, unknown> = {},
): PluginSource {
  return builtinSource({
    manifest: { name, version: "1.0.0", ...manifest },
    load: async () => ({ default: definition }),
  });
}

function makeRuntime(
  options: { plugins?: PluginSource[]; modules?: ModuleDefinition[]; env?: Record<string, string> } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), "hearth-runtime-"));
  dirs.push(dir);
  const { config } = loadConfig({ env: { HEARTH_DATA_DIR: dir, ...options.env }, cwd: dir });
  const log = captureLog("debug");
  const runtime = new CoreRuntime({
    config,
    logger: log.logger,
    http: false,
    builtinPlugins: options.plugins ?? [],
    modules: options.modules ?? [],
    hookTimeoutMs: 200,
  });
  return { runtime, dir, log };
}

describe("CoreRuntime", () => {
  it("starts modules then plugins, and stops plugins before modules", async () => {
    const order: string[] = [];
    const mod = defineModule({
      name: "probe",
      start: () => void order.push("module start"),
      stop: () => void order.push("module stop"),
    });
    const p = plugin("alpha", {
      onStart: () => void order.push("plugin start"),
      onStop: () => void order.push("plugin stop"),
    });
    const { runtime } = makeRuntime({ modules: [mod], plugins: [p] });
    await runtime.start();
    await runtime.stop();
    expect(order).toEqual(["module start", "plugin start", "plugin stop", "module stop"]);
  });

  it("treats a second start() and a second stop() as no-ops", async () => {
    let starts = 0;
    let stops = 0;
    const { runtime } = makeRuntime({
      plugins: [plugin("alpha", { onStart: () => void starts++, onStop: () => void stops++ })],
    });
    await Promise.all([runtime.start(), runtime.start()]);
    await runtime.start();
    const [a, b] = await Promise.all([runtime.stop(), runtime.stop()]);
    await runtime.stop();
    expect(starts).toBe(1);
    expect(stops).toBe(1);
    expect(a).toBe(b);
    expect(runtime.phase).toBe("stopped");
  });

  it("publishes lifecycle events on the bus", async () => {
    const { runtime } = makeRuntime({ plugins: [plugin("alpha", {})] });
    await runtime.init();
    const seen: string[] = [];
    runtime.kernel.bus.subscribe("*", (e) => {
      if (e.type.startsWith("$runtime") || e.type.startsWith("$plugin")) seen.push(e.type);
    });
    await runtime.start();
    await runtime.stop();
    expect(seen).toEqual(
      expect.arrayContaining([
        "$runtime.starting",
        "$plugin.started",
        "$runtime.started",
        "$runtime.stopping",
      ]),
    );
    expect(seen.indexOf("$runtime.starting")).toBeLessThan(seen.indexOf("$plugin.started"));
    expect(seen.indexOf("$plugin.started")).toBeLessThan(seen.indexOf("$runtime.started"));
  });

  it("fails start with MODULE_REQUIRED_FAILED and can still be stopped safely", async () => {
    const broken = defineModule({
      name: "broken",
      required: true,
      start() {
        throw new Error("no");
      },
    });
    const { runtime, dir } = makeRuntime({ modules: [broken] });
    const err = await runtime.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HearthError);
    expect((err as HearthError).code).toBe("MODULE_REQUIRED_FAILED");
    expect((err as HearthError).message).toContain("broken");
    const result = await runtime.stop();
    expect(result.timedOut).toBe(false);
    // Storage was closed cleanly: the file opens again.
    const storage = await openStorage({ path: join(dir, "hearth.db") });
    await storage.close();
  });

  it("is unhealthy before start, healthy when started, degraded when an optional plugin failed", async () => {
    const { runtime } = makeRuntime({
      plugins: [
        plugin("good", {}),
        plugin("bad", {
          onStart() {
            throw new Error("boom");
          },
        }),
      ],
    });
    expect((await runtime.healthCheck()).status).toBe("unhealthy");
    await runtime.start();
    const health = await runtime.healthCheck();
    expect(health.status).toBe("degraded");
    expect(health.checks.storage.status).toBe("healthy");
    expect(health.checks.plugins.plugins.bad?.status).not.toBe("healthy");
    expect(health.checks.plugins.plugins.good?.status).toBe("healthy");
    await runtime.stop();
    expect((await runtime.healthCheck()).status).toBe("unhealthy");
  });

  it("reports storage unhealthy, without hanging, while a transaction holds it", async () => {
    const { runtime } = makeRuntime({ plugins: [plugin("good", {})] });
    await runtime.start();
    let release: () => void = () => {};
    const held = runtime.kernel.storage.transaction(
      () =>
        new Promise<void>((r) => {
          release = r;
        }),
    );
    const health = await runtime.healthCheck();
    expect(health.status).toBe("unhealthy");
    expect(health.checks.storage.detail).toContain("did not answer");
    release();
    await held;
    expect((await runtime.healthCheck()).status).toBe("healthy");
    await runtime.stop();
  });

  it("refuses a second runtime on the same data folder until the first stops", async () => {
    const first = makeRuntime();
    await first.runtime.start();
    const { config } = loadConfig({ env: { HEARTH_DATA_DIR: first.dir }, cwd: first.dir });
    const second = new CoreRuntime({ config, logger: first.log.logger, http: false, builtinPlugins: [] });
    const err = await second.init().catch((e: unknown) => e);
    expect((err as HearthError).code).toBe("DATA_DIR_IN_USE");
    await first.runtime.stop();
    const third = new CoreRuntime({ config, logger: first.log.logger, http: false, builtinPlugins: [] });
    await third.start();
    await third.stop();
  });

  it("is healthy with every plugin started", async () => {
    const { runtime } = makeRuntime({ plugins: [plugin("good", {})] });
    await runtime.start();
    expect((await runtime.healthCheck()).status).toBe("healthy");
    await runtime.stop();
  });

  it("reports metrics: plugin and module states, start time, counters, storage stats", async () => {
    const { runtime } = makeRuntime({
      plugins: [
        plugin("svc", {
          onStart(ctx) {
            ctx.services.register("echo", (p: unknown) => p);
          },
        }),
      ],
    });
    await runtime.start();
    await runtime.kernel.services.call("svc.echo", { a: 1 });
    runtime.recordUncaught("unhandledRejection", new Error("stray"));
    const m = runtime.getMetrics();
    expect(m.phase).toBe("started");
    expect(m.startMs).toBeGreaterThan(0);
    expect(m.plugins.find((p) => p.name === "svc")?.state).toBe("started");
    expect(m.modules.map((x) => x.name)).toContain("logger");
    expect(m.services["svc.echo"]?.calls).toBe(1);
    expect(m.errors.unhandledRejections).toBe(1);
    expect(m.storage.schemaVersion).toBeGreaterThan(0);
    expect(m.bus.published).toBeGreaterThan(0);
    await runtime.stop();
  });

  it("abandons a hung plugin after shutdownTimeoutMs, names it, and still flushes storage", async () => {
    const { runtime, dir, log } = makeRuntime({
      env: { HEARTH_SHUTDOWN_TIMEOUT_MS: "150", HEARTH_STORAGE_FLUSH_INTERVAL_MS: "3600000" },
      plugins: [
        plugin("sloth", {
          async onStart(ctx) {
            await ctx.storage.set("sloth", "report", { on: true }, { deferred: true });
          },
          onStop: () => new Promise(() => {}),
        }),
      ],
    });
    await runtime.start();
    const result = await runtime.stop();
    expect(result.timedOut).toBe(true);
    expect(result.hung).toContain("plugin sloth");
    expect(log.lines.some((l) => l.level === "error" && String(l.msg).includes("plugin sloth"))).toBe(true);
    const storage = await openStorage({ path: join(dir, "hearth.db") });
    expect(await storage.get("sloth", "report")).toEqual({ on: true });
    await storage.close();
  });

  it("keeps the logger.log service available to plugins", async () => {
    const { runtime, log } = makeRuntime({
      plugins: [
        plugin("talker", {
          async onStart(ctx) {
            await ctx.services.call("logger.log", { level: "info", message: "hello from talker" });
          },
        }),
      ],
    });
    await runtime.start();
    expect(log.lines.some((l) => l.msg === "hello from talker")).toBe(true);
    await runtime.stop();
  });
});
