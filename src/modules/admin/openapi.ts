/**
 * OpenAPI plumbing shared by the routes: the one Error schema, error responses by status, and the
 * `secured()` / `open()` wrappers that put auth, scope and security on a route in one place, so the
 * document and the enforcement cannot disagree.
 */
import { createRoute, type RouteConfig, z } from "@hono/zod-openapi";
import { ERROR_CODES } from "../../errors.ts";
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

export const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Malformed request (bad JSON, invalid key or pattern)",
  401: "Missing or invalid bearer token",
  403: "The token's scope is too low, or the resource is secret",
  404: "Not found",
  409: "Conflict with the current state",
  413: "Request body larger than `http.maxBodyBytes`",
  415: "Request body is not JSON",
  422: "Request failed validation; `data.issues` names each path",
  424: "A dependency is missing",
  429: "Too many failed authentications from this address; wait `Retry-After` seconds",
  500: "Internal error (detail in the log only)",
  503: "Not ready, or unhealthy",
  504: "Timed out",
};

interface HeaderObject {
  description: string;
  required?: boolean;
  schema: { type: "string" | "integer"; minimum?: number };
}

/** Headers that come with some error statuses (the challenge of a 401, the wait of a 429). */
export const ERROR_HEADERS: Record<number, Record<string, HeaderObject>> = {
  401: {
    "WWW-Authenticate": {
      description: '`Bearer realm="hearth"`, with `error="invalid_token"` when a token was sent.',
      required: true,
      schema: { type: "string" },
    },
  },
  403: {
    "WWW-Authenticate": {
      description: 'With `error="insufficient_scope"` and the `scope` needed, when the scope is too low.',
      schema: { type: "string" },
    },
  },
  429: {
    "Retry-After": {
      description: "Seconds to wait before trying again.",
      required: true,
      schema: { type: "integer", minimum: 1 },
    },
  },
};

type ErrorResponses = Record<
  number,
  {
    description: string;
    headers?: Record<string, HeaderObject>;
    content: { "application/json": { schema: typeof ErrorSchema } };
  }
>;

/** Error responses for the given statuses, all referencing the one `Error` schema. */
export function errorResponses(statuses: readonly number[]): ErrorResponses {
  const out: ErrorResponses = {};
  for (const status of [...new Set(statuses)].sort()) {
    const headers = ERROR_HEADERS[status];
    out[status] = {
      description: ERROR_DESCRIPTIONS[status] ?? "Error",
      ...(headers === undefined ? {} : { headers }),
      content: { "application/json": { schema: ErrorSchema } },
    };
  }
  return out;
}

/** One error response, with its own description (a route that says more about why). */
export function errorResponse(status: number, description: string): RouteConfig["responses"][string] {
  return { ...errorResponses([status])[status], description } as RouteConfig["responses"][string];
}

/**
 * Every authenticated route may answer these: 401 (no or bad token; every `/api/v1` request without
 * valid credentials, before anything else), 403, 429 (the failed-authentication limiter) and 500.
 */
export const AUTH_ERRORS = [401, 403, 429, 500] as const;

/** Methods whose requests may carry a body: the body limit (413) runs before their route. */
const BODY_METHODS = new Set(["post", "put", "patch", "delete"]);

/** 413 where a body can arrive (Bun drops the body of a GET or HEAD before any middleware). */
export function bodyErrors(method: string): number[] {
  return BODY_METHODS.has(method.toLowerCase()) ? [413] : [];
}

/** Statuses only the HTTP layer answers: a path-level 405, 413/415 by method, 499 that no client sees. */
const HTTP_LAYER_ONLY = new Set([405, 413, 415, 499]);

/**
 * What a service call may answer besides the auth errors: any catalogued 4xx/5xx, since a handler's
 * own errors reach the caller unchanged (400 also for malformed JSON, 422 for a failed schema).
 */
export const SERVICE_ERRORS: readonly number[] = [
  ...new Set(Object.values(ERROR_CODES).map((spec) => spec.httpStatus as number)),
]
  .filter((status) => status >= 400 && !HTTP_LAYER_ONLY.has(status))
  .sort();

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** How `/api/v1` is authenticated: a bearer token, or the web page's session cookie (either one). */
export const API_SECURITY: Record<string, string[]>[] = [{ bearer: [] }, { session: [] }];

/** A route's config; `operationId` is required: tools name client methods after it. */
type RouteInput = Omit<RouteConfig, "security" | "middleware"> & {
  operationId: string;
  errors?: readonly number[];
};

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
    security: API_SECURITY,
    "x-scope": scope,
    responses: {
      ...errorResponses([...AUTH_ERRORS, ...bodyErrors(route.method), ...errors]),
      ...route.responses,
    },
  }) as unknown as R;
}

/** A route anyone may call (no token). */
export function open<const R extends RouteInput>(config: R): R {
  const { errors = [], ...route } = config;
  return createRoute({
    ...route,
    security: [],
    "x-scope": "public",
    responses: { ...errorResponses([...bodyErrors(route.method), ...errors, 500]), ...route.responses },
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
        "(`admin` ⊇ `control` ⊇ `read`). Errors are `{ error: { code, message, data? } }`. A method a " +
        "path does not take answers 405 with `Allow`.",
      license: { name: "MIT", identifier: "MIT" },
      contact: { name: "Hearth maintainers" },
    },
    servers: [
      { url: "/", description: "The Hearth serving this document" },
      {
        url: "http://{host}:{port}",
        description: "A Hearth on the network (`http.host`, `http.port`)",
        variables: {
          host: { default: "localhost", description: "Host name or address of the board" },
          port: { default: "8420", description: "`http.port`" },
        },
      },
    ],
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
  ["session", "The web page's session cookie (sign-in, sign-out)"],
];
