/**
 * Wall time and one-shot timers, for modules whose behaviour depends on time (presence's away delay
 * and override expiry). Injected so tests move time by hand instead of waiting for it.
 */
export interface Clock {
  /** Wall time in ms since the epoch (what `untilMs`-style deadlines and `since` stamps use). */
  now(): number;
  /** Runs `fn` once after `ms`; the handle goes to `clearTimeout`. Never keeps the process alive. */
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock: `Date.now()` and unref'd timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
