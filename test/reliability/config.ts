/**
 * Reliability suites run a short variant in every `bun test` (CI) and a long one under
 * `bun run test:soak` (HEARTH_SOAK=1). Each suite takes its sizes from here so the two stay one code path.
 */
export const SOAK = process.env.HEARTH_SOAK === "1";

/** Picks the short (CI) or the long (soak) value. */
export function scale<T>(short: T, long: T): T {
  return SOAK ? long : short;
}
