/** Timers driven by hand: time moves only when a test calls advance(), so nothing depends on speed. */
import type { GpioTimers } from "../../../../src/hal/gpio/index.ts";

interface Entry {
  at: number;
  every: number | undefined;
  callback: () => void;
}

export interface ManualTimers extends GpioTimers {
  /** Moves time forward by `ms`, running every timer that falls due, in time order. */
  advance(ms: number): void;
  /** Timers and intervals not yet cleared. */
  pending(): number;
}

export function createManualTimers(start = 1000): ManualTimers {
  let now = start;
  let nextId = 1;
  const entries = new Map<number, Entry>();
  const add = (callback: () => void, ms: number, every: number | undefined): number => {
    const id = nextId++;
    entries.set(id, { at: now + Math.max(0, ms), every, callback });
    return id;
  };
  const clear = (h: unknown) => {
    entries.delete(h as number);
  };
  return {
    now: () => now,
    setTimeout: (cb, ms) => add(cb, ms, undefined),
    setInterval: (cb, ms) => add(cb, ms, Math.max(1, ms)),
    clearTimeout: clear,
    clearInterval: clear,
    pending: () => entries.size,
    advance(ms) {
      const end = now + ms;
      for (;;) {
        let due: [number, Entry] | undefined;
        for (const e of entries) if (e[1].at <= end && (due === undefined || e[1].at < due[1].at)) due = e;
        if (due === undefined) break;
        const [id, entry] = due;
        now = Math.max(now, entry.at);
        if (entry.every === undefined) entries.delete(id);
        else entry.at += entry.every;
        entry.callback();
      }
      now = end;
    },
  };
}
