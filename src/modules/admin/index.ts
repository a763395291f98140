/**
 * The admin module: Hearth's HTTP port. It serves the public liveness probe `/health`, the OpenAPI
 * document, Prometheus metrics and the authenticated `/api/v1` surface (see README "HTTP").
 */
import { defineModule } from "../../kernel/modules/index.ts";
import type { ModuleDefinition } from "../../kernel/modules/types.ts";
import { versionInfo } from "../../version.ts";
import { createAdminApp } from "./app.ts";
import { createTokenStore, ensureBootstrapToken, type TokenStore } from "./auth/index.ts";
import { createIdleWatch, watchedFetch } from "./idle-watch.ts";
import type { AdminModuleOptions } from "./types.ts";

/**
 * Seconds a connection may stay silent before Bun closes it (Bun's own default, made explicit). Left
 * to its default, Bun writes a plain-text `warn: Bun.serve() timed out a request…` line to stderr,
 * which journald mixes into the JSON log; set explicitly, Bun stays quiet and the admin module logs the
 * event itself, as JSON. The event stream turns it off for its own connections.
 */
export const IDLE_TIMEOUT_SECONDS = 10;

export { createAdminApp } from "./app.ts";
export type {
  AdminAppOptions,
  AdminAuth,
  AdminEnv,
  AdminMetrics,
  AdminModuleOptions,
} from "./types.ts";

/**
 * The `admin` module. On start it makes sure an admin token exists (writing the bootstrap one to
 * `<dataDir>/admin.token` the first time), then listens on `http.host:http.port`.
 */
export function createAdminModule(options: AdminModuleOptions = {}): ModuleDefinition {
  let server: ReturnType<typeof Bun.serve> | undefined;
  let tokenStore: TokenStore | undefined;
  return defineModule({
    name: "admin",
    required: true,
    async start(ctx) {
      const { config } = ctx;
      const version = options.version ?? versionInfo();
      const tokens = createTokenStore({
        storage: ctx.storage,
        logger: ctx.log,
        maxTokens: config.http.maxTokens,
      });
      tokenStore = tokens;
      await ensureBootstrapToken({ store: tokens, dataDir: config.dataDir, logger: ctx.log });
      const app = createAdminApp({ ...options, kernel: ctx, version, logger: ctx.log, tokens });
      const idle = createIdleWatch({
        log: ctx.log.child({ component: "http" }),
        idleTimeoutSeconds: IDLE_TIMEOUT_SECONDS,
      });
      server = Bun.serve({
        hostname: config.http.host,
        port: config.http.port,
        idleTimeout: IDLE_TIMEOUT_SECONDS,
        fetch: watchedFetch((req, srv) => app.fetch(req, { server: srv }), idle),
      });
      ctx.log.info(
        { host: config.http.host, port: server.port, url: server.url.href },
        "admin API listening",
      );
    },
    async stop() {
      await server?.stop(true);
      server = undefined;
      // The tokens' "last used" times kept in memory, before storage closes.
      await tokenStore?.flushUsage();
      tokenStore = undefined;
    },
  });
}
