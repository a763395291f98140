/**
 * The plugin.json read race (issue 10): a path checked and then read lets a FIFO swapped in between
 * block discovery. Another process swaps plugin.json between a regular file and a FIFO as fast as it
 * can while discovery runs many times: every scan must end, with the plugin or a clear problem.
 */
import { afterAll, expect, it } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scanPluginsDir } from "../../../../src/kernel/plugins/discovery.ts";
import { tempDir, writePlugin } from "./helpers.ts";

const SCANS = 300;
const swappers: Bun.Subprocess[] = [];
afterAll(() => {
  for (const p of swappers) p.kill(9);
});

it("never blocks while plugin.json is swapped between a file and a FIFO", async () => {
  const root = tempDir();
  const dir = writePlugin(
    root,
    "racy",
    { name: "racy", version: "1.0.0" },
    { "index.ts": "export default {};" },
  );
  writeFileSync(join(dir, "real.json"), JSON.stringify({ name: "racy", version: "1.0.0" }));
  rmSync(join(dir, "plugin.json"));
  expect(Bun.spawnSync(["mkfifo", join(dir, "fifo")]).exitCode).toBe(0);
  // Each rename is atomic: plugin.json is, at any moment, the real file, the FIFO, or absent.
  const swapper = Bun.spawn(
    [
      "sh",
      "-c",
      'cd "$1" && while :; do mv -f real.json plugin.json; mv -f plugin.json real.json; mv -f fifo plugin.json; mv -f plugin.json fifo; done',
      "swapper",
      dir,
    ],
    { stdout: "ignore", stderr: "ignore" },
  );
  swappers.push(swapper);

  const outcomes = new Map<string, number>();
  const count = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
  for (let i = 0; i < SCANS; i++) {
    const scan = await scanPluginsDir(root);
    if (scan.sources.length === 1) count("found");
    else if (scan.problems.length === 1) {
      const { code, message } = scan.problems[0]?.error ?? { code: "?", message: "?" };
      expect(code).toBe("PLUGIN_MANIFEST_INVALID");
      count(/not a regular file/.test(message) ? "fifo refused" : "absent or replaced");
    } else count("nothing");
  }
  swapper.kill(9);
  console.log(`[discovery-race] ${SCANS} scans: ${JSON.stringify(Object.fromEntries(outcomes))}`);
  // Every scan ended (a blocked one would have hung the test); the FIFO was met at least once.
  expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(SCANS);
  expect(outcomes.get("fifo refused") ?? 0).toBeGreaterThan(0);
}, 60_000);
