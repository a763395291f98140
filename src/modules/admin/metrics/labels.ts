/** Label hygiene: every label value comes from a bounded set (names chosen in code), never from input. */

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Known HTTP methods as they are; anything else (clients can send any token) as `OTHER`. */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : "OTHER";
}

/** Past this many distinct bus event types, new types are counted under `other`. */
export const MAX_EVENT_TYPES = 500;
export const OTHER_TYPE = "other";
