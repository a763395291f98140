/**
 * The admin module: the Hono app behind Hearth's HTTP port. For now it serves the public liveness
 * probe `/health`; the authenticated `/api/v1` surface, OpenAPI and metrics are added on top of the
 * same app.
 */
import { Hono } from "hono";
import { defineModule } from "../../kernel/modules/index.ts";
import type { ModuleDefinition } from "../../kernel/modules/types.ts";
import type { HealthReport } from "../../runtime-types.ts";

export interface AdminModuleOptions {
  /** The runtime's health check (the module does not own the runtime). */
  health(): Promise<HealthReport> | HealthReport;
}

/** Builds the Hono app (exported separately so tests drive it with `app.request()`). */
export function createAdminApp(options: AdminModuleOptions): Hono {
  const app = new Hono();
  app.get("/health", async (c) => {
    const report = await options.health();
    // Degraded still serves: the liveness probe should not restart a runtime with one failed plugin.
    return c.json({ status: report.status }, report.status === "unhealthy" ? 503 : 200);
  });
  app.notFound((c) =>
    c.json({ error: { code: "NOT_FOUND", message: `No route ${c.req.method} ${c.req.path}` } }, 404),
  );
  return app;
}

export function createAdminModule(options: AdminModuleOptions): ModuleDefinition {
  let server: ReturnType<typeof Bun.serve> | undefined;
  return defineModule({
    name: "admin",
    required: true,
    start(ctx) {
      const app = createAdminApp(options);
      server = Bun.serve({ hostname: ctx.config.http.host, port: ctx.config.http.port, fetch: app.fetch });
      ctx.log.info(
        { host: ctx.config.http.host, port: server.port, url: server.url.href },
        "admin API listening",
      );
    },
    async stop() {
      await server?.stop(true);
      server = undefined;
    },
  });
}
