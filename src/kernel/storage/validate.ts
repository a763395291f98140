import { HearthError } from "../../errors.ts";
import { NAMESPACE_SOURCE, STORAGE_KEY_SOURCE } from "../names/index.ts";
import type { JsonObject, StorageEntry } from "./types.ts";

export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

const NAMESPACE = new RegExp(NAMESPACE_SOURCE);
const KEY = new RegExp(STORAGE_KEY_SOURCE);
// SQLite's JSON functions refuse documents nested deeper than 1000; stay well under it.
const MAX_DEPTH = 256;

/** An optional positive integer option, or its default. */
export function checkPositive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new HearthError("INVALID_ARGUMENT", `Storage option ${name} must be a positive integer`);
  }
  return value;
}

/** Throws STORAGE_INVALID_NAMESPACE unless `namespace` is 1–64 chars of `[A-Za-z0-9_.-]`. */
export function checkNamespace(namespace: unknown): asserts namespace is string {
  if (typeof namespace !== "string" || !NAMESPACE.test(namespace)) {
    throw new HearthError(
      "STORAGE_INVALID_NAMESPACE",
      `Invalid storage namespace ${describe(namespace)}: use 1-64 characters of [A-Za-z0-9_.-]`,
      { data: { namespace: typeof namespace === "string" ? namespace.slice(0, 100) : typeof namespace } },
    );
  }
}

/** Throws STORAGE_INVALID_KEY unless `key` is 1–256 chars of `[A-Za-z0-9_.:@/-]`. */
export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== "string" || !KEY.test(key)) {
    throw new HearthError(
      "STORAGE_INVALID_KEY",
      `Invalid storage key ${describe(key)}: use 1-256 characters of [A-Za-z0-9_.:@/-]`,
      { data: { key: typeof key === "string" ? key.slice(0, 300) : typeof key } },
    );
  }
}

/** A prefix is a key that may also be empty (meaning "every key"). */
export function checkPrefix(prefix: unknown): string | undefined {
  if (prefix === undefined || prefix === "") return undefined;
  checkKey(prefix);
  return prefix;
}

export function checkKeyList(keys: unknown): string[] {
  if (!Array.isArray(keys)) {
    throw new HearthError("INVALID_ARGUMENT", "Storage keys must be an array of strings");
  }
  for (const key of keys) checkKey(key);
  return keys as string[];
}

/**
 * Validates a document and returns its JSON text. Only plain data passes: objects whose prototype is
 * `Object.prototype` or null, arrays, strings, finite numbers, booleans and null. Properties set to
 * `undefined` are left out, as `JSON.stringify` does; `undefined` inside an array is refused because
 * JSON would silently turn it into null.
 */
export function serializeValue(value: unknown, maxBytes: number): string {
  if (!isPlainObject(value)) {
    throw invalidValue(
      "$",
      value === null ? "null" : Array.isArray(value) ? "an array" : describeType(value),
      {
        top: true,
      },
    );
  }
  checkJson(value, "$", new Set(), 0);
  const json = JSON.stringify(value);
  // UTF-8 needs at least one and at most three bytes per UTF-16 unit: count only when it matters.
  if (json.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(json, "utf8");
    if (bytes > maxBytes) {
      throw new HearthError(
        "STORAGE_VALUE_TOO_LARGE",
        `Storage value is ${bytes} bytes of JSON, over the ${maxBytes}-byte limit`,
        { data: { bytes, limit: maxBytes } },
      );
    }
  }
  return json;
}

/** Normalises the two accepted shapes of a batch and validates every entry before anything is written. */
export function serializeEntries(entries: unknown, maxBytes: number): { key: string; json: string }[] {
  let list: StorageEntry[];
  if (Array.isArray(entries)) list = entries as StorageEntry[];
  else if (isPlainObject(entries)) {
    list = Object.entries(entries as Record<string, JsonObject>).map(([key, value]) => ({ key, value }));
  } else {
    throw new HearthError(
      "INVALID_ARGUMENT",
      "batchSet takes an array of { key, value } or an object of key → value",
    );
  }
  return list.map((entry) => {
    if (entry === null || typeof entry !== "object") {
      throw new HearthError("INVALID_ARGUMENT", "Each batchSet entry must be { key, value }");
    }
    checkKey(entry.key);
    return { key: entry.key, json: serializeValue(entry.value, maxBytes) };
  });
}

function checkJson(value: unknown, path: string, ancestors: Set<object>, depth: number): void {
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) throw invalidValue(path, String(value));
      return;
    case "object":
      break;
    default:
      throw invalidValue(path, describeType(value));
  }
  if (value === null) return;
  if (depth >= MAX_DEPTH) throw invalidValue(path, `nesting deeper than ${MAX_DEPTH} levels`);
  if (ancestors.has(value)) throw invalidValue(path, "a circular reference");
  ancestors.add(value);
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) throw invalidValue(path, describeType(value));
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item === undefined) throw invalidValue(`${path}[${i}]`, "undefined");
      checkJson(item, `${path}[${i}]`, ancestors, depth + 1);
    }
  } else {
    if (!isPlainObject(value)) throw invalidValue(path, describeType(value));
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (item !== undefined) checkJson(item, `${path}.${key}`, ancestors, depth + 1);
    }
  }
  ancestors.delete(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function invalidValue(path: string, what: string, options: { top?: boolean } = {}): HearthError {
  const message = options.top
    ? `Storage value must be a plain JSON object, got ${what}`
    : `Storage value is not plain JSON: ${what} at ${path}`;
  return new HearthError("STORAGE_INVALID_VALUE", message, { data: { path } });
}

function describeType(value: unknown): string {
  if (typeof value === "function") return "a function";
  if (typeof value === "bigint") return "a bigint";
  if (typeof value === "symbol") return "a symbol";
  if (value === undefined) return "undefined";
  if (typeof value === "object" && value !== null) {
    const name = Object.getPrototypeOf(value)?.constructor?.name;
    return name ? `an instance of ${name}` : "a non-plain object";
  }
  return typeof value;
}

function describe(value: unknown): string {
  if (typeof value !== "string") return `(${typeof value})`;
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}
