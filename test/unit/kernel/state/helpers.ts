import { isHearthError } from "../../../../src/errors.ts";
import type { StateTimerHandle, StateTimers } from "../../../../src/kernel/state/index.ts";

/** The code of the HearthError `fn` throws, "not a HearthError" for anything else, undefined if none. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isHearthError(err) ? err.code : "not a HearthError";
  }
  return undefined;
}

/** Polls `cond` every few ms; gives up (returning false) after `limitMs` so a bug fails instead of hanging. */
export async function waitFor(cond: () => boolean, limitMs = 5000): Promise<boolean> {
  const end = performance.now() + limitMs;
  while (!cond()) {
    if (performance.now() > end) return false;
    await Bun.sleep(5);
  }
  return true;
}

interface Handle extends StateTimerHandle {
  timer: ReturnType<typeof setTimeout>;
}

/** Real timers that count how many are pending at once and how many were unref'd. */
export function countingTimers() {
  const live = new Set<Handle>();
  const counts = { created: 0, unrefd: 0, maxPending: 0 };
  const timers: StateTimers = {
    setTimeout(fn, ms) {
      counts.created++;
      const handle: Handle = {
        timer: setTimeout(() => {
          live.delete(handle);
          fn();
        }, ms),
        unref() {
          counts.unrefd++;
          handle.timer.unref();
        },
      };
      live.add(handle);
      counts.maxPending = Math.max(counts.maxPending, live.size);
      return handle;
    },
    clearTimeout(h) {
      const handle = h as Handle;
      clearTimeout(handle.timer);
      live.delete(handle);
    },
  };
  return { timers, counts, pending: () => live.size };
}
