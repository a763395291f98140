import type { MiddlewareHandler } from "hono";
import type { Scope } from "../../kernel/http/types.ts";
import type { Kernel } from "../../kernel/index.ts";
import type { Logger } from "../../kernel/log/index.ts";
import type { VersionInfo } from "../../version.ts";
import type { SessionInfo, SessionStore, TokenInfo, TokenStore } from "./auth/index.ts";

export interface AdminModuleOptions {
  /** Defaults to this build's `versionInfo()`. */
  version?: VersionInfo;
  /** Seconds between SSE heartbeats are `sseHeartbeatMs / 1000`; default 15000. */
  sseHeartbeatMs?: number;
}

/** A Hono middleware that may end the request itself (auth, metrics). */
export type AdminMiddleware = MiddlewareHandler<AdminEnv>;

/** What the app needs of the auth layer (`createAuth()` fits). */
export interface AdminAuth {
  require(scope: Scope): AdminMiddleware;
  /** A valid token of any scope; mounted on `/api/v1/*` so no request there gets past it without one. */
  authenticate(): AdminMiddleware;
}

/** What the app needs of the metrics layer (`createMetrics()` fits). */
export interface AdminMetrics {
  httpMiddleware(): AdminMiddleware;
  render(): Promise<{ contentType: string; body: string }>;
}

export interface AdminAppOptions extends AdminModuleOptions {
  /** The kernel view the admin module was given (its ModuleContext fits). */
  kernel: Kernel;
  /** Parent logger; the app logs under `{ component: "http" }`. Silent by default. */
  logger?: Logger;
  /** Defaults to a store on the kernel's storage (namespace `auth`). */
  tokens?: TokenStore;
  /** Defaults to a session store next to `tokens` (`http.sessionTtlMs`). */
  sessions?: SessionStore;
  /** Defaults to `createAuth()` over `tokens` with the `http.*` config. */
  auth?: AdminAuth;
  /** Defaults to `createMetrics()` over the kernel's runtime view. */
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
    /** Set by the auth middleware when the caller came with the session cookie. */
    session?: SessionInfo;
    /** The route pattern for logs, when not Hono's own (owner endpoints). */
    route: string;
    /** The error code the request was answered with, for the audit line. */
    errorCode: string;
  };
}
