import type { MiddlewareHandler } from "hono";
import type { Logger } from "../../kernel/log/index.ts";
import { routeOf } from "./errors.ts";
import type { AdminEnv } from "./types.ts";

/**
 * One line per request: method, route pattern, status, duration. Never the raw path, query, headers
 * or body, so keys, ids and tokens stay out of the log.
 */
export function accessLog(log: Logger): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const t0 = performance.now();
    await next();
    log.info(
      {
        method: c.req.method,
        route: routeOf(c),
        status: c.res.status,
        ms: Math.round((performance.now() - t0) * 100) / 100,
      },
      "http request",
    );
  };
}
