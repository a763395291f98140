/** Plugins: list, and reload / enable / disable (admin). */
import { json, secured } from "../openapi.ts";
import { PluginInfoSchema, PluginNameParams, PluginsSchema } from "../schemas.ts";
import type { AdminApp, RouteDeps } from "./deps.ts";

const ACTIONS = {
  reload: "Stops the plugin and its dependents, re-imports its code, brings them back",
  enable: "Persists enabled and starts it (and the dependents it had taken down)",
  disable: "Persists disabled; stops it and its dependents",
} as const;

export function pluginRoutes(app: AdminApp, deps: RouteDeps): void {
  const { auth } = deps;
  const plugins = () => deps.kernel.plugins;

  app.openapi(
    secured(auth, "read", {
      method: "get",
      path: "/api/v1/plugins",
      operationId: "listPlugins",
      tags: ["plugins"],
      summary: "Plugins with their state and, when failed or skipped, the reason",
      responses: { 200: json(PluginsSchema, "The plugins") },
    }),
    (c) => c.json({ plugins: plugins().list(), problems: plugins().problems() }, 200),
  );

  for (const action of Object.keys(ACTIONS) as (keyof typeof ACTIONS)[]) {
    app.openapi(
      secured(auth, "admin", {
        method: "post",
        path: `/api/v1/plugins/{name}/${action}`,
        operationId: `${action}Plugin`,
        tags: ["plugins"],
        summary: ACTIONS[action],
        request: { params: PluginNameParams },
        errors: [404, 409, 422],
        responses: {
          200: json(
            PluginInfoSchema,
            "The plugin afterwards (state `failed` with `error` if it did not come up)",
          ),
        },
      }),
      async (c) => {
        const { name } = c.req.valid("param");
        return c.json(await plugins()[action](name), 200);
      },
    );
  }
}
