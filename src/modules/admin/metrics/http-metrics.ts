import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { Exposition, Labels } from "./exposition.ts";
import { methodLabel } from "./labels.ts";

const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Route label for a request no route claimed (so probes of random paths add one series, not one each). */
export const UNMATCHED_ROUTE = "unmatched";

/** Middleware registered with `use()` / `all()` shows in the matched routes with this method. */
const ANY_METHOD = "ALL";

/** Longest `route` variable accepted; a pattern is short, anything longer is not one. */
const MAX_ROUTE_CHARS = 200;

/**
 * The route pattern that answered. A `route` context variable wins when a handler set one (the admin
 * API sets the HttpRegistry pattern of the owner endpoint it dispatched to: it must be a pattern, never
 * the path). Else the handler route at the index that produced the response, else the first
 * method-specific route that matched (a middleware such as auth answered first). A 404 that only
 * middleware matched is `unmatched`. Patterns come from the app's code, never the request.
 */
export function routeLabel(c: Context, status: number): string {
  const own: unknown = c.get("route");
  if (typeof own === "string" && own !== "" && own.length <= MAX_ROUTE_CHARS) return own;
  let routes: { method: string; path: string }[];
  try {
    routes = matchedRoutes(c);
  } catch {
    return UNMATCHED_ROUTE;
  }
  const answered = routes[c.req.routeIndex];
  if (answered && answered.method !== ANY_METHOD) return answered.path;
  const handler = routes.find((r) => r.method !== ANY_METHOD);
  if (handler) return handler.path;
  if (status === 404 || !answered) return UNMATCHED_ROUTE;
  return answered.path;
}

interface RouteTimes {
  labels: Labels;
  counts: number[];
  sum: number;
}

/** The HTTP families: counted by the middleware, written out by `render`. */
export interface HttpMetrics {
  middleware(): MiddlewareHandler;
  render(out: Exposition): void;
}

export function createHttpMetrics(): HttpMetrics {
  // Keyed by the label values joined with a character no label value holds (they are bounded sets).
  const requests = new Map<string, { labels: Labels; value: number }>();
  const durations = new Map<string, RouteTimes>();

  const record = (method: string, route: string, status: number, seconds: number): void => {
    const rKey = `${method}\u0000${route}\u0000${status}`;
    const r = requests.get(rKey);
    if (r === undefined) requests.set(rKey, { labels: { method, route, status: String(status) }, value: 1 });
    else r.value++;
    const dKey = `${method}\u0000${route}`;
    let d = durations.get(dKey);
    if (d === undefined) {
      d = { labels: { method, route }, counts: new Array(HTTP_BUCKETS.length + 1).fill(0), sum: 0 };
      durations.set(dKey, d);
    }
    let i = 0;
    while (i < HTTP_BUCKETS.length && seconds > (HTTP_BUCKETS[i] as number)) i++;
    (d.counts[i] as number)++;
    d.sum += seconds;
  };

  return {
    // Not `async`: on every request, a then() costs less than an async frame around an await.
    middleware: () => (c, next) => {
      const t0 = performance.now();
      return next().then(
        () => {
          const status = c.res.status;
          record(methodLabel(c.req.method), routeLabel(c, status), status, (performance.now() - t0) / 1000);
        },
        (err: unknown) => {
          // Recorded even when next() threw past the app's error handler (then the client got a 500).
          record(methodLabel(c.req.method), routeLabel(c, 500), 500, (performance.now() - t0) / 1000);
          throw err;
        },
      );
    },
    render(out) {
      out.counter(
        "hearth_http_requests_total",
        "HTTP requests answered by the admin API, by method, route pattern and status.",
        [...requests.values()].map((r) => [r.labels, r.value] as const),
      );
      out.histogram(
        "hearth_http_request_duration_seconds",
        "Time to produce the HTTP response (headers; streams excluded), by method and route pattern.",
        [...durations.values()].map((d) => ({
          labels: d.labels,
          bounds: HTTP_BUCKETS,
          counts: d.counts,
          sum: d.sum,
        })),
      );
    },
  };
}
