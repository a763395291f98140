/**
 * The zigbee plugin costs nothing unless configured (issue 16): `hearth run` (src/main.ts, as a user
 * starts it) without a `plugins.zigbee` section never evaluates the plugin's code nor any of
 * zigbee-herdsman's modules. A preload in the child writes `require.cache` (Bun lists ES modules
 * there too) to a file when the process exits; the configured run is the control that shows the probe
 * does see herdsman when it is loaded.
 */
import { afterAll, describe, expect, it } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../../..");
const work = mkdtempSync(join(tmpdir(), "hearth-zigbee-lazy-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const PROBE = `
import { writeFileSync } from "node:fs";
process.on("exit", () => writeFileSync(process.env.PROBE_OUT, JSON.stringify(Object.keys(require.cache))));
`;
writeFileSync(join(work, "probe.ts"), PROBE);

/** Runs `hearth run` from source until `until` is logged, stops it, and returns the modules it had loaded. */
async function loadedModules(
  name: string,
  config: object,
  until: (line: Record<string, unknown>) => boolean,
) {
  const dir = join(work, name);
  const out = join(work, `${name}.json`);
  const configFile = join(work, `${name}.hearth.json`);
  writeFileSync(configFile, JSON.stringify(config));
  const proc = Bun.spawn(
    [
      process.execPath,
      "--preload",
      join(work, "probe.ts"),
      join(ROOT, "src/main.ts"),
      "run",
      "--data-dir",
      dir,
    ],
    {
      cwd: work,
      env: {
        PATH: process.env.PATH ?? "",
        HEARTH_CONFIG: configFile,
        HEARTH_HTTP_HOST: "127.0.0.1",
        HEARTH_HTTP_PORT: "0",
        HEARTH_LOG_LEVEL: "info",
        PROBE_OUT: out,
      },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  // stdout is read to its end (not cancelled half-way: the child still logs while it stops).
  let seen = "";
  let found = false;
  const pump = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) {
      seen += decoder.decode(chunk, { stream: true });
      if (!found)
        found = seen.split("\n").some((l) => {
          try {
            return until(JSON.parse(l) as Record<string, unknown>);
          } catch {
            return false;
          }
        });
    }
  })();
  const deadline = Date.now() + 30_000;
  while (!found && proc.exitCode === null && Date.now() < deadline) await Bun.sleep(20);
  proc.kill("SIGTERM");
  await Promise.all([proc.exited, pump]);
  if (!found) throw new Error(`hearth never logged what the test waits for:\n${seen}`);
  const modules = JSON.parse(readFileSync(out, "utf8")) as string[];
  return {
    // Code, not the manifest: plugin.json is read at discovery, as for every plugin.
    plugin: modules.filter((m) => m.includes(`${join("plugins", "zigbee")}/`) && !m.endsWith(".json")),
    herdsman: modules.filter((m) => m.includes("/node_modules/zigbee-herdsman/")),
    total: modules.length,
  };
}

describe("zigbee plugin: lazy loading", () => {
  it("a runtime without plugins.zigbee never loads the plugin's code or zigbee-herdsman", async () => {
    const off = await loadedModules("off", {}, (l) => l.msg === "runtime started");
    expect(off.total).toBeGreaterThan(50);
    expect(off.plugin).toEqual([]);
    expect(off.herdsman).toEqual([]);
  }, 40_000);

  it("configured, the same probe sees the plugin and herdsman's modules (the control)", async () => {
    const on = await loadedModules(
      "on",
      { plugins: { zigbee: { config: { port: join(work, "no-such-stick"), retryMinMs: 60_000 } } } },
      (l) => l.msg === "zigbee network start failed",
    );
    expect(on.plugin.length).toBeGreaterThan(0);
    expect(on.herdsman.length).toBeGreaterThan(100);
  }, 40_000);
});
