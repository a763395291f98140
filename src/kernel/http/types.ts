import type { ZodType } from "zod";
import type { Logger } from "../log/types.ts";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
/** `read` < `control` < `admin`; `public` needs no token (only the kernel uses it, for /health). */
export type Scope = "public" | "read" | "control" | "admin";

/**
 * An endpoint declared by an owner (a module or plugin). The admin module projects endpoints onto
 * Hono under `/api/v1/<owner><path>` and generates OpenAPI from the same schemas.
 */
export interface EndpointDefinition {
  method: HttpMethod;
  /** Relative to the owner's prefix, Hono syntax: `/devices/:id`. */
  path: string;
  /** The service the request is turned into (params = path params + query + body). */
  service: string;
  summary: string;
  scope: Exclude<Scope, "public">;
  params?: ZodType;
  query?: ZodType;
  body?: ZodType;
  response?: ZodType;
}

export interface RegisteredEndpoint extends EndpointDefinition {
  owner: string;
  /**
   * Full path in Hono syntax: `/api/v1/<owner><path>`, with `{id}` parameters written `:id` and no
   * trailing slash.
   */
  fullPath: string;
}

export interface HttpRegistryOptions {
  /** A throwing change listener is logged through a `{ component: "http" }` child. Silent by default. */
  logger?: Logger;
}

export interface HttpRegistry {
  /**
   * Validates (INVALID_ARGUMENT) and adds an endpoint. A duplicate method + full path (path parameters
   * compared by position, whatever their name or style) throws HTTP_ROUTE_CONFLICT naming both owners.
   */
  register(owner: string, endpoint: EndpointDefinition): RegisteredEndpoint;
  /** Removes every endpoint of an owner (a plugin that fails or unloads). Returns how many. */
  unregisterOwner(owner: string): number;
  /** Sorted by full path, then method. */
  list(): RegisteredEndpoint[];
  /** Called when the set of endpoints changes (the admin module rebuilds its routes). */
  onChange(listener: () => void): () => void;
}
