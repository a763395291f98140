/**
 * The API's one place where errors become HTTP responses, and the errors the HTTP layer itself raises.
 * Every body is `{ error: { code, message, data? } }`; a 5xx never carries the error's own message or
 * data (those go to the log).
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { ZodError } from "zod";
import { ERROR_CODES, errorMessage, HearthError, type HearthErrorJSON } from "../../errors.ts";
import type { Logger } from "../../kernel/log/index.ts";
import { UNMATCHED_ROUTE } from "./metrics/index.ts";

/** One zod issue on the wire, as the services layer reports them too. */
export interface RequestIssue {
  path: (string | number)[];
  message: string;
  code: string;
}

const shown = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…` : text);

/** 404 for a path and method no route serves. */
export function routeNotFound(method: string, path: string): HearthError {
  return new HearthError("NOT_FOUND", `No route ${method} ${shown(path)}`, {
    data: { method, path: shown(path) },
  });
}

/** 404 for a resource (state key, storage namespace) that does not exist. */
export function notFound(message: string, data?: Record<string, unknown>): HearthError {
  return new HearthError("NOT_FOUND", message, { data });
}

/** 403 for what no token may read, whatever its scopes (secret namespaces). */
export function secretRefused(message: string, data?: Record<string, unknown>): HearthError {
  return new HearthError("AUTH_FORBIDDEN", message, { data: { ...data, secret: true } });
}

export function bodyTooLarge(maxBytes: number): HearthError {
  return new HearthError("PAYLOAD_TOO_LARGE", `Request body is larger than ${maxBytes} bytes`, {
    data: { maxBytes },
  });
}

/** The client disconnected before its request was read. */
export function clientGone(): HearthError {
  return new HearthError("CLIENT_CLOSED_REQUEST", "The client went away before its request was read");
}

export function malformedJson(): HearthError {
  return new HearthError("INVALID_JSON", "Malformed JSON in request body");
}

/** A body that is not JSON at all: 415, as HTTP says. */
export function unsupportedMediaType(): HearthError {
  return new HearthError("UNSUPPORTED_MEDIA_TYPE", "Request body must be application/json");
}

/** 422 naming each failing path; `target` is the part of the request (`json`, `query`, `param`). */
export function validationFailed(target: string, error: ZodError): HearthError {
  return invalidRequest(target, toIssues(error));
}

/** 422 for issues found outside zod. */
export function invalidRequest(target: string, issues: RequestIssue[]): HearthError {
  const first = issues[0];
  const where = first === undefined || first.path.length === 0 ? target : `${target}.${first.path.join(".")}`;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  const message = `Invalid request ${where}: ${first?.message ?? "invalid"}${more}`;
  return new HearthError("VALIDATION_FAILED", message, { data: { target, issues } });
}

function toIssues(error: ZodError): RequestIssue[] {
  return error.issues.map((i) => ({
    path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)),
    message: i.message,
    code: i.code,
  }));
}

/** The status and body for any thrown value. */
export function toResponse(err: unknown): { status: number; body: { error: HearthErrorJSON } } {
  if (err instanceof HearthError) {
    if (err.httpStatus >= 500) {
      // The catalogue line is public; the error's own message may carry internals (paths, causes).
      const description = (ERROR_CODES[err.code] as { description: string }).description;
      const message = err.code === "INTERNAL_ERROR" ? "Internal error" : description;
      return { status: err.httpStatus, body: { error: { code: err.code, message } } };
    }
    return { status: err.httpStatus, body: { error: err.toJSON() } };
  }
  if (err instanceof ZodError) return toResponse(validationFailed("body", err));
  if (err instanceof HTTPException && err.status < 500) {
    if (err.status === 400) return toResponse(malformedJson());
    if (err.status === 415) return toResponse(unsupportedMediaType());
    const message = shown(err.message || "Bad request");
    return { status: err.status, body: { error: { code: "INVALID_ARGUMENT", message } } };
  }
  return { status: 500, body: { error: { code: "INTERNAL_ERROR", message: "Internal error" } } };
}

/** `app.onError`: the one place errors become responses; 5xx details go to the log only. */
export function errorHandler(log: Logger): ErrorHandler {
  return (err, c) => {
    // Reading the body of a request whose client has disconnected rejects: not our failure, and
    // nobody is left to answer. Recorded as 499 (client closed request), not logged as an error.
    const gone = c.req.raw.signal.aborted && !(err instanceof HearthError);
    const { status, body } = toResponse(gone ? clientGone() : err);
    c.set("errorCode", body.error.code);
    // Kept at debug: had a real fault coincided with the disconnect, it is still findable.
    if (gone)
      log.debug({ method: c.req.method, route: routeOf(c), err: errorMessage(err) }, "client went away");
    if (status >= 500) {
      log.error(
        {
          method: c.req.method,
          route: routeOf(c),
          code: body.error.code,
          err: errorMessage(err),
          stack: err instanceof Error ? err.stack : undefined,
        },
        "request failed",
      );
    }
    if (status === 401) c.header("WWW-Authenticate", c.res.headers.get("WWW-Authenticate") ?? "Bearer");
    return c.json(body, status as 400);
  };
}

export function notFoundHandler(): NotFoundHandler {
  return (c) => {
    const { status, body } = toResponse(routeNotFound(c.req.method, c.req.path));
    return c.json(body, status as 404);
  };
}

/** The route pattern a request matched, for logs (never the raw path: keys and ids stay out). */
export function routeOf(c: Context): string {
  const own = c.get("route") as string | undefined;
  if (own !== undefined) return own;
  const pattern = c.req.routePath;
  return pattern === "*" || pattern === "/*" || pattern === "" ? UNMATCHED_ROUTE : pattern;
}
