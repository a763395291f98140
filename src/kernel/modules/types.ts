import type { Logger } from "../log/types.ts";
import type { Kernel } from "../types.ts";

/**
 * What a module's hooks receive: the one kernel view (modules are trusted) and the module's own
 * logger. A module registers services under its own name and HTTP routes through `http`, like a
 * plugin; it never reaches into the runtime object.
 */
export interface ModuleContext extends Kernel {
  /** A `{ module: <name> }` child logger. */
  readonly log: Logger;
}

export type ComponentStatus = "healthy" | "degraded" | "unhealthy";

export interface ComponentHealth {
  status: ComponentStatus;
  detail?: string;
}

/** What `defineModule` takes. Each hook runs at most once per runtime. */
export interface ModuleDefinition {
  name: string;
  /** A required module failing to register or start aborts the runtime start. Default true. */
  required?: boolean;
  /** Registers services, subscriptions, endpoints. Nothing may do I/O toward devices yet. */
  register?(ctx: ModuleContext): void | Promise<void>;
  start?(ctx: ModuleContext): void | Promise<void>;
  /** Runs even after a failed start; a failing stop is logged and stopping goes on. */
  stop?(ctx: ModuleContext): void | Promise<void>;
  /** Extra health detail; called by healthCheck(). */
  health?(): ComponentHealth;
}

export type ModuleState = "added" | "registered" | "started" | "stopped" | "failed";

export interface ModuleInfo {
  name: string;
  required: boolean;
  state: ModuleState;
  /** The hook that failed and its message, when `state` is failed (or a stop failed). */
  error?: { hook: "register" | "start" | "stop"; code?: string; message: string };
  registerMs?: number;
  startMs?: number;
  errorCount: number;
}

/** What `defineModule` returns: the definition with `required` filled in. */
export type DefinedModule = ModuleDefinition & { readonly required: boolean };

export interface AddModuleOptions {
  /** Overrides the definition's `required` flag. */
  required?: boolean;
}

export interface ModuleManagerOptions {
  /** Hook failures and timeouts are logged through a `{ component: "modules" }` child. Silent by default. */
  logger?: Logger;
  /** Bound on each register, start and stop hook (ms). Default 10000. */
  hookTimeoutMs?: number;
}

/** The modules' part of the runtime's health check. */
export interface ModulesHealth {
  /** Unhealthy when a required module is; degraded when an optional one is not healthy. */
  status: ComponentStatus;
  modules: Record<string, ComponentHealth>;
}

/**
 * Runs built-in modules through register → start → stop, each hook at most once per module.
 * Register and start go in add order, stop in exact reverse order of successful registration.
 */
export interface ModuleManager {
  /**
   * Adds a module (not yet registered). The same instance twice is a no-op; another instance under a
   * taken name throws MODULE_ALREADY_REGISTERED.
   */
  add(module: ModuleDefinition, options?: AddModuleOptions): void;
  /**
   * Adds a module and catches it up with the manager: registered if `registerAll` already ran, and
   * started if `startAll` did. Failures follow the same rules as for the others. RUNTIME_NOT_READY
   * once stopping has begun.
   */
  registerDynamic(module: ModuleDefinition, options?: AddModuleOptions): Promise<void>;
  /** Registers every added module not registered yet. A required failure throws MODULE_REQUIRED_FAILED. */
  registerAll(ctx: ModuleContext): Promise<void>;
  /** Starts every registered module (registering late additions first). Same failure rules. */
  startAll(ctx: ModuleContext): Promise<void>;
  /** Stops every module whose register succeeded, in reverse; failures are logged, never thrown. Once. */
  stopAll(ctx?: ModuleContext): Promise<void>;
  list(): ModuleInfo[];
  get(name: string): ModuleInfo | undefined;
  health(): ModulesHealth;
}
