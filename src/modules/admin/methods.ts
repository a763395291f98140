/**
 * Which methods a path takes, for the 405 answer to a method it does not take: the built-in routes
 * (read once the app is built) and the owner endpoints of now. A path no route serves at all stays a
 * 404.
 */
import { TrieRouter } from "hono/router/trie-router";
import { HearthError } from "../../errors.ts";

/** Hono's name for a handler registered for every method (middleware, catch-alls). */
const ANY = "ALL";

/** A route as Hono lists it in `app.routes`. */
export interface ListedRoute {
  method: string;
  path: string;
}

/** The methods of the built-in routes by path. */
export class MethodIndex {
  readonly #router = new TrieRouter<{ method: string; path: string }>();

  constructor(routes: readonly ListedRoute[]) {
    const seen = new Set<string>();
    for (const { method, path } of routes) {
      // Middleware and catch-alls take every method: they say nothing about what a path serves. A
      // method's own prefix route (`GET /chunk-*`, the web page's files) does.
      if (method === ANY) continue;
      const key = `${method} ${path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      // Registered for every method, so one match returns all the methods a path has.
      this.#router.add(ANY, path, { method, path });
    }
  }

  /** The methods that `path` is served with (HEAD wherever GET is), sorted; empty when none. */
  allowed(path: string): { methods: string[]; route: string | undefined } {
    const [hits] = this.#router.match("GET", path) as [[{ method: string; path: string }, unknown][]];
    return { methods: withHead(hits.map(([h]) => h.method)), route: hits[0]?.[0].path };
  }
}

/** Adds HEAD where GET is (both Hono and the owner dispatcher serve HEAD through GET), sorted. */
export function withHead(methods: readonly string[]): string[] {
  const set = new Set(methods);
  if (set.has("GET")) set.add("HEAD");
  return [...set].sort();
}

/** 405 for a path that exists with other methods; `Allow` is set by the caller from `data.allow`. */
export function methodNotAllowed(method: string, allow: readonly string[]): HearthError {
  return new HearthError(
    "METHOD_NOT_ALLOWED",
    `Method ${method.slice(0, 16)} is not allowed here; use ${allow.join(", ")}`,
    { data: { method: method.slice(0, 16), allow: [...allow] } },
  );
}
