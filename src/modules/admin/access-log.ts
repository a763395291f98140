import type { Context, MiddlewareHandler } from "hono";
import type { AccessLogMode } from "../../kernel/config/index.ts";
import { API_PREFIX } from "../../kernel/http/index.ts";
import type { Logger, LogLevel } from "../../kernel/log/index.ts";
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
 * The level of a request's access line. `changes` (the default) keeps the log of a quiet house quiet:
 * a scraper's or a page's reads are `debug`, while what changed something (the audit records) and what
 * went wrong (4xx) are `info`; a 5xx is `warn` in every mode but `off`, which logs nothing above `debug`.
 */
export function accessLevel(mode: AccessLogMode, status: number, audit: boolean): LogLevel {
  if (mode === "off") return "debug";
  if (status >= 500) return "warn";
  if (mode === "all" || audit || status >= 400) return "info";
  return "debug";
}

/**
 * One line per request: method, route pattern, status, duration, at the level `accessLevel` picks
 * (`http.accessLog`). Never the raw path, query, headers or body, so keys, ids and tokens stay out of
 * the log. A request that changes something under `/api/v1` (POST, PUT, PATCH, DELETE) is also an
 * audit record: the same line carries `audit: true`, who asked (the token's id and name, null when it
 * failed to authenticate), the outcome and the error code of a refusal. A line below the logger's
 * level costs one comparison: nothing is formatted.
 */
export function accessLog(log: Logger, mode: AccessLogMode = "changes"): MiddlewareHandler<AdminEnv> {
  // Not `async`: on every request, a then() costs less than an async frame around an await.
  return (c, next) => {
    const t0 = performance.now();
    return next().then(() => write(c, t0));
  };

  function write(c: Context<AdminEnv>, t0: number): void {
    const status = c.res.status;
    const audit = MUTATING.has(c.req.method) && c.req.path.startsWith(`${API_PREFIX}/`);
    const level = accessLevel(mode, status, audit);
    if (!log.isLevelEnabled(level)) return;
    const fields = {
      method: c.req.method,
      route: routeOf(c),
      status,
      ms: Math.round((performance.now() - t0) * 100) / 100,
    };
    if (audit) {
      const who = identityOf(c);
      const code = c.get("errorCode");
      log[level](
        {
          ...fields,
          audit: true,
          tokenId: who?.tokenId ?? null,
          tokenName: who?.name ?? null,
          outcome: status < 400 ? "ok" : "refused",
          ...(code === undefined ? {} : { code }),
        },
        "http request",
      );
      return;
    }
    log[level](fields, "http request");
  }
}
