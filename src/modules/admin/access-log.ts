import type { Context, MiddlewareHandler } from "hono";
import { API_PREFIX } from "../../kernel/http/index.ts";
import type { Logger } from "../../kernel/log/index.ts";
import type { CallerIdentity } from "../../kernel/services/types.ts";
import { routeOf } from "./errors.ts";
import type { AdminEnv } from "./types.ts";

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The identity a request was authenticated with (set by the auth middleware), if any. */
export function identityOf(c: Context<AdminEnv>): CallerIdentity | undefined {
  const token = c.get("token");
  return token === undefined ? undefined : { tokenId: token.id, name: token.name, scopes: token.scopes };
}

/**
 * One line per request: method, route pattern, status, duration. Never the raw path, query, headers
 * or body, so keys, ids and tokens stay out of the log. A request that changes something under
 * `/api/v1` (POST, PUT, PATCH, DELETE) is also an audit record: the same line carries `audit: true`,
 * who asked (the token's id and name, null when it failed to authenticate), the outcome and the
 * error code of a refusal.
 */
export function accessLog(log: Logger): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const t0 = performance.now();
    await next();
    const fields = {
      method: c.req.method,
      route: routeOf(c),
      status: c.res.status,
      ms: Math.round((performance.now() - t0) * 100) / 100,
    };
    if (MUTATING.has(c.req.method) && c.req.path.startsWith(`${API_PREFIX}/`)) {
      const who = identityOf(c);
      const code = c.get("errorCode");
      log.info(
        {
          ...fields,
          audit: true,
          tokenId: who?.tokenId ?? null,
          tokenName: who?.name ?? null,
          outcome: c.res.status < 400 ? "ok" : "refused",
          ...(code === undefined ? {} : { code }),
        },
        "http request",
      );
      return;
    }
    log.info(fields, "http request");
  };
}
