/**
 * Owner endpoints (HttpRegistry) dispatched at request time under `/api/v1/<owner>/...`: plugins come
 * and go on reload, so the matcher is rebuilt whenever the registry's list changes. Each request is
 * authenticated with the endpoint's scope, validated with its schemas, and turned into a service call
 * with params = path params + query + body.
 */
import type { Context } from "hono";
import { TrieRouter } from "hono/router/trie-router";
import type { ZodType } from "zod";
import type { HttpRegistry, RegisteredEndpoint } from "../../kernel/http/types.ts";
import type { ServiceRegistry } from "../../kernel/services/types.ts";
import { tieredSafeParse } from "../../kernel/util/tiered-parse.ts";
import { identityOf } from "./access-log.ts";
import { invalidRequest, malformedJson, unsupportedMediaType, validationFailed } from "./errors.ts";
import type { AdminAuth, AdminEnv } from "./types.ts";

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);
const ENDPOINT_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

interface Match {
  endpoint: RegisteredEndpoint;
  params: Record<string, string>;
}

/** The endpoints the API serves, and the matcher over them, kept in step with the registry. */
export class OwnerEndpoints {
  readonly #http: HttpRegistry;
  #seen: RegisteredEndpoint[] = [];
  #served: RegisteredEndpoint[] = [];
  #router = new TrieRouter<RegisteredEndpoint>();

  constructor(http: HttpRegistry) {
    this.#http = http;
  }

  /** The endpoints served, sorted by path. */
  list(): RegisteredEndpoint[] {
    this.#refresh();
    return this.#served;
  }

  match(method: string, path: string): Match | undefined {
    this.#refresh();
    // Hono answers HEAD by running the GET handler and dropping the body; so does the dispatcher.
    const routed = method === "HEAD" ? "GET" : method;
    const [hits] = this.#router.match(routed, path) as [[RegisteredEndpoint, Record<string, string>][]];
    const hit = hits[0];
    if (hit === undefined) return undefined;
    const params: Record<string, string> = {};
    for (const [name, value] of Object.entries(hit[1])) params[name] = decode(value);
    return { endpoint: hit[0], params };
  }

  /** The methods the endpoints take at `path` (none when no endpoint has that path). */
  methodsAt(path: string): { methods: string[]; route: string | undefined } {
    this.#refresh();
    const methods: string[] = [];
    let route: string | undefined;
    for (const method of ENDPOINT_METHODS) {
      const [hits] = this.#router.match(method, path) as [[RegisteredEndpoint, unknown][]];
      const hit = hits.find(([e]) => e.method === method);
      if (hit === undefined) continue;
      methods.push(method);
      route ??= hit[0].fullPath;
    }
    return { methods, route };
  }

  // Registered endpoints are frozen objects replaced on every change: comparing them one by one is
  // cheap (a handful of endpoints) and needs no listener that would outlive the app.
  #refresh(): void {
    const now = this.#http.list();
    if (now.length === this.#seen.length && now.every((e, i) => e === this.#seen[i])) return;
    this.#seen = now;
    // The registry refuses bases held by the built-in routes, so every endpoint it lists is served.
    const served = now;
    const router = new TrieRouter<RegisteredEndpoint>();
    // Static segments before parameters, so `/lamps/all` wins over `/lamps/:id`.
    const ranked = served
      .map((e) => [rank(e.fullPath), e] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [, e] of ranked) {
      router.add(e.method, e.fullPath, e);
    }
    this.#served = served;
    this.#router = router;
  }
}

function rank(path: string): string {
  return path
    .split("/")
    .map((s) => (s.startsWith(":") ? "\u0001" : s === "*" ? "\u0002" : `\u0000${s}`))
    .join("/");
}

function decode(value: string): string {
  if (!value.includes("%")) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export interface DispatchOptions {
  endpoints: OwnerEndpoints;
  auth: AdminAuth;
  services: ServiceRegistry;
  caller: string;
}

/**
 * Handles a request under `/api/v1/*` that no built-in route took; `undefined` when no owner endpoint
 * matches either (the caller answers 404).
 */
export async function dispatch(
  c: Context<AdminEnv>,
  options: DispatchOptions,
): Promise<Response | undefined> {
  const hit = options.endpoints.match(c.req.method, c.req.path);
  if (hit === undefined) return undefined;
  const { endpoint } = hit;
  c.set("route", endpoint.fullPath);
  let passed = false;
  const denied = await options.auth.require(endpoint.scope)(c, async () => {
    passed = true;
  });
  if (!passed) return denied instanceof Response ? denied : c.res;

  const params = parse(endpoint.params, hit.params, "param");
  const query = parse(endpoint.query, queryOf(c), "query");
  let body: unknown;
  if (BODY_METHODS.has(c.req.method)) body = parse(endpoint.body, await readJson(c), "json");

  let input: unknown;
  if (body === undefined || isPlainObject(body)) {
    // The path names the resource: a query or body field of the same name may not name another one.
    const named = params as Record<string, unknown>;
    const clashes = Object.keys(named).flatMap((key) =>
      [
        ["query", query],
        ["json", body],
      ].flatMap(([where, part]) => {
        const value = (part as Record<string, unknown> | undefined)?.[key];
        return value !== undefined && value !== named[key] ? [{ where: where as string, key }] : [];
      }),
    );
    if (clashes.length > 0) {
      throw invalidRequest(
        clashes[0]?.where === "query" ? "query" : "json",
        clashes.map(({ key }) => ({
          path: [key],
          message: `must not differ from the path's "${key}"`,
          code: "custom",
        })),
      );
    }
    input = { ...(query as object), ...(body as object | undefined), ...named };
  } else if (Object.keys(hit.params).length === 0 && Object.keys(queryOf(c)).length === 0) {
    // A non-object body (an array, a number) is the params when nothing else is.
    input = body;
  } else {
    throw invalidRequest("json", [
      { path: [], message: "must be a JSON object when the path or query has parameters", code: "custom" },
    ]);
  }
  const identity = identityOf(c);
  const result = await options.services.call(
    endpoint.service,
    input,
    identity === undefined ? { caller: options.caller } : { caller: options.caller, identity },
  );
  if (endpoint.status === 204) return c.body(null, 204);
  return c.json(result === undefined ? null : (result as object), endpoint.status);
}

function parse(schema: ZodType | undefined, value: unknown, target: string): unknown {
  if (schema === undefined) return value;
  const parsed = tieredSafeParse(schema, value);
  if (!parsed.success) throw validationFailed(target, parsed.error);
  return parsed.data;
}

function queryOf(c: Context): Record<string, string | string[]> {
  return Object.fromEntries(
    Object.entries(c.req.queries()).map(([k, v]) => [k, v.length === 1 ? (v[0] as string) : v]),
  );
}

/** The body as JSON; `undefined` when there is none. */
async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return undefined;
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(type)) throw unsupportedMediaType();
  try {
    return JSON.parse(text);
  } catch {
    throw malformedJson();
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
