import type { OpenAPIHono } from "@hono/zod-openapi";
import type { HearthConfig } from "../../../kernel/config/types.ts";
import type { Logger } from "../../../kernel/log/index.ts";
import type { VersionInfo } from "../../../version.ts";
import type { TokenStore } from "../auth/index.ts";
import type { AdminAuth, AdminEnv, AdminMetrics, AdminRuntime, IntegrationSource } from "../types.ts";

export type AdminApp = OpenAPIHono<AdminEnv>;

/** What every route file gets. */
export interface RouteDeps {
  runtime: AdminRuntime;
  config: HearthConfig;
  auth: AdminAuth;
  tokens: TokenStore;
  metrics: AdminMetrics;
  integrations: IntegrationSource | undefined;
  version: VersionInfo;
  log: Logger;
  sseHeartbeatMs: number;
}
