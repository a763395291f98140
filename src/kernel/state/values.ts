import { HearthError } from "../../errors.ts";

// Deep enough for any real device state; also how cycles are caught without tracking ancestors.
const MAX_DEPTH = 100;

/** A deep-frozen copy of a JSON value and the length of its JSON text. */
export interface FrozenValue {
  value: unknown;
  jsonLength: number;
}

class InvalidValue extends Error {
  readonly path: (string | number)[] = [];
}

// Characters JSON escapes (lone surrogates included); strings without any are their length plus quotes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

// JSON.stringify on a string costs ~100 ns on JSC even when nothing needs escaping; a char loop
// wins for short strings (most keys), the regex for long ones.
function jsonStringLength(s: string): number {
  const n = s.length;
  if (n > 32) return NEEDS_ESCAPE.test(s) ? JSON.stringify(s).length : n + 2;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s).length;
  }
  return n + 2;
}

interface Walk {
  length: number;
}

function jsonPath(path: (string | number)[]): string {
  let out = "$";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : `.${p}`;
  return out;
}

function describeType(v: unknown): string {
  if (typeof v !== "object" || v === null) return typeof v;
  return (v as object).constructor?.name ?? "object";
}

function copy(v: unknown, depth: number, walk: Walk): unknown {
  switch (typeof v) {
    case "string":
      walk.length += jsonStringLength(v);
      return v;
    case "number":
      if (!Number.isFinite(v)) throw new InvalidValue(`${v} is not a JSON number`);
      walk.length += String(v).length;
      return v;
    case "boolean":
      walk.length += v ? 4 : 5;
      return v;
    case "object":
      break;
    default:
      throw new InvalidValue(`a ${typeof v} is not JSON data`);
  }
  if (v === null) {
    walk.length += 4;
    return v;
  }
  if (depth >= MAX_DEPTH) throw new InvalidValue(`nested deeper than ${MAX_DEPTH} levels (or cyclic)`);
  const proto = Object.getPrototypeOf(v);
  if (Array.isArray(v) && proto === Array.prototype) {
    const out: unknown[] = [];
    walk.length += v.length === 0 ? 2 : 1 + v.length;
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      // JSON would turn this into null, silently changing the array's meaning.
      if (item === undefined) {
        const err = new InvalidValue("undefined (or a hole) in an array");
        err.path.push(i);
        throw err;
      }
      try {
        out.push(copy(item, depth + 1, walk));
      } catch (err) {
        if (err instanceof InvalidValue) err.path.unshift(i);
        throw err;
      }
    }
    return Object.freeze(out);
  }
  if (proto !== Object.prototype && proto !== null) {
    throw new InvalidValue(`a ${describeType(v)} is not a plain object`);
  }
  const src = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const k of Object.keys(src)) {
    const item = src[k];
    // Dropped, as JSON.stringify does: `{ a: maybeUndefined }` is ordinary TypeScript.
    if (item === undefined) continue;
    let c: unknown;
    try {
      c = copy(item, depth + 1, walk);
    } catch (err) {
      if (err instanceof InvalidValue) err.path.unshift(k);
      throw err;
    }
    // Plain assignment of "__proto__" would set the prototype instead of a property.
    if (k === "__proto__") {
      Object.defineProperty(out, k, { value: c, enumerable: true, writable: true, configurable: true });
    } else {
      out[k] = c;
    }
    walk.length += jsonStringLength(k) + 1;
    n++;
  }
  walk.length += n === 0 ? 2 : 1 + n;
  return Object.freeze(out);
}

/**
 * Validates that `value` is plain JSON data and returns a deep-frozen copy plus its JSON length,
 * in one walk. Throws STATE_INVALID_VALUE (with the offending path in `data`) otherwise.
 */
export function freezeCopy(key: string, value: unknown): FrozenValue {
  if (value === undefined) {
    throw new HearthError("STATE_INVALID_VALUE", `State value for "${key}" is undefined; use delete()`, {
      data: { key, path: "$" },
    });
  }
  const walk: Walk = { length: 0 };
  try {
    const copied = copy(value, 0, walk);
    return { value: copied, jsonLength: walk.length };
  } catch (err) {
    if (!(err instanceof InvalidValue)) throw err;
    const path = jsonPath(err.path);
    throw new HearthError("STATE_INVALID_VALUE", `State value for "${key}" at ${path}: ${err.message}`, {
      data: { key, path },
    });
  }
}
