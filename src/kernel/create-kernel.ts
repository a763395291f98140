import { createEventBus } from "./bus/index.ts";
import type { HearthConfig } from "./config/types.ts";
import { createHardware } from "./hardware/index.ts";
import { createHttpRegistry } from "./http/index.ts";
import { createIntegrationRegistry, INTEGRATIONS_NAMESPACE } from "./integrations/index.ts";
import type { Logger } from "./log/types.ts";
import { createStateMirror } from "./mirror/index.ts";
import { createModuleManager } from "./modules/index.ts";
import type { ModuleManager } from "./modules/types.ts";
import { createPluginManager, PLUGIN_RECORDS_NAMESPACE } from "./plugins/index.ts";
import type { PluginManager, PluginSource } from "./plugins/types.ts";
import { createServiceRegistry } from "./services/index.ts";
import { createStateEngine } from "./state/index.ts";
import type { Storage } from "./storage/types.ts";
import type { Kernel, RuntimeView } from "./types.ts";

export interface CreateKernelOptions {
  config: HearthConfig;
  logger: Logger;
  /** The source of truth; the kernel hands out a mirrored view of it. */
  storage: Storage;
  /** What the kernel shows of the runtime that owns it. */
  runtime: RuntimeView;
  /** Plugins compiled into the binary (already turned into sources). */
  builtinPlugins: PluginSource[];
  /** Bound of each module and plugin hook, ms. */
  hookTimeoutMs: number;
}

/** The kernel view, and the two managers only the runtime drives. */
export interface KernelParts {
  kernel: Kernel;
  modules: ModuleManager;
  plugins: PluginManager;
}

/** The namespaces the kernel itself writes and mirrors into state (`plugins/<name>`, `integrations/<name>`). */
const KERNEL_MIRRORED = [PLUGIN_RECORDS_NAMESPACE, INTEGRATIONS_NAMESPACE];

/**
 * Builds and wires the kernel components over an open storage. Nothing starts: the caller registers
 * and starts the modules, then discovers and starts the plugins.
 *
 * @example
 * const { kernel, modules, plugins } = await createKernel({ config, logger, storage, runtime, builtinPlugins, hookTimeoutMs });
 */
export async function createKernel(options: CreateKernelOptions): Promise<KernelParts> {
  const { config, logger, runtime, hookTimeoutMs } = options;
  const bus = createEventBus({ logger, handlerTimeoutMs: config.eventHandlerTimeoutMs });
  const services = createServiceRegistry({ logger });
  const state = createStateEngine({ logger });
  const { storage, mirror } = createStateMirror({
    storage: options.storage,
    state,
    logger,
    secretNamespaces: config.storage.secretNamespaces,
    namespaces: KERNEL_MIRRORED,
  });
  const http = createHttpRegistry({ logger });
  const integrations = createIntegrationRegistry({ storage, logger });
  await integrations.load();
  await mirror.syncFromStorage();
  const modules = createModuleManager({ logger, hookTimeoutMs });
  const hardware = createHardware({ gpio: config.hardware.gpio, logger });
  const plugins = createPluginManager({
    kernel: { bus, services, state, storage, http, integrations, mirror, hardware },
    logger,
    pluginsDir: config.pluginsDir,
    dataDir: config.dataDir,
    builtins: options.builtinPlugins,
    config: config.plugins,
    hookTimeoutMs,
  });
  const kernel: Kernel = Object.freeze({
    config,
    bus,
    services,
    state,
    storage,
    mirror,
    http,
    integrations,
    hardware,
    modules,
    plugins,
    runtime,
  });
  return { kernel, modules, plugins };
}
