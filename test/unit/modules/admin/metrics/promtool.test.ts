import { describe, expect, it } from "bun:test";
import { toolAvailable } from "../../../../helpers/tools.ts";
import { scenario } from "./scenario.ts";

/**
 * Debian's `promtool check metrics` (package `prometheus`) lints the exposition: names, suffixes,
 * units, HELP/TYPE. .ci/run installs it and CI requires it; on a machine without it the test is
 * skipped with a visible warning (`apt-get install -y prometheus` to run it).
 */
const HAVE_PROMTOOL = toolAvailable("promtool");

describe("promtool", () => {
  it.skipIf(!HAVE_PROMTOOL)(
    "accepts the exposition of a busy runtime without a single lint problem",
    async () => {
      const { body } = await scenario();
      const proc = Bun.spawn(["promtool", "check", "metrics"], {
        stdin: "pipe",
        stdout: "pipe",
        stderr: "pipe",
      });
      proc.stdin.write(body);
      await proc.stdin.end();
      const [out, err, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      expect(`${out}${err}`.trim()).toBe("");
      expect(code).toBe(0);
    },
  );
});
