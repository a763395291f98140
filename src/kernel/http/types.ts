import type { ZodType } from "zod";
import type { Logger } from "../log/types.ts";
import type { Scope } from "./scopes.ts";

export type { Scope } from "./scopes.ts";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** The statuses an endpoint may answer with on success; 204 sends no body. */
export type SuccessStatus = 200 | 201 | 202 | 204;

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
  /** `read` < `control` < `admin`. */
  scope: Scope;
  /**
   * The first path segment under `/api/v1`; defaults to the owner's name. A name reserved for
   * the kernel or a module (`areas`, `tokens`…) may be used only by its holder; plugins always
   * get their own name.
   */
  base?: string;
  /** The status of a successful answer (default 200; 201 on create, 204 with no body on delete). */
  status?: SuccessStatus;
  params?: ZodType;
  query?: ZodType;
  body?: ZodType;
  response?: ZodType;
}

export interface RegisteredEndpoint extends EndpointDefinition {
  owner: string;
  /**
   * Full path in Hono syntax: `/api/v1/<base><path>`, with `{id}` parameters written `:id` and no
   * trailing slash.
   */
  fullPath: string;
  /** The first segment under `/api/v1` (the owner's name unless `base` said otherwise). */
  base: string;
  status: SuccessStatus;
}

export interface HttpRegistryOptions {
  /** A throwing change listener is logged through a `{ component: "http" }` child. Silent by default. */
  logger?: Logger;
}

export interface HttpRegistry {
  /**
   * Validates (INVALID_ARGUMENT) and adds an endpoint. A duplicate method + full path (path parameters
   * compared by position, whatever their name or style) throws HTTP_ROUTE_CONFLICT naming both owners,
   * as does a `base` reserved for another holder (see `RESERVED_NAMES`).
   */
  register(owner: string, endpoint: EndpointDefinition): RegisteredEndpoint;
  /** Removes every endpoint of an owner (a plugin that fails or unloads). Returns how many. */
  unregisterOwner(owner: string): number;
  /** Sorted by full path, then method. */
  list(): RegisteredEndpoint[];
  /** Called when the set of endpoints changes (the admin module rebuilds its routes). */
  onChange(listener: () => void): () => void;
}
