import { HearthError } from "../../errors.ts";
import { EVENT_PATTERN_SOURCE, EVENT_TYPE_SOURCE } from "../names/index.ts";

// The first segment (the domain) is an owner name, so a plugin `zigbee-stick` publishes
// `zigbee-stick.device_joined`; the further segments are snake_case starting with a letter.
const EVENT_TYPE = new RegExp(EVENT_TYPE_SOURCE);
// The same grammar the admin API documents for `?pattern=`.
const PATTERN = new RegExp(EVENT_PATTERN_SOURCE);

/** A subscription pattern, compiled once at subscribe time. */
export type Matcher =
  | { readonly kind: "all" }
  | { readonly kind: "exact"; readonly type: string }
  /** `null` marks a `*` segment. */
  | { readonly kind: "segments"; readonly segments: readonly (string | null)[] };

/** Throws `BUS_INVALID_EVENT_TYPE` unless `type` is `<domain>.<verb>` (optionally `$`-prefixed). */
export function assertEventType(type: unknown): asserts type is string {
  if (typeof type !== "string" || !EVENT_TYPE.test(type)) {
    throw new HearthError(
      "BUS_INVALID_EVENT_TYPE",
      `Invalid event type ${JSON.stringify(type)}: expected "<domain>.<verb>" in snake_case segments, "$" prefix for kernel events`,
      { data: { type: typeof type === "string" ? type : String(type) } },
    );
  }
}

/** Compiles a pattern or throws `BUS_INVALID_PATTERN`. */
export function compilePattern(pattern: unknown): Matcher {
  if (pattern === "*") return { kind: "all" };
  if (typeof pattern === "string" && PATTERN.test(pattern)) {
    const parts = pattern.split(".");
    return parts.includes("*")
      ? { kind: "segments", segments: parts.map((p) => (p === "*" ? null : p)) }
      : { kind: "exact", type: pattern };
  }
  throw new HearthError(
    "BUS_INVALID_PATTERN",
    `Invalid subscription pattern ${JSON.stringify(pattern)}: expected an event type, "*" as whole segments ("device.*"), or "*"`,
    { data: { pattern: typeof pattern === "string" ? pattern : String(pattern) } },
  );
}

/** Whether a wildcard matcher accepts an event type already split on ".". */
export function matches(matcher: Matcher, segments: readonly string[]): boolean {
  if (matcher.kind === "all") return true;
  if (matcher.kind === "exact") return segments.join(".") === matcher.type;
  const want = matcher.segments;
  if (want.length !== segments.length) return false;
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    if (w !== null && w !== segments[i]) return false;
  }
  return true;
}
