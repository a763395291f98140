/**
 * A built-in integration declares its config's JSON Schema in plugin.json (`config`), so the
 * integrations API shows it before the plugin's code is loaded (zigbee is off by default) and start-up
 * does not convert the zod schema every time (~2 ms for mqtt). It must say exactly what the code's zod
 * schema says: regenerate with `zodToJsonSchema(configSchema(z))` when that changes.
 */
import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { BUILTIN_PLUGINS } from "../../src/builtin-plugins.generated.ts";
import { zodToJsonSchema } from "../../src/kernel/integrations/index.ts";

describe("built-in integrations' manifest config", () => {
  const integrations = BUILTIN_PLUGINS.filter(
    (p) => (p.manifest as { isIntegration?: boolean }).isIntegration,
  );

  it("there are some", () => {
    expect(integrations.length).toBeGreaterThan(0);
  });

  for (const p of integrations) {
    const { name } = p.manifest as { name: string };
    it(`${name}: plugin.json's config is its zod config schema as JSON Schema`, async () => {
      const mod = (await p.load()) as { default: { configSchema?: (zz: typeof z) => z.ZodType } };
      const manifest = JSON.parse(
        readFileSync(join(import.meta.dir, "../../plugins", name, "plugin.json"), "utf8"),
      );
      expect(mod.default.configSchema).toBeDefined();
      expect(manifest.config).toEqual(
        zodToJsonSchema((mod.default.configSchema as (zz: typeof z) => z.ZodType)(z)),
      );
    });
  }
});
