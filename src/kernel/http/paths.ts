import { HearthError } from "../../errors.ts";

export const API_PREFIX = "/api/v1";

const MAX_PATH_LENGTH = 512;
const STATIC = /^[A-Za-z0-9._~@+-]+$/;
// Hono's `:name`, optionally with a `{regex}` constraint and a `?` for optional.
const HONO_PARAM = /^:[A-Za-z_][A-Za-z0-9_]*(?:\{[^/]+\})?\??$/;
// OpenAPI's `{name}`.
const BRACE_PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

export interface ParsedPath {
  /** `/api/v1/<owner><path>` in Hono syntax, without a trailing slash. */
  fullPath: string;
  /** The route's shape, parameter names erased: equal shapes match the same requests. */
  shape: string;
}

/** Validates a path relative to `/api/v1/<base>` and builds its full path; INVALID_ARGUMENT when malformed. */
export function parsePath(base: string, path: unknown): ParsedPath {
  if (typeof path !== "string" || !path.startsWith("/") || path.length > MAX_PATH_LENGTH) {
    throw invalidPath(path, `must be a string starting with "/" of at most ${MAX_PATH_LENGTH} characters`);
  }
  // `/devices/` and `/devices` would be two routes to Hono but one to any person reading the API.
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  const segments = trimmed === "/" ? [] : trimmed.slice(1).split("/");
  const full: string[] = [];
  const shape: string[] = [];
  for (const segment of segments) {
    if (segment === "*") {
      full.push(segment);
      shape.push("*");
    } else if (HONO_PARAM.test(segment)) {
      full.push(segment);
      shape.push(":");
    } else {
      const brace = BRACE_PARAM.exec(segment);
      if (brace !== null) {
        full.push(`:${brace[1]}`);
        shape.push(":");
      } else if (STATIC.test(segment) && segment !== "." && segment !== "..") {
        full.push(segment);
        shape.push(segment);
      } else {
        throw invalidPath(path, `has an invalid segment ${JSON.stringify(segment)}`);
      }
    }
  }
  const prefix = `${API_PREFIX}/${base}`;
  return {
    fullPath: full.length === 0 ? prefix : `${prefix}/${full.join("/")}`,
    shape: shape.length === 0 ? prefix : `${prefix}/${shape.join("/")}`,
  };
}

function invalidPath(path: unknown, why: string): HearthError {
  const shown = typeof path === "string" ? path.slice(0, 100) : typeof path;
  return new HearthError("INVALID_ARGUMENT", `Endpoint path ${JSON.stringify(shown)} ${why}`, {
    data: { path: shown },
  });
}
