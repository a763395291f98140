import type { OpenAPIHono } from "@hono/zod-openapi";
import type { HearthConfig } from "../../../kernel/config/types.ts";
import type { Kernel } from "../../../kernel/index.ts";
import type { Logger } from "../../../kernel/log/index.ts";
import type { VersionInfo } from "../../../version.ts";
import type { SessionStore, TokenStore } from "../auth/index.ts";
import type { StreamSlots } from "../stream-slots.ts";
import type { AdminAuth, AdminEnv, AdminMetrics } from "../types.ts";

export type AdminApp = OpenAPIHono<AdminEnv>;

/** What every route file gets. */
export interface RouteDeps {
  kernel: Kernel;
  config: HearthConfig;
  auth: AdminAuth;
  tokens: TokenStore;
  sessions: SessionStore;
  metrics: AdminMetrics;
  version: VersionInfo;
  log: Logger;
  sseHeartbeatMs: number;
  /** Open event-stream slots (per token and in all). */
  streams: StreamSlots;
}
