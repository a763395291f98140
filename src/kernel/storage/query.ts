import { HearthError } from "../../errors.ts";
import type { JsonPrimitive, JsonValue, QueryOptions } from "./types.ts";
import { checkPrefix } from "./validate.ts";

const PATH = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;
const MAX_CONDITIONS = 32;

export interface Condition {
  /** The dot path as given (`state.on`). */
  path: string;
  /** The same path for SQLite's JSON functions (`$.state.on`). */
  jsonPath: string;
  segments: string[];
  value: JsonPrimitive;
}

export interface NormalizedQuery {
  prefix: string | undefined;
  where: Condition[];
  limit: number | undefined;
  /** Only keys strictly greater than this. */
  after: string | undefined;
}

/** Validates query options; paths are checked against a strict pattern and always bound, never spliced. */
export function normalizeQuery(options: QueryOptions | undefined): NormalizedQuery {
  if (options === undefined) return { prefix: undefined, where: [], limit: undefined, after: undefined };
  if (options === null || typeof options !== "object") {
    throw new HearthError("INVALID_ARGUMENT", "Query options must be an object");
  }
  const prefix = checkPrefix(options.prefix);
  const where: Condition[] = [];
  if (options.where !== undefined) {
    if (options.where === null || typeof options.where !== "object" || Array.isArray(options.where)) {
      throw new HearthError("INVALID_ARGUMENT", "Query `where` must be an object of path → value");
    }
    for (const [path, value] of Object.entries(options.where)) {
      if (!PATH.test(path)) {
        throw new HearthError(
          "INVALID_ARGUMENT",
          `Invalid query path ${JSON.stringify(path.slice(0, 80))}: use dot-separated [A-Za-z0-9_] segments`,
          { data: { path: path.slice(0, 200) } },
        );
      }
      if (!isScalar(value)) {
        throw new HearthError(
          "INVALID_ARGUMENT",
          `Query value for "${path}" must be a string, finite number, boolean or null`,
          { data: { path } },
        );
      }
      where.push({ path, jsonPath: `$.${path}`, segments: path.split("."), value });
    }
    if (where.length > MAX_CONDITIONS) {
      throw new HearthError("INVALID_ARGUMENT", `A query takes at most ${MAX_CONDITIONS} where-conditions`);
    }
  }
  const limit = options.limit;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new HearthError("INVALID_ARGUMENT", "Query `limit` must be a non-negative integer");
  }
  const after = checkPrefix(options.after);
  return { prefix, where, limit, after };
}

function isScalar(value: unknown): value is JsonPrimitive {
  return (
    value === null ||
    typeof value === "string" ||
    typeof value === "boolean" ||
    (typeof value === "number" && Number.isFinite(value))
  );
}

/**
 * The JavaScript twin of the SQL filter, for documents not (yet) in SQLite: pending deferred writes
 * and the memory adapter. Same rules: paths descend through objects only (never array indexes),
 * values must match in JSON type too (`true` is not `1`), and `null` matches a null or missing field.
 */
export function matchesWhere(doc: JsonValue, where: readonly Condition[]): boolean {
  for (const cond of where) {
    let current: JsonValue | undefined = doc;
    for (const segment of cond.segments) {
      if (current === null || typeof current !== "object" || Array.isArray(current)) {
        current = undefined;
        break;
      }
      current = Object.hasOwn(current, segment) ? current[segment] : undefined;
    }
    if (cond.value === null) {
      if (current !== undefined && current !== null) return false;
    } else if (current !== cond.value) {
      return false;
    }
  }
  return true;
}

export function startsWith(key: string, prefix: string | undefined): boolean {
  return prefix === undefined || key.startsWith(prefix);
}

/** The JavaScript twin of the SQL `key > ?` (keys are ASCII, so code-unit order is SQLite's). */
export function isAfter(key: string, after: string | undefined): boolean {
  return after === undefined || key > after;
}
