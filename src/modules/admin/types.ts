import type { MiddlewareHandler } from "hono";
import type { EventBus } from "../../kernel/bus/types.ts";
import type { HearthConfig } from "../../kernel/config/types.ts";
import type { HttpRegistry } from "../../kernel/http/types.ts";
import type { IntegrationRecord } from "../../kernel/integrations/types.ts";
import type { Logger } from "../../kernel/log/index.ts";
import type { StorageWithStateMirror } from "../../kernel/mirror/types.ts";
import type { ModuleManager } from "../../kernel/modules/types.ts";
import type { PluginManager } from "../../kernel/plugins/types.ts";
import type { ServiceRegistry } from "../../kernel/services/types.ts";
import type { StateEngine } from "../../kernel/state/types.ts";
import type { Storage } from "../../kernel/storage/types.ts";
import type { HealthReport, RuntimeMetrics, RuntimePhase } from "../../runtime-types.ts";
import type { VersionInfo } from "../../version.ts";
import type { TokenInfo, TokenStore } from "./auth/index.ts";

/** What the admin API needs of the runtime (CoreRuntime fits); read lazily, per request. */
export interface AdminRuntime {
  readonly phase: RuntimePhase;
  healthCheck(): Promise<HealthReport> | HealthReport;
  getMetrics(): RuntimeMetrics;
  readonly components: {
    readonly storage: Storage;
    readonly bus: EventBus;
    readonly services: ServiceRegistry;
    readonly state: StateEngine;
    readonly http: HttpRegistry;
    readonly modules: ModuleManager;
    readonly plugins: PluginManager;
    readonly ctx: { readonly config: HearthConfig; readonly mirror: StorageWithStateMirror };
  };
}

/** The integrations the API lists (the runtime's IntegrationRegistry fits). */
export interface IntegrationSource {
  list(): IntegrationRecord[];
}

export interface AdminModuleOptions {
  runtime: AdminRuntime;
  /** Listed by `GET /api/v1/integrations`; empty when absent. */
  integrations?: IntegrationSource;
  /** Defaults to this build's `versionInfo()`. */
  version?: VersionInfo;
  /** Seconds between SSE heartbeats are `sseHeartbeatMs / 1000`; default 15000. */
  sseHeartbeatMs?: number;
}

/** A Hono middleware that may end the request itself (auth, metrics). */
export type AdminMiddleware = MiddlewareHandler<AdminEnv>;

/** What the app needs of the auth layer (`createAuth()` fits). */
export interface AdminAuth {
  require(scope: "read" | "control" | "admin"): AdminMiddleware;
}

/** What the app needs of the metrics layer (`createMetrics()` fits). */
export interface AdminMetrics {
  httpMiddleware(): AdminMiddleware;
  render(): Promise<{ contentType: string; body: string }>;
}

export interface AdminAppOptions extends AdminModuleOptions {
  /** Defaults to the runtime's config. */
  config?: HearthConfig;
  /** Parent logger; the app logs under `{ component: "http" }`. Silent by default. */
  logger?: Logger;
  /** Defaults to a store on the runtime's storage (namespace `auth`). */
  tokens?: TokenStore;
  /** Defaults to `createAuth()` over `tokens` with the `http.*` config. */
  auth?: AdminAuth;
  /** Defaults to `createMetrics()` over the runtime. */
  metrics?: AdminMetrics;
}

/** Hono bindings: Bun's server when served by `Bun.serve` (absent under `app.request()`). */
export interface AdminBindings {
  server?: { timeout(request: Request, seconds: number): void };
}

export interface AdminEnv {
  Bindings: AdminBindings;
  Variables: {
    /** Set by the auth middleware. */
    token: TokenInfo;
    /** The route pattern for logs, when not Hono's own (owner endpoints). */
    route: string;
  };
}
