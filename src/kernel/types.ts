/**
 * The one view of the kernel. Every module's context is this view plus the module's own logger;
 * a plugin's context is a scoped view derived from it (kernel/plugins/context.ts). Nothing else
 * hands components around.
 */
import type { HealthReport, RuntimeMetrics, RuntimePhase } from "../runtime-types.ts";
import type { EventBus } from "./bus/types.ts";
import type { HearthConfig } from "./config/types.ts";
import type { Hardware } from "./hardware/types.ts";
import type { HttpRegistry } from "./http/types.ts";
import type { IntegrationRegistry } from "./integrations/types.ts";
import type { StateMirror } from "./mirror/types.ts";
import type { ModuleManager } from "./modules/types.ts";
import type { PluginManager } from "./plugins/types.ts";
import type { ServiceRegistry } from "./services/types.ts";
import type { StateEngine } from "./state/types.ts";
import type { Storage } from "./storage/types.ts";

/** The runtime as the kernel shows it: read-only, evaluated when asked. */
export interface RuntimeView {
  readonly phase: RuntimePhase;
  /** The same report `/health/ready` serves. */
  health(): Promise<HealthReport>;
  /** A snapshot of the runtime's figures (what `/metrics` renders). */
  metrics(): RuntimeMetrics;
}

/** The modules, as others may see them. */
export type ModulesView = Pick<ModuleManager, "list" | "get" | "health">;

/** The plugins: their state, and the three actions an administrator may take. */
export type PluginsView = Pick<
  PluginManager,
  "list" | "get" | "problems" | "health" | "reload" | "enable" | "disable"
>;

/** The kernel: its components, and a read-only view of the runtime that owns them. */
export interface Kernel {
  readonly config: HearthConfig;
  readonly bus: EventBus;
  readonly services: ServiceRegistry;
  readonly state: StateEngine;
  /** The storage everyone writes through: writes to mirrored namespaces keep state in step. */
  readonly storage: Storage;
  /** Which namespaces are mirrored into state, which are secret, and the consistency check. */
  readonly mirror: StateMirror;
  readonly http: HttpRegistry;
  readonly integrations: IntegrationRegistry;
  /** The hardware ports plugins share (`ctx.hardware`); opened lazily, closed by the runtime's stop. */
  readonly hardware: Hardware;
  readonly modules: ModulesView;
  readonly plugins: PluginsView;
  readonly runtime: RuntimeView;
}
