/** A real runtime for benches: storage on disk under `dir`, no listener, a silent logger. */
import { loadConfig } from "../src/kernel/config/index.ts";
import { silentLogger } from "../src/kernel/log/index.ts";
import { builtinSource } from "../src/kernel/plugins/index.ts";
import { CoreRuntime } from "../src/runtime.ts";
import type { PluginContext } from "../src/sdk/index.ts";

export async function runtimeWith(
  dir: string,
  plugins: Parameters<typeof builtinSource>[0][],
  overrides: Record<string, unknown> = {},
): Promise<CoreRuntime> {
  const { config } = loadConfig({ env: { HEARTH_DATA_DIR: dir }, cwd: dir, overrides });
  const runtime = new CoreRuntime({
    config,
    logger: silentLogger(),
    http: false,
    builtinPlugins: plugins.map(builtinSource),
  });
  await runtime.start();
  return runtime;
}

/**
 * A plugin that announces `n` dimmable lights (areas room-0 … room-19), reports each once, answers
 * `bench.command`, and hands its context to `holder` for the bench to drive.
 */
export function lightsPlugin(
  n: number,
  holder: { ctx?: PluginContext<unknown> },
  attributes: Record<string, string> = { manufacturer: "Bench", model: "L1" },
) {
  return {
    manifest: { name: "bench", version: "1.0.0" },
    load: async () => ({
      default: {
        async onStart(ctx: PluginContext<unknown>) {
          holder.ctx = ctx;
          ctx.services.register("command", () => ({ ok: true }));
          for (let i = 0; i < n; i++) {
            await ctx.services.call("devices.announce", {
              externalId: `l${i}`,
              name: `Light ${i}`,
              type: "light",
              area: `room-${i % 20}`,
              capabilities: ["on_off", "brightness", "color_temp"],
              attributes,
            });
            await ctx.services.call("devices.report", {
              externalId: `l${i}`,
              state: { on_off: false, brightness: 50, color_temp: 2700 },
            });
          }
        },
      },
    }),
  };
}
