/** Health, readiness, metrics, runtime summary, modules and integrations. */

import { z } from "@hono/zod-openapi";
import type { HearthConfig } from "../../../kernel/config/types.ts";
import { json, open, secured } from "../openapi.ts";
import {
  HealthReportSchema,
  IntegrationsSchema,
  LivenessSchema,
  ModulesSchema,
  RuntimeSchema,
} from "../schemas.ts";
import type { AdminApp, RouteDeps } from "./deps.ts";

export function systemRoutes(app: AdminApp, deps: RouteDeps): void {
  const { kernel, auth } = deps;
  const { runtime } = kernel;

  app.openapi(
    open({
      method: "get",
      path: "/health",
      operationId: "getLiveness",
      tags: ["health"],
      summary: "Liveness",
      description: "200 when healthy or degraded (a failed optional plugin), 503 when unhealthy.",
      responses: {
        200: json(LivenessSchema, "Healthy or degraded"),
        503: json(LivenessSchema, "Unhealthy"),
      },
    }),
    async (c) => {
      const report = await runtime.health();
      // Degraded still serves: the liveness probe should not restart a runtime with one failed plugin.
      if (report.status === "unhealthy") return c.json({ status: report.status }, 503);
      return c.json({ status: report.status }, 200);
    },
  );

  app.openapi(
    secured(auth, "read", {
      method: "get",
      path: "/health/ready",
      operationId: "getReadiness",
      tags: ["health"],
      summary: "Readiness with per-component checks",
      responses: {
        200: json(HealthReportSchema, "Healthy or degraded"),
        503: json(HealthReportSchema, "Unhealthy or not started"),
      },
    }),
    async (c) => {
      const report = await runtime.health();
      if (report.status === "unhealthy") return c.json(report, 503);
      return c.json(report, 200);
    },
  );

  app.openapi(
    secured(auth, "read", {
      method: "get",
      path: "/metrics",
      operationId: "getMetrics",
      tags: ["runtime"],
      summary: "Prometheus metrics (text exposition format)",
      responses: {
        200: {
          description: "Prometheus text format",
          content: { "text/plain": { schema: z.string() } },
        },
      },
    }),
    async (c) => {
      const { contentType, body } = await deps.metrics.render();
      return c.text(body, 200, { "Content-Type": contentType });
    },
  );

  app.openapi(
    secured(auth, "read", {
      method: "get",
      path: "/api/v1/runtime",
      operationId: "getRuntime",
      tags: ["runtime"],
      summary: "Version, phase, uptime and the configuration without secrets",
      responses: { 200: json(RuntimeSchema, "The runtime") },
    }),
    (c) => {
      const m = runtime.metrics();
      return c.json(
        {
          version: deps.version,
          phase: runtime.phase,
          uptimeMs: m.uptimeMs,
          config: configSummary(deps.config, kernel.mirror.secretNamespaces()),
        },
        200,
      );
    },
  );

  app.openapi(
    secured(auth, "read", {
      method: "get",
      path: "/api/v1/modules",
      operationId: "listModules",
      tags: ["modules"],
      summary: "Built-in modules with their state",
      responses: { 200: json(ModulesSchema, "The modules") },
    }),
    (c) => c.json({ modules: kernel.modules.list() }, 200),
  );

  app.openapi(
    secured(auth, "read", {
      method: "get",
      path: "/api/v1/integrations",
      operationId: "listIntegrations",
      tags: ["integrations"],
      summary: "Integration plugins with their status and config schema",
      responses: { 200: json(IntegrationsSchema, "The integrations") },
    }),
    (c) => c.json({ integrations: kernel.integrations.list() }, 200),
  );
}

/**
 * The configuration as the API shows it. Plugin config values may hold credentials (API keys,
 * network keys), so only whether each plugin is enabled goes out. `secretNamespaces` are those in
 * force: the built-in ones, the configured ones and those declared by plugins in plugin.json.
 */
export function configSummary(config: HearthConfig, secretNamespaces: readonly string[]) {
  return {
    dataDir: config.dataDir,
    pluginsDir: config.pluginsDir,
    http: { ...config.http, corsOrigins: [...config.http.corsOrigins] },
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    logLevel: config.logLevel,
    storage: {
      ...config.storage,
      secretNamespaces: [...secretNamespaces].sort(),
    },
    plugins: Object.fromEntries(
      Object.entries(config.plugins).map(([name, entry]) => [name, { enabled: entry.enabled }]),
    ),
  };
}
