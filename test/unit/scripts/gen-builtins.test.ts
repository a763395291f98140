import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { generate } from "../../../scripts/gen-builtins.ts";
import { BUILTIN_PLUGINS } from "../../../src/builtin-plugins.generated.ts";

describe("built-in plugins", () => {
  it("the generated import file is up to date with plugins/ (run `bun run build` if not)", () => {
    const file = readFileSync(join(import.meta.dir, "../../../src/builtin-plugins.generated.ts"), "utf8");
    expect(file).toBe(generate());
  });

  it("embeds every built-in plugin with its manifest and a loadable default export", async () => {
    expect(BUILTIN_PLUGINS.length).toBeGreaterThan(0);
    for (const p of BUILTIN_PLUGINS) {
      expect(typeof (p.manifest as { name?: unknown }).name).toBe("string");
      const mod = (await p.load()) as { default?: unknown };
      expect(typeof mod.default).toBe("object");
    }
  });
});
