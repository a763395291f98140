import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT, runCli } from "../../../src/cli/commands.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hearth-cli-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

function external(name: string, manifest: Record<string, unknown> = {}): void {
  const d = join(dir, "data", "plugins", name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, "plugin.json"), JSON.stringify({ name, version: "1.0.0", ...manifest }));
  writeFileSync(join(d, "index.ts"), "export default {};\n");
}

const dataDir = () => join(dir, "data");

describe("hearth check", () => {
  it("passes on the embedded defaults with the built-in plugins", async () => {
    const r = await cli("check", "--data-dir", dataDir());
    expect(r.code).toBe(EXIT.OK);
    expect(r.out).toContain("check: ok");
    expect(r.out).toContain("demo");
  });

  it("writes nothing to the data folder", async () => {
    external("quiet");
    await cli("check", "--data-dir", dataDir());
    expect(readdirSync(dataDir())).toEqual(["plugins"]);
  });

  it("fails naming the folder of an invalid manifest", async () => {
    external("escapee", { entry: "../../etc/passwd" });
    const r = await cli("check", "--data-dir", dataDir());
    expect(r.code).toBe(EXIT.FAILURE);
    expect(r.err).toContain("PLUGIN_MANIFEST_INVALID");
    expect(r.err).toContain("escapee");
  });

  it("fails on a missing dependency and on a cycle, naming the plugins", async () => {
    external("needy", { dependencies: ["absent"] });
    external("chicken", { dependencies: ["egg"] });
    external("egg", { dependencies: ["chicken"] });
    const r = await cli("check", "--data-dir", dataDir());
    expect(r.code).toBe(EXIT.FAILURE);
    expect(r.err).toMatch(/plugin needy: PLUGIN_DEPENDENCY_MISSING/);
    expect(r.err).toMatch(/plugin chicken: PLUGIN_DEPENDENCY_CYCLE/);
    expect(r.err).toMatch(/plugin egg: PLUGIN_DEPENDENCY_CYCLE/);
    expect(r.err).toContain("3 problems found");
  });

  it("fails on a configured plugin that does not exist (a typo)", async () => {
    const file = join(dir, "hearth.json");
    writeFileSync(file, JSON.stringify({ dataDir: dataDir(), plugins: { dmeo: { enabled: true } } }));
    const r = await cli("check", "--config", file);
    expect(r.code).toBe(EXIT.FAILURE);
    expect(r.err).toContain('no plugin named "dmeo"');
  });

  it("fails with exit 1 and the path on an invalid configuration", async () => {
    const file = join(dir, "hearth.json");
    writeFileSync(file, JSON.stringify({ http: { port: "x" } }));
    const r = await cli("check", "--config", file);
    expect(r.code).toBe(EXIT.FAILURE);
    expect(r.err).toContain("http.port");
  });
});

describe("hearth check catches before anything is written", () => {
  const config = (body: unknown) => {
    const file = join(dir, "hearth.json");
    writeFileSync(file, JSON.stringify(body));
    return file;
  };

  it("a host that is no hostname or IP address", async () => {
    const r = await cli("check", "--config", config({ dataDir: dataDir(), http: { host: "not a host" } }));
    expect(r.code).toBe(EXIT.FAILURE);
    expect(r.err).toContain("CONFIG_INVALID");
    expect(r.err).toContain("http.host");
    expect(readdirSync(dir)).toEqual(["hearth.json"]);
  });

  it("a data folder with a NUL byte, as a Hearth error and not a Node one", async () => {
    const r = await cli("check", "--config", config({ dataDir: `${dataDir()}\u0000x` }));
    expect(r.code).toBe(EXIT.FAILURE);
    expect(r.err).toContain("CONFIG_INVALID");
    expect(r.err).toContain("dataDir");
    expect(readdirSync(dir)).toEqual(["hearth.json"]);
  });

  it("a plugin config slice its plugin's schema refuses, naming the plugin and the key", async () => {
    const file = config({ dataDir: dataDir(), plugins: { demo: { config: { intervalMs: 5 } } } });
    const r = await cli("check", "--config", file);
    expect(r.code).toBe(EXIT.FAILURE);
    expect(r.err).toMatch(/plugin demo: PLUGIN_CONFIG_INVALID: .*intervalMs/);
    expect(readdirSync(dir)).toEqual(["hearth.json"]);
  });

  it("a config reference to a variable that is not set", async () => {
    const file = config({
      dataDir: dataDir(),
      plugins: { demo: { config: { intervalMs: { $env: "NO_SUCH_VAR_X" } } } },
    });
    const r = await cli("check", "--config", file);
    expect(r.code).toBe(EXIT.FAILURE);
    expect(r.err).toContain("plugins.demo.config.intervalMs");
    expect(r.err).toContain("NO_SUCH_VAR_X");
  });
});

describe("hearth plugins", () => {
  it("lists built-in and external plugins with why any would be skipped", async () => {
    external("needy", { dependencies: ["absent"], isIntegration: true });
    const r = await cli("plugins", "--data-dir", dataDir(), "--json");
    expect(r.code).toBe(EXIT.OK);
    const { plugins } = JSON.parse(r.out) as {
      plugins: { name: string; status: string; reason?: string; integration: boolean }[];
    };
    const byName = Object.fromEntries(plugins.map((p) => [p.name, p]));
    expect(byName.demo?.status).toBe("ok");
    expect(byName.needy?.status).toBe("skipped");
    expect(byName.needy?.integration).toBe(true);
    expect(byName.needy?.reason).toContain("absent");
  });

  it("shows plugins disabled in the configuration", async () => {
    const file = join(dir, "hearth.json");
    writeFileSync(file, JSON.stringify({ dataDir: dataDir(), plugins: { demo: { enabled: false } } }));
    const r = await cli("plugins", "--config", file);
    expect(r.out).toMatch(/^demo\s+\S+\s+builtin\s+disabled/m);
  });

  it("lists invalid plugin folders separately", async () => {
    const d = join(dataDir(), "plugins", "broken");
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, "plugin.json"), "{ not json");
    const r = await cli("plugins", "--data-dir", dataDir());
    expect(r.out).toContain("invalid:");
    expect(r.out).toContain("PLUGIN_MANIFEST_INVALID");
  });
});
