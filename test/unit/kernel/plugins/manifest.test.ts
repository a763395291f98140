import { describe, expect, it } from "bun:test";
import { symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HearthError } from "../../../../src/errors.ts";
import { parseManifest } from "../../../../src/kernel/plugins/index.ts";
import { builtin, createKernel, harness, recordingSink, tempDir, writePlugin } from "./helpers.ts";

const CODE = "export default { onStart() {} };";

function manifestError(raw: unknown): HearthError {
  try {
    parseManifest(raw, "test");
  } catch (err) {
    if (err instanceof HearthError) return err;
  }
  throw new Error("expected PLUGIN_MANIFEST_INVALID");
}

function issuePaths(err: HearthError): string[] {
  return (err.data as { issues: { path: string }[] }).issues.map((i) => i.path);
}

describe("plugin.json validation", () => {
  it("accepts a full manifest", () => {
    const m = parseManifest(
      {
        name: "zigbee",
        version: "1.2.3-beta.1",
        description: "Z-Stack",
        author: "me",
        dependencies: ["serial-port"],
        isIntegration: true,
        entry: "src/main.ts",
        config: { type: "object" },
      },
      "test",
    );
    expect(m.entry).toBe("src/main.ts");
    expect(m.dependencies).toEqual(["serial-port"]);
  });

  it("refuses a name with capitals or a leading digit", () => {
    expect(manifestError({ name: "Zigbee", version: "1.0.0" }).code).toBe("PLUGIN_MANIFEST_INVALID");
    expect(issuePaths(manifestError({ name: "1x", version: "1.0.0" }))).toEqual(["name"]);
  });

  it("refuses a version that is not semver", () => {
    expect(issuePaths(manifestError({ name: "x", version: "1.0" }))).toEqual(["version"]);
  });

  it("refuses unknown keys", () => {
    const err = manifestError({ name: "x", version: "1.0.0", main: "index.js" });
    expect(err.message).toContain("main");
  });

  it("refuses an entry that climbs out of the folder", () => {
    expect(issuePaths(manifestError({ name: "x", version: "1.0.0", entry: "../../etc/x" }))).toEqual([
      "entry",
    ]);
    expect(issuePaths(manifestError({ name: "x", version: "1.0.0", entry: "lib/../../x.ts" }))).toEqual([
      "entry",
    ]);
  });

  it("refuses an absolute entry", () => {
    expect(issuePaths(manifestError({ name: "x", version: "1.0.0", entry: "/etc/passwd" }))).toEqual([
      "entry",
    ]);
    expect(issuePaths(manifestError({ name: "x", version: "1.0.0", entry: "C:\\x.ts" }))).toEqual(["entry"]);
  });

  it("refuses a dependency listed twice or with a bad name", () => {
    expect(issuePaths(manifestError({ name: "x", version: "1.0.0", dependencies: ["a", "a"] }))).toEqual([
      "dependencies",
    ]);
    expect(issuePaths(manifestError({ name: "x", version: "1.0.0", dependencies: ["A"] }))).toEqual([
      "dependencies.0",
    ]);
  });

  it("refuses isIntegration that is not a boolean", () => {
    expect(issuePaths(manifestError({ name: "x", version: "1.0.0", isIntegration: "yes" }))).toEqual([
      "isIntegration",
    ]);
  });
});

describe("discovery of external plugins", () => {
  it("finds every subfolder with a plugin.json and ignores the rest", async () => {
    const dir = tempDir();
    writePlugin(dir, "b", { name: "beta", version: "1.0.0" }, { "index.ts": CODE });
    writePlugin(dir, "a", { name: "alpha", version: "1.0.0" }, { "index.ts": CODE });
    writeFileSync(join(dir, "notes.txt"), "not a plugin");
    const { manager } = harness({ pluginsDir: dir });
    const found = await manager.discover();
    expect(found.map((p) => [p.name, p.origin, p.state])).toEqual([
      ["alpha", "external", "discovered"],
      ["beta", "external", "discovered"],
    ]);
  });

  it("treats a missing plugins folder as no external plugins", async () => {
    const { manager } = harness({ pluginsDir: join(tempDir(), "nope"), builtins: [builtin("demo", {})] });
    expect((await manager.discover()).map((p) => p.name)).toEqual(["demo"]);
    expect(manager.problems()).toEqual([]);
  });

  it("skips only the folder whose manifest is invalid, with a precise error", async () => {
    const dir = tempDir();
    writePlugin(dir, "good", { name: "good", version: "1.0.0" }, { "index.ts": CODE });
    writePlugin(dir, "bad", { name: "bad", version: "one" }, { "index.ts": CODE });
    writePlugin(dir, "broken", "{ not json", { "index.ts": CODE });
    const { manager } = harness({ pluginsDir: dir });
    expect((await manager.discover()).map((p) => p.name)).toEqual(["good"]);
    const problems = manager.problems();
    expect(problems.map((p) => [p.source, p.error.code])).toEqual([
      [join(dir, "bad"), "PLUGIN_MANIFEST_INVALID"],
      [join(dir, "broken"), "PLUGIN_MANIFEST_INVALID"],
    ]);
    expect(problems[0]?.error.message).toContain("version");
    expect(problems[1]?.error.message).toContain("not valid JSON");
  });

  it("refuses a traversing entry and still starts the other plugins", async () => {
    const dir = tempDir();
    writePlugin(dir, "evil", { name: "evil", version: "1.0.0", entry: "../../etc/x" });
    writePlugin(dir, "fine", { name: "fine", version: "1.0.0" }, { "index.ts": CODE });
    const { manager } = harness({ pluginsDir: dir });
    await manager.startAll();
    expect(manager.list().map((p) => `${p.name}:${p.state}`)).toEqual(["fine:started"]);
    expect(manager.problems()[0]?.error.message).toContain("entry");
  });

  it("refuses an entry that a symlink leads outside the folder", async () => {
    const dir = tempDir();
    const outside = join(tempDir(), "outside.ts");
    writeFileSync(outside, CODE);
    const plugin = writePlugin(dir, "sneaky", { name: "sneaky", version: "1.0.0" });
    symlinkSync(outside, join(plugin, "index.ts"));
    const { manager } = harness({ pluginsDir: dir });
    expect(await manager.discover()).toEqual([]);
    expect(manager.problems()[0]?.error.message).toContain("outside");
  });

  it("refuses a manifest whose entry file does not exist", async () => {
    const dir = tempDir();
    writePlugin(dir, "empty", { name: "empty", version: "1.0.0", entry: "main.ts" });
    const { manager } = harness({ pluginsDir: dir });
    expect(await manager.discover()).toEqual([]);
    expect(manager.problems()[0]?.error).toMatchObject({ code: "PLUGIN_MANIFEST_INVALID" });
  });

  it("keeps the built-in and skips an external plugin of the same name", async () => {
    const dir = tempDir();
    writePlugin(dir, "demo", { name: "demo", version: "9.0.0" }, { "index.ts": CODE });
    const { manager } = harness({ pluginsDir: dir, builtins: [builtin("demo", {})] });
    const [demo] = await manager.discover();
    expect(demo).toMatchObject({ name: "demo", origin: "builtin", version: "1.0.0" });
    expect(manager.problems().map((p) => p.error.code)).toEqual(["PLUGIN_DUPLICATE"]);
  });

  it("keeps the first of two external folders declaring the same name", async () => {
    const dir = tempDir();
    writePlugin(dir, "a-copy", { name: "same", version: "1.0.0" }, { "index.ts": CODE });
    writePlugin(dir, "b-copy", { name: "same", version: "2.0.0" }, { "index.ts": CODE });
    const { manager } = harness({ pluginsDir: dir });
    expect((await manager.discover()).map((p) => p.version)).toEqual(["1.0.0"]);
    expect(manager.problems()[0]).toMatchObject({
      source: join(dir, "b-copy"),
      error: { code: "PLUGIN_DUPLICATE" },
    });
  });

  it("refuses a plugin named like a module, whose services and storage it would take over", async () => {
    const { manager } = harness({ builtins: [builtin("devices", {})] });
    expect(await manager.discover()).toEqual([]);
    expect(manager.problems()[0]?.error.message).toContain("reserved");
  });

  it("validates built-in manifests too", async () => {
    const { manager } = harness({ builtins: [builtin("ok", {}), builtin("Bad Name", {})] });
    expect((await manager.discover()).map((p) => p.name)).toEqual(["ok"]);
    expect(manager.problems()[0]?.source).toBe("builtin:Bad Name");
  });

  it("reads isIntegration from the manifest without importing any code", async () => {
    const dir = tempDir();
    writePlugin(
      dir,
      "hue",
      { name: "hue", version: "1.0.0", isIntegration: true },
      {
        "index.ts": "globalThis.__hueImported = true; export default {};",
      },
    );
    const sink = recordingSink();
    const { manager } = harness({ pluginsDir: dir, kernel: { ...createKernel(), integrations: sink } });
    const [hue] = await manager.discover();
    expect(hue?.isIntegration).toBe(true);
    expect((globalThis as { __hueImported?: boolean }).__hueImported).toBeUndefined();
    expect(sink.calls).toEqual(["declare hue"]);
  });

  it("adds plugins that appeared since on a later discover, keeping the running ones", async () => {
    const dir = tempDir();
    writePlugin(dir, "first", { name: "first", version: "1.0.0" }, { "index.ts": CODE });
    const { manager } = harness({ pluginsDir: dir });
    await manager.startAll();
    writePlugin(dir, "second", { name: "second", version: "1.0.0" }, { "index.ts": CODE });
    const found = await manager.discover();
    expect(found.map((p) => `${p.name}:${p.state}`)).toEqual(["first:started", "second:discovered"]);
    expect(manager.problems()).toEqual([]);
  });

  it("reports a bad manifest in health as degraded", async () => {
    const dir = tempDir();
    writePlugin(dir, "bad", { name: "bad" });
    const { manager } = harness({ pluginsDir: dir });
    await manager.startAll();
    const health = manager.health();
    expect(health.status).toBe("degraded");
    expect(health.plugins[join(dir, "bad")]?.state).toBe("invalid");
  });
});
