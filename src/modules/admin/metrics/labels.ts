/** Label hygiene: every label value comes from a bounded set (names chosen in code), never from input. */

const CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/** The error's stable code (HearthError, or a Node errno code), else `UNKNOWN`. */
export function errorCodeLabel(err: unknown): string {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" && CODE.test(code) ? code : "UNKNOWN";
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Known HTTP methods as they are; anything else (clients can send any token) as `OTHER`. */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : "OTHER";
}

/** Past this many distinct bus event types, new types are counted under `other`. */
export const MAX_EVENT_TYPES = 500;
export const OTHER_TYPE = "other";
