import { HearthError } from "../../errors.ts";
import { type Logger, silentLogger } from "../log/index.ts";
import { assertName, reservedBy } from "../names/index.ts";
import { parsePath } from "./paths.ts";
import { isScope, SCOPES } from "./scopes.ts";
import type {
  EndpointDefinition,
  HttpMethod,
  HttpRegistry,
  HttpRegistryOptions,
  RegisteredEndpoint,
} from "./types.ts";

const METHODS = new Set<unknown>(["GET", "POST", "PUT", "PATCH", "DELETE"] satisfies HttpMethod[]);
const STATUSES = new Set<unknown>([200, 201, 202, 204]);
const SCHEMA_FIELDS = ["params", "query", "body", "response"] as const;

/**
 * Creates the registry of HTTP endpoints that modules and plugins declare. It knows nothing of Hono:
 * the admin module projects `list()` onto its app and rebuilds the routes on `onChange`.
 *
 * @example
 * const http = createHttpRegistry();
 * http.register("devices", {
 *   method: "GET", path: "/devices/:id", service: "devices.get", summary: "One device", scope: "read",
 * }); // → fullPath "/api/v1/devices/devices/:id"
 */
export function createHttpRegistry(options: HttpRegistryOptions = {}): HttpRegistry {
  return new Registry((options.logger ?? silentLogger()).child({ component: "http" }));
}

class Registry implements HttpRegistry {
  readonly #log: Logger;
  /** By `<METHOD> <shape>`, so that routes matching the same requests collide. */
  readonly #routes = new Map<string, RegisteredEndpoint>();
  readonly #listeners = new Set<() => void>();
  #sorted: RegisteredEndpoint[] | undefined;

  constructor(log: Logger) {
    this.#log = log;
  }

  register(owner: string, endpoint: EndpointDefinition): RegisteredEndpoint {
    assertName(owner, "endpoint owner");
    checkEndpoint(owner, endpoint);
    const base = endpoint.base ?? owner;
    // An owner serves under its own name, or under a name reserved for it (the devices module's
    // `areas`); never under a name held by someone else.
    const holder = reservedBy(base);
    if (holder === undefined ? base !== owner : holder !== owner) {
      throw new HearthError(
        "HTTP_ROUTE_CONFLICT",
        `"${owner}" may not serve routes under /api/v1/${base}: ${holder === undefined ? "an owner serves only under its own name" : `that name is reserved for ${holder}`}`,
        { data: { owner, base, ...(holder === undefined ? {} : { holder }) } },
      );
    }
    const { fullPath, shape } = parsePath(base, endpoint.path);
    const key = `${endpoint.method} ${shape}`;
    const existing = this.#routes.get(key);
    if (existing !== undefined) {
      throw new HearthError(
        "HTTP_ROUTE_CONFLICT",
        `${endpoint.method} ${fullPath} of "${owner}" conflicts with ${existing.method} ${existing.fullPath}, already registered by "${existing.owner}"`,
        { data: { method: endpoint.method, path: existing.fullPath, owner: existing.owner } },
      );
    }
    const registered: RegisteredEndpoint = Object.freeze({
      ...endpoint,
      owner,
      fullPath,
      base,
      status: endpoint.status ?? 200,
    });
    this.#routes.set(key, registered);
    this.#changed();
    return registered;
  }

  unregisterOwner(owner: string): number {
    let removed = 0;
    for (const [key, endpoint] of this.#routes) {
      if (endpoint.owner === owner) {
        this.#routes.delete(key);
        removed++;
      }
    }
    if (removed > 0) this.#changed();
    return removed;
  }

  list(): RegisteredEndpoint[] {
    this.#sorted ??= [...this.#routes.values()].sort(
      (a, b) => compare(a.fullPath, b.fullPath) || compare(a.method, b.method),
    );
    return [...this.#sorted];
  }

  onChange(listener: () => void): () => void {
    if (typeof listener !== "function") {
      throw new HearthError("INVALID_ARGUMENT", "onChange takes a function");
    }
    // Wrapped so that the same function added twice is two subscriptions, each removed on its own.
    const entry = () => listener();
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  #changed(): void {
    this.#sorted = undefined;
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch (err) {
        this.#log.error({ err }, "an HTTP route change listener threw");
      }
    }
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkEndpoint(owner: string, endpoint: unknown): asserts endpoint is EndpointDefinition {
  const invalid = (what: string) =>
    new HearthError("INVALID_ARGUMENT", `Endpoint of "${owner}": ${what}`, { data: { owner } });
  if (endpoint === null || typeof endpoint !== "object") throw invalid("must be an object");
  const e = endpoint as Record<string, unknown>;
  if (!METHODS.has(e.method)) throw invalid(`method must be one of ${[...METHODS].join(", ")}`);
  if (!isScope(e.scope)) throw invalid(`scope must be one of ${SCOPES.join(", ")}`);
  if (e.base !== undefined) assertName(e.base, `route base of "${owner}"`);
  if (e.status !== undefined && !STATUSES.has(e.status)) {
    throw invalid(`status must be one of ${[...STATUSES].join(", ")}`);
  }
  if (typeof e.service !== "string" || e.service.trim() === "") {
    throw invalid("service must name the service the request is turned into");
  }
  if (typeof e.summary !== "string") throw invalid("summary must be a string");
  for (const field of SCHEMA_FIELDS) {
    const schema = e[field] as { safeParse?: unknown } | undefined;
    if (schema !== undefined && typeof schema?.safeParse !== "function") {
      throw invalid(`${field} must be a zod schema`);
    }
  }
}
