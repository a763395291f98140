import { describe, expect, it } from "bun:test";
import { orderPlugins } from "../../../../src/kernel/plugins/order.ts";
import { builtin, harness, recorder } from "./helpers.ts";

const node = (name: string, ...dependencies: string[]) => ({ name, dependencies });

describe("orderPlugins", () => {
  it("puts dependencies before their dependents", () => {
    const { order } = orderPlugins([node("ui", "api"), node("api", "db"), node("db")]);
    expect(order).toEqual(["db", "api", "ui"]);
  });

  it("orders peers by name, whatever the input order", () => {
    const a = orderPlugins([node("c"), node("a"), node("b", "c")]).order;
    const b = orderPlugins([node("b", "c"), node("c"), node("a")]).order;
    expect(a).toEqual(["a", "c", "b"]);
    expect(b).toEqual(a);
  });

  it("skips a plugin whose dependency is absent, and its dependents transitively", () => {
    const { order, skipped } = orderPlugins([node("a", "ghost"), node("b", "a"), node("c", "b"), node("d")]);
    expect(order).toEqual(["d"]);
    expect(skipped.get("a")).toEqual({ kind: "missing", dependency: "ghost", root: "ghost" });
    expect(skipped.get("c")).toEqual({ kind: "missing", dependency: "b", root: "ghost" });
  });

  it("skips exactly the plugins of a cycle, naming it", () => {
    const { order, skipped } = orderPlugins([node("a", "b"), node("b", "c"), node("c", "a"), node("free")]);
    expect(order).toEqual(["free"]);
    expect(skipped.get("a")).toMatchObject({ kind: "cycle", cycle: ["a", "b", "c", "a"] });
    expect([...skipped.keys()].sort()).toEqual(["a", "b", "c"]);
  });

  it("skips the dependents of a cycle but not its dependencies", () => {
    const { order, skipped } = orderPlugins([
      node("base"),
      node("x", "y", "base"),
      node("y", "x"),
      node("top", "x"),
    ]);
    expect(order).toEqual(["base"]);
    expect(skipped.get("top")).toEqual({ kind: "cycle", dependency: "x", cycle: ["x", "y", "x"] });
  });

  it("treats a plugin depending on itself as a cycle of one", () => {
    const { skipped } = orderPlugins([node("me", "me")]);
    expect(skipped.get("me")).toMatchObject({ kind: "cycle", cycle: ["me", "me"] });
  });
});

describe("PluginManager: dependency order", () => {
  it("starts in dependency order and stops in exactly the reverse order", async () => {
    const log: string[] = [];
    const { manager } = harness({
      builtins: [
        builtin("ui", recorder("ui", log), { dependencies: ["api"] }),
        builtin("db", recorder("db", log)),
        builtin("api", recorder("api", log), { dependencies: ["db"] }),
      ],
    });
    await manager.startAll();
    const started = log.filter((l) => l.endsWith("onStart"));
    expect(started).toEqual(["db.onStart", "api.onStart", "ui.onStart"]);
    log.length = 0;
    await manager.stopAll();
    expect(log).toEqual([
      "ui.onStop",
      "ui.onUnload",
      "api.onStop",
      "api.onUnload",
      "db.onStop",
      "db.onUnload",
    ]);
  });

  it("skips a plugin with a missing dependency and its dependents, and starts the rest", async () => {
    const log: string[] = [];
    const { manager } = harness({
      builtins: [
        builtin("a", recorder("a", log), { dependencies: ["ghost"] }),
        builtin("b", recorder("b", log), { dependencies: ["a"] }),
        builtin("c", recorder("c", log)),
      ],
    });
    await manager.startAll();
    expect(manager.get("a")).toMatchObject({
      state: "skipped",
      error: { code: "PLUGIN_DEPENDENCY_MISSING" },
    });
    expect(manager.get("a").error?.message).toContain('"ghost", which is not installed');
    expect(manager.get("b")).toMatchObject({
      state: "skipped",
      error: { code: "PLUGIN_DEPENDENCY_MISSING" },
    });
    expect(manager.get("c").state).toBe("started");
    expect(log).toEqual(["c.onLoad", "c.onStart"]);
  });

  it("skips the plugins of a cycle with PLUGIN_DEPENDENCY_CYCLE", async () => {
    const { manager } = harness({
      builtins: [
        builtin("a", {}, { dependencies: ["b"] }),
        builtin("b", {}, { dependencies: ["a"] }),
        builtin("top", {}, { dependencies: ["a"] }),
        builtin("c", {}),
      ],
    });
    await manager.startAll();
    expect(manager.get("a").error).toMatchObject({
      code: "PLUGIN_DEPENDENCY_CYCLE",
      data: { cycle: ["a", "b", "a"] },
    });
    expect(manager.get("a").error?.message).toContain("a → b → a");
    expect(manager.get("top")).toMatchObject({
      state: "skipped",
      error: { code: "PLUGIN_DEPENDENCY_CYCLE" },
    });
    expect(manager.get("c").state).toBe("started");
  });

  it("skips a plugin whose dependency is disabled in the config, saying so", async () => {
    const { manager } = harness({
      builtins: [builtin("a", {}), builtin("b", {}, { dependencies: ["a"] })],
      config: { a: { enabled: false } },
    });
    await manager.startAll();
    expect(manager.get("a").state).toBe("disabled");
    expect(manager.get("b").error?.message).toContain("is disabled");
  });

  it("skips the dependents of a plugin that failed", async () => {
    const { manager } = harness({
      builtins: [
        builtin("a", recorder("a", [], { onStart: true })),
        builtin("b", {}, { dependencies: ["a"] }),
      ],
    });
    await manager.startAll();
    expect(manager.get("a").state).toBe("failed");
    expect(manager.get("b")).toMatchObject({
      state: "skipped",
      error: { code: "PLUGIN_DEPENDENCY_MISSING" },
    });
    expect(manager.get("b").error?.message).toContain("which has failed");
  });
});
