/** A real runtime for benches: storage on disk under `dir`, no listener, a silent logger. */
import { loadConfig } from "../src/kernel/config/index.ts";
import { silentLogger } from "../src/kernel/log/index.ts";
import { builtinSource } from "../src/kernel/plugins/index.ts";
import { CoreRuntime } from "../src/runtime.ts";

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
