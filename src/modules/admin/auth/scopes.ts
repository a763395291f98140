import type { Scope } from "./types.ts";

/** Every scope, weakest first; a scope covers all those before it. */
export const SCOPES = ["read", "control", "admin"] as const satisfies readonly Scope[];

const RANK: Record<Scope, number> = { read: 0, control: 1, admin: 2 };

/** True when any granted scope covers `needed` (admin ⊇ control ⊇ read). */
export function hasScope(granted: readonly Scope[], needed: Scope): boolean {
  const want = RANK[needed];
  if (want === undefined) return false;
  return granted.some((s) => RANK[s] !== undefined && RANK[s] >= want);
}

/** Deduplicated, weakest first: one spelling for storage and display. */
export function normalizeScopes(scopes: readonly Scope[]): Scope[] {
  return SCOPES.filter((s) => scopes.includes(s));
}
