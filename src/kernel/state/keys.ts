import { HearthError } from "../../errors.ts";
import { STATE_KEY_MAX, STATE_KEY_SOURCE, STATE_PATTERN_MAX, STATE_PATTERN_SOURCE } from "../names/index.ts";

export const MAX_KEY_LENGTH = STATE_KEY_MAX;
const KEY_RE = new RegExp(STATE_KEY_SOURCE);
// A pattern may be a full-length key plus a few wildcards (at most two in a row).
const PATTERN_RE = new RegExp(STATE_PATTERN_SOURCE);
const PATTERN_CACHE_SIZE = 128;

/** Decides whether a key matches a compiled pattern. */
export type KeyMatcher = (key: string) => boolean;

/** The matcher for "no pattern" and `**`; compared by identity to skip matching altogether. */
export const matchAll: KeyMatcher = () => true;

const cache = new Map<string, KeyMatcher>();

function describe(value: unknown): unknown {
  return typeof value === "string" ? value.slice(0, 100) : typeof value;
}

/** Throws STATE_INVALID_KEY unless `key` is 1–512 chars of `[A-Za-z0-9_.:@/-]`. */
export function assertKey(key: unknown): asserts key is string {
  if (typeof key !== "string" || !KEY_RE.test(key)) {
    throw new HearthError(
      "STATE_INVALID_KEY",
      `State key must be 1–${MAX_KEY_LENGTH} characters of [A-Za-z0-9_.:@/-]`,
      { data: { key: describe(key) } },
    );
  }
}

function invalidPattern(pattern: unknown, why: string): HearthError {
  return new HearthError("STATE_INVALID_KEY", `Invalid state key pattern: ${why}`, {
    data: { pattern: describe(pattern) },
  });
}

function compile(pattern: string): KeyMatcher {
  if (!PATTERN_RE.test(pattern)) {
    throw invalidPattern(
      pattern,
      pattern.includes("***")
        ? "at most two * in a row"
        : `use 1–${STATE_PATTERN_MAX} characters of [A-Za-z0-9_.:@/-] and *`,
    );
  }
  if (pattern === "**") return matchAll;
  if (!pattern.includes("*")) return (key) => key === pattern;
  let source = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        source += ".*";
        i++;
      } else {
        source += "[^/]*";
      }
    } else {
      // "." is the only regex metacharacter the key charset allows.
      source += c === "." ? "\\." : c;
    }
  }
  const re = new RegExp(`${source}$`);
  return (key) => re.test(key);
}

/**
 * Compiles a key pattern (`*` within one `/` segment, `**` across segments) once; recently used
 * patterns are kept in a small LRU so watchers and `keys()` calls reuse them.
 */
export function compilePattern(pattern: unknown): KeyMatcher {
  if (pattern === undefined) return matchAll;
  if (typeof pattern !== "string") throw invalidPattern(pattern, "must be a string");
  const hit = cache.get(pattern);
  if (hit !== undefined) {
    cache.delete(pattern);
    cache.set(pattern, hit);
    return hit;
  }
  const matcher = compile(pattern);
  cache.set(pattern, matcher);
  if (cache.size > PATTERN_CACHE_SIZE) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return matcher;
}
