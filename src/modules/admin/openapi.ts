/**
 * OpenAPI plumbing shared by the routes: the one Error schema, error responses by status, and the
 * `secured()` / `open()` wrappers that put auth, scope and security on a route in one place, so the
 * document and the enforcement cannot disagree.
 */
import { createRoute, type RouteConfig, z } from "@hono/zod-openapi";
import type { Scope } from "../../kernel/http/index.ts";
import type { AdminAuth } from "./types.ts";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ description: "Stable error code (see the README's error table)." }),
      message: z.string(),
      data: z.unknown().optional().openapi({ description: "Plain JSON detail; never on a 5xx." }),
    }),
  })
  .openapi("Error");

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Malformed request (bad JSON, invalid key or pattern)",
  401: "Missing or invalid bearer token",
  403: "The token's scope is too low, or the resource is secret",
  404: "Not found",
  409: "Conflict with the current state",
  413: "Request body larger than `http.maxBodyBytes`",
  415: "Request body is not JSON",
  422: "Request failed validation; `data.issues` names each path",
  424: "A dependency is missing",
  429: "Too many failed authentications from this address; see Retry-After",
  500: "Internal error (detail in the log only)",
  503: "Not ready, or unhealthy",
  504: "Timed out",
};

type ErrorResponses = Record<
  number,
  { description: string; content: { "application/json": { schema: typeof ErrorSchema } } }
>;

/** Error responses for the given statuses, all referencing the one `Error` schema. */
export function errorResponses(statuses: readonly number[]): ErrorResponses {
  const out: ErrorResponses = {};
  for (const status of statuses) {
    out[status] = {
      description: ERROR_DESCRIPTIONS[status] ?? "Error",
      content: { "application/json": { schema: ErrorSchema } },
    };
  }
  return out;
}

/** Every authenticated route may answer these. */
export const AUTH_ERRORS = [401, 403, 429, 500] as const;

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

type RouteInput = Omit<RouteConfig, "security" | "middleware"> & { errors?: readonly number[] };

/**
 * A route that requires `scope`: the auth middleware runs first (before any validation), and the
 * document gets `security`, `x-scope` and the error responses. The returned config keeps the declared
 * responses' types for the handler (errors are thrown, never returned).
 */
export function secured<const R extends RouteInput>(auth: AdminAuth, scope: Scope, config: R): R {
  const { errors = [], ...route } = config;
  return createRoute({
    ...route,
    description: `${route.description ? `${route.description}\n\n` : ""}Scope: \`${scope}\`.`,
    middleware: [auth.require(scope)],
    security: [{ bearer: [] }],
    "x-scope": scope,
    responses: { ...errorResponses([...AUTH_ERRORS, ...errors].sort()), ...route.responses },
  }) as unknown as R;
}

/** A route anyone may call (no token). */
export function open<const R extends RouteInput>(config: R): R {
  const { errors = [], ...route } = config;
  return createRoute({
    ...route,
    security: [],
    "x-scope": "public",
    responses: { ...errorResponses([...errors, 500].sort()), ...route.responses },
  }) as unknown as R;
}

/** Document-level fields of the generated OpenAPI 3.1 document. */
export function documentConfig(version: string) {
  return {
    openapi: "3.1.0",
    info: {
      title: "Hearth admin API",
      version,
      description:
        "Every `/api/v1` route takes `Authorization: Bearer <token>`; `x-scope` names the scope it needs " +
        "(`admin` ⊇ `control` ⊇ `read`). Errors are `{ error: { code, message, data? } }`.",
    },
    tags: BUILTIN_TAGS.map(([name, description]) => ({ name, description })),
  };
}

const BUILTIN_TAGS: [string, string][] = [
  ["health", "Liveness and readiness"],
  ["runtime", "Version, uptime, configuration summary, metrics"],
  ["modules", "Built-in modules"],
  ["plugins", "Plugins and their lifecycle"],
  ["services", "Registered services"],
  ["state", "The in-memory state (never secret namespaces)"],
  ["storage", "Stored documents (values of non-secret namespaces only)"],
  ["integrations", "Integration plugins"],
  ["events", "Live bus events (Server-Sent Events)"],
  ["tokens", "API tokens"],
];
