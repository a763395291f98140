/**
 * The admin module: Hearth's HTTP port. It serves the public liveness probe `/health`, the OpenAPI
 * document, Prometheus metrics and the authenticated `/api/v1` surface (see README "HTTP").
 */
import { defineModule } from "../../kernel/modules/index.ts";
import type { ModuleDefinition } from "../../kernel/modules/types.ts";
import { versionInfo } from "../../version.ts";
import { createAdminApp } from "./app.ts";
import { createTokenStore, ensureBootstrapToken } from "./auth/index.ts";
import type { AdminModuleOptions } from "./types.ts";

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
      await ensureBootstrapToken({ store: tokens, dataDir: config.dataDir, logger: ctx.log });
      const app = createAdminApp({ ...options, kernel: ctx, version, logger: ctx.log, tokens });
      server = Bun.serve({
        hostname: config.http.host,
        port: config.http.port,
        fetch: (req, srv) => app.fetch(req, { server: srv }),
      });
      ctx.log.info(
        { host: config.http.host, port: server.port, url: server.url.href },
        "admin API listening",
      );
    },
    async stop() {
      await server?.stop(true);
      server = undefined;
    },
  });
}
