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
import { defaultNodeId } from "../../plugins/mqtt/config.ts";
import { BUILTIN_PLUGINS } from "../../src/builtin-plugins.generated.ts";
import { zodToJsonSchema } from "../../src/kernel/integrations/index.ts";

/** Defaults a schema computes where it runs: the manifest leaves them out and says so. */
const DYNAMIC_DEFAULTS: Record<string, Record<string, () => unknown>> = {
  mqtt: { nodeId: () => defaultNodeId() },
};

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
      const fromCode = zodToJsonSchema((mod.default.configSchema as (zz: typeof z) => z.ZodType)(z));
      // A default computed on the machine it runs on (mqtt's nodeId is the host name) cannot be
      // written down: the manifest describes it instead of carrying the build machine's value.
      const properties = fromCode.properties as Record<string, Record<string, unknown>>;
      for (const [key, dynamic] of Object.entries(DYNAMIC_DEFAULTS[name] ?? {})) {
        const property = properties[key] as Record<string, unknown>;
        expect(property.default).toBe(dynamic());
        delete property.default;
        property.description = manifest.config.properties[key].description;
        expect(property.description).toContain("default");
      }
      expect(manifest.config).toEqual(fromCode);
    });
  }
});
