/** State: keys by pattern and one value (read); keys under secret namespaces never go out. */
import { tieredSafeParse } from "../../../kernel/util/tiered-parse.ts";
import { notFound, secretRefused, validationFailed } from "../errors.ts";
import { json, secured } from "../openapi.ts";
import { StateKeyParams, StateKeysQuery, StateKeysSchema, StateValueSchema } from "../schemas.ts";
import type { AdminApp, RouteDeps } from "./deps.ts";

export function stateRoutes(app: AdminApp, deps: RouteDeps): void {
  const { auth } = deps;
  const { kernel } = deps;
  // The mirror keeps secret namespaces out of state; this also refuses keys that merely look like one.
  const isSecretKey = (key: string) => {
    const slash = key.indexOf("/");
    return kernel.mirror.isSecret(slash < 0 ? key : key.slice(0, slash));
  };

  app.openapi(
    secured(auth, "read", {
      method: "get",
      path: "/api/v1/state",
      operationId: "listStateKeys",
      tags: ["state"],
      summary: "State keys matching a pattern",
      request: { query: StateKeysQuery },
      errors: [400, 422],
      responses: { 200: json(StateKeysSchema, "The keys, sorted") },
    }),
    (c) => {
      const { pattern } = c.req.valid("query");
      const keys = kernel.state.keys(pattern).filter((k) => !isSecretKey(k));
      return c.json({ keys }, 200);
    },
  );

  const one = secured(auth, "read", {
    method: "get",
    path: "/api/v1/state/{key}",
    operationId: "getStateValue",
    tags: ["state"],
    summary: "One state value",
    request: { params: StateKeyParams },
    errors: [400, 404, 422],
    responses: { 200: json(StateValueSchema, "The key and its value") },
  });
  // Keys contain `/`: route on `:key{.+}` (Hono's regex parameter) but document `{key}`. The most read
  // route of the API (pages and integrations poll it): documented through the registry, served as a
  // plain route whose parameter is parsed synchronously, not through the OpenAPI validator's async
  // parse (2 µs of a 12 µs request, measured in process).
  const { middleware: _enforcedBelow, ...documented } = one as typeof one & { middleware?: unknown };
  app.openAPIRegistry.registerPath(documented);
  app.get("/api/v1/state/:key{.+}", auth.require("read"), (c) => {
    const parsed = tieredSafeParse(StateKeyParams, c.req.param());
    if (!parsed.success) throw validationFailed("param", parsed.error);
    const { key } = parsed.data;
    if (isSecretKey(key)) throw secretRefused(`State key "${key}" is under a secret namespace`, { key });
    const { state } = kernel;
    if (!state.has(key)) throw notFound(`No state key "${key}"`, { key });
    return c.json({ key, value: state.get(key) ?? null }, 200);
  });
}
