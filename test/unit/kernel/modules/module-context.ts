import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HearthError } from "../../../../src/errors.ts";
import { loadConfig } from "../../../../src/kernel/config/index.ts";
import { createKernel, type RuntimeView } from "../../../../src/kernel/index.ts";
import { type Logger, silentLogger } from "../../../../src/kernel/log/index.ts";
import type { ModuleContext } from "../../../../src/kernel/modules/index.ts";
import { createMemoryStorage } from "../../../../src/kernel/storage/index.ts";

export interface TestModuleContext {
  ctx: ModuleContext;
  /** Closes what was opened and removes the temp dir. */
  dispose(): Promise<void>;
}

/** No runtime runs in these tests: the view says so. */
const NO_RUNTIME: RuntimeView = {
  phase: "created",
  health: () => Promise.reject(new HearthError("RUNTIME_NOT_READY", "no runtime in this test")),
  metrics: () => {
    throw new HearthError("RUNTIME_NOT_READY", "no runtime in this test");
  },
};

/** A ModuleContext wired by the real kernel factory, as the runtime builds it (memory storage). */
export async function buildModuleContext(logger: Logger = silentLogger()): Promise<TestModuleContext> {
  const dir = mkdtempSync(join(tmpdir(), "hearth-modules-"));
  const { config } = loadConfig({ env: {}, cwd: dir });
  const storage = createMemoryStorage();
  const { kernel } = await createKernel({
    config,
    logger,
    storage,
    runtime: NO_RUNTIME,
    builtinPlugins: [],
    hookTimeoutMs: 1000,
  });
  return {
    ctx: { ...kernel, log: logger },
    async dispose() {
      kernel.state.close();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
