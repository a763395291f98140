/** The API's scope vocabulary, defined once: every other spelling derives from `SCOPES`. */

/** Every scope, weakest first; a scope covers all those before it (admin ⊇ control ⊇ read). */
export const SCOPES = ["read", "control", "admin"] as const;

/** What a token (or session) may do. */
export type Scope = (typeof SCOPES)[number];

const RANK: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(SCOPES.map((scope, i) => [scope, i])),
);

/** Whether `value` is one of the scopes. */
export function isScope(value: unknown): value is Scope {
  return typeof value === "string" && Object.hasOwn(RANK, value);
}

/** True when any granted scope covers `needed`. */
export function hasScope(granted: readonly Scope[], needed: Scope): boolean {
  const want = RANK[needed];
  if (want === undefined) return false;
  return granted.some((s) => (RANK[s] ?? -1) >= want);
}

/** Deduplicated, weakest first: one spelling for storage and display. */
export function normalizeScopes(scopes: readonly Scope[]): Scope[] {
  return SCOPES.filter((s) => scopes.includes(s));
}
