/**
 * The automation module's clock: every delay, `for` duration, cron and sun schedule goes through it,
 * so tests (and the dry run) never wait in real time. `systemClock` is the real one; `ManualClock`
 * moves only when told to.
 */

export type ClockTimer = { readonly id: number };

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once `ms` have passed on this clock. */
  setTimeout(fn: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer | undefined): void;
}

/** Node timers clamp at 2^31-1 ms; longer waits are chained. */
const MAX_TIMER_MS = 2_147_483_647;

export function createSystemClock(): Clock {
  let next = 0;
  const handles = new Map<number, ReturnType<typeof setTimeout>>();
  const arm = (id: number, fn: () => void, due: number) => {
    const left = Math.max(0, due - Date.now());
    const h = setTimeout(
      () => {
        if (!handles.has(id)) return;
        if (Date.now() < due && left >= MAX_TIMER_MS) return arm(id, fn, due);
        handles.delete(id);
        fn();
      },
      Math.min(left, MAX_TIMER_MS),
    );
    h.unref?.();
    handles.set(id, h);
  };
  return {
    now: () => Date.now(),
    setTimeout(fn, ms) {
      const id = ++next;
      arm(id, fn, Date.now() + Math.max(0, ms));
      return { id };
    },
    clearTimeout(timer) {
      if (timer === undefined) return;
      const h = handles.get(timer.id);
      if (h !== undefined) clearTimeout(h);
      handles.delete(timer.id);
    },
  };
}

interface Pending {
  id: number;
  due: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that moves only through `advance`/`set`. Timers fire in due order, each at its own time,
 * with the microtask queue (and one macrotask turn) drained between them, so code awaiting a timer
 * runs before the next one fires.
 */
export class ManualClock implements Clock {
  #now: number;
  #next = 0;
  #seq = 0;
  readonly #timers = new Map<number, Pending>();

  constructor(start: number | Date = Date.UTC(2026, 0, 15, 12, 0, 0)) {
    this.#now = typeof start === "number" ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    const id = ++this.#next;
    this.#timers.set(id, { id, due: this.#now + Math.max(0, ms), seq: ++this.#seq, fn });
    return { id };
  }

  clearTimeout(timer: ClockTimer | undefined): void {
    if (timer !== undefined) this.#timers.delete(timer.id);
  }

  /** Timers not fired yet. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves the clock forward by `ms`, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    await this.set(this.#now + ms);
  }

  /** Moves the clock to `to` (never backwards), firing every timer due on the way. */
  async set(to: number | Date): Promise<void> {
    const target = typeof to === "number" ? to : to.getTime();
    await settle();
    for (;;) {
      let first: Pending | undefined;
      for (const t of this.#timers.values()) {
        if (t.due > target) continue;
        if (first === undefined || t.due < first.due || (t.due === first.due && t.seq < first.seq)) first = t;
      }
      if (first === undefined) break;
      this.#timers.delete(first.id);
      this.#now = Math.max(this.#now, first.due);
      first.fn();
      await settle();
    }
    this.#now = Math.max(this.#now, target);
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}
