import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEventBus } from "../../../../src/kernel/bus/index.ts";
import { loadConfig } from "../../../../src/kernel/config/index.ts";
import { createHttpRegistry } from "../../../../src/kernel/http/index.ts";
import { type Logger, silentLogger } from "../../../../src/kernel/log/index.ts";
import { createStorageWithStateMirror } from "../../../../src/kernel/mirror/index.ts";
import type { ModuleContext } from "../../../../src/kernel/modules/index.ts";
import { createServiceRegistry } from "../../../../src/kernel/services/index.ts";
import { createStateEngine } from "../../../../src/kernel/state/index.ts";
import { createMemoryStorage } from "../../../../src/kernel/storage/index.ts";

export interface TestModuleContext {
  ctx: ModuleContext;
  /** Closes what was opened and removes the temp dir. */
  dispose(): Promise<void>;
}

/** A ModuleContext wired from the real kernel factories, as the runtime builds it. */
export function buildModuleContext(logger: Logger = silentLogger()): TestModuleContext {
  const dir = mkdtempSync(join(tmpdir(), "hearth-modules-"));
  const { config } = loadConfig({ env: {}, cwd: dir });
  const bus = createEventBus({ logger });
  const services = createServiceRegistry({ logger });
  const state = createStateEngine();
  const storage = createMemoryStorage();
  const mirror = createStorageWithStateMirror({ storage, state, logger });
  const http = createHttpRegistry({ logger });
  const ctx: ModuleContext = { config, log: logger, bus, services, state, storage, mirror, http };
  return {
    ctx,
    async dispose() {
      state.close();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
