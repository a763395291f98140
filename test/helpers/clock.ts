/**
 * A clock that moves only when told: `advance(ms)` runs the timers that fall due, in deadline order,
 * so tests of delays and expiries never wait in real time.
 */
import type { Clock } from "../../src/kernel/util/index.ts";

export interface ManualClock extends Clock {
  /** Moves time forward, running each timer due on the way (timers set by those run too, if due). */
  advance(ms: number): void;
  /** Timers not yet run. */
  pending(): number;
}

export function manualClock(start = Date.now()): ManualClock {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        let next: [number, { at: number; fn: () => void }] | undefined;
        for (const entry of timers) {
          if (entry[1].at <= end && (next === undefined || entry[1].at < next[1].at)) next = entry;
        }
        if (next === undefined) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = end;
    },
    pending: () => timers.size,
  };
}
