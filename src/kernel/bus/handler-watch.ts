import type { Subscription } from "./subscription.ts";
import type { BusEvent, PendingHandler } from "./types.ts";

/** The run settled in time and fulfilled. */
export const OK: unique symbol = Symbol("ok");
/** The run outlived the timeout; the bus no longer waits for it. */
export const TIMED_OUT: unique symbol = Symbol("timed out");

/** The run settled in time and rejected with `error`. */
export class Rejected {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

export type Outcome = typeof OK | typeof TIMED_OUT | Rejected;

/** One asynchronous handler run; `E` and `D` are the caller's context, handed back with the outcome. */
export class Run<E, D> {
  readonly sub: Subscription;
  readonly event: BusEvent;
  readonly entry: E;
  readonly delivery: D;
  /** The sweep tick when it began: elapsed time is counted in sweep periods, not clock reads. */
  readonly startTick: number;
  settled = false;
  /** performance.now() when it was given up on (set only then, which is rare). */
  timedOutAt = 0;
  /** The next younger run, while this one is queued. */
  next: Run<E, D> | undefined = undefined;

  constructor(sub: Subscription, event: BusEvent, entry: E, delivery: D, startTick: number) {
    this.sub = sub;
    this.event = event;
    this.entry = entry;
    this.delivery = delivery;
    this.startTick = startTick;
  }
}

/**
 * Bounds asynchronous handler runs. Each watched run reports exactly one outcome through `onOutcome`:
 * OK, Rejected, or TIMED_OUT once `timeoutMs` has passed; a run given up on stays listed as stuck
 * until it really settles (it cannot be cancelled), then `onLate` is called.
 *
 * Per run it costs one object, a link in a list and the two promise reactions, with no clock read and
 * no timer: one sweeper, running only while something is watched, ticks every quarter of the timeout
 * (5 ms to 1 s) and gives up on runs older than the timeout (so a run gets between timeoutMs and
 * timeoutMs plus one period).
 */
export class HandlerWatch<E, D> {
  readonly timeoutMs: number;
  readonly #periodMs: number;
  /** Whole periods a run may last: past this many ticks after its start, it has had at least timeoutMs. */
  readonly #limitTicks: number;
  readonly #onOutcome: (run: Run<E, D>, outcome: Outcome) => void;
  readonly #onLate: (run: Run<E, D>, runningMs: number) => void;
  /** Runs in start order, oldest first; a settled prefix is dropped as soon as it forms. */
  #oldest: Run<E, D> | undefined;
  #youngest: Run<E, D> | undefined;
  readonly #stuck = new Set<Run<E, D>>();
  #tick = 0;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  /** Runs given up on, ever. */
  timedOut = 0;

  constructor(
    timeoutMs: number,
    onOutcome: (run: Run<E, D>, outcome: Outcome) => void,
    onLate: (run: Run<E, D>, runningMs: number) => void,
  ) {
    this.timeoutMs = timeoutMs;
    this.#periodMs = Math.min(1000, Math.max(5, Math.floor(timeoutMs / 4)));
    this.#limitTicks = Math.ceil(timeoutMs / this.#periodMs);
    this.#onOutcome = onOutcome;
    this.#onLate = onLate;
  }

  /** Watches the promise a handler returned. */
  watch(sub: Subscription, event: BusEvent, entry: E, delivery: D, promise: PromiseLike<unknown>): void {
    const r = new Run(sub, event, entry, delivery, this.#tick);
    if (this.#youngest === undefined) this.#oldest = r;
    else this.#youngest.next = r;
    this.#youngest = r;
    if (this.#sweeper === undefined) this.#sweeper = this.#startSweeper();
    promise.then(
      () => this.#settled(r, OK),
      (err: unknown) => this.#settled(r, new Rejected(err)),
    );
  }

  /** Runs given up on and still running, by owner (`"unknown"` without one). */
  stuckByOwner(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.#stuck) {
      const owner = r.sub.owner ?? "unknown";
      out[owner] = (out[owner] ?? 0) + 1;
    }
    return out;
  }

  /** Every unsettled run: stuck ones first, then those still waited for, oldest first. */
  pending(): PendingHandler[] {
    const now = performance.now();
    const out: PendingHandler[] = [];
    for (const r of this.#stuck) out.push(describe(r, Math.round(now - r.timedOutAt) + this.timeoutMs, true));
    for (let r = this.#oldest; r !== undefined; r = r.next) {
      if (!r.settled) out.push(describe(r, (this.#tick - r.startTick) * this.#periodMs, false));
    }
    return out;
  }

  #settled(r: Run<E, D>, outcome: Outcome): void {
    r.settled = true;
    if (r.timedOutAt === 0) {
      // Runs mostly settle in start order: drop the settled prefix now, so nothing is kept alive
      // until the next sweep (under load that would be thousands of runs).
      if (r === this.#oldest) this.#dropSettled();
      this.#onOutcome(r, outcome);
      return;
    }
    this.#stuck.delete(r);
    this.#onLate(r, Math.round(performance.now() - r.timedOutAt) + this.timeoutMs);
  }

  #dropSettled(): void {
    let r = this.#oldest;
    while (r?.settled === true) {
      const next = r.next;
      r.next = undefined;
      r = next;
    }
    this.#oldest = r;
    if (r === undefined) this.#youngest = undefined;
  }

  #startSweeper(): ReturnType<typeof setInterval> {
    const timer = setInterval(() => this.#sweep(), this.#periodMs);
    timer.unref?.();
    return timer;
  }

  #sweep(): void {
    const tick = ++this.#tick;
    let r = this.#oldest;
    while (r !== undefined) {
      if (!r.settled) {
        // Start order: the oldest run still in time ends the scan.
        if (tick - r.startTick <= this.#limitTicks) break;
        r.timedOutAt = performance.now();
        this.timedOut++;
        this.#stuck.add(r);
        this.#onOutcome(r, TIMED_OUT);
      }
      const next = r.next;
      r.next = undefined;
      r = next;
    }
    this.#oldest = r;
    if (r === undefined) {
      // Nothing left to time out (stuck runs need no sweeping): rest until the next watch.
      this.#youngest = undefined;
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }
}

function describe<E, D>(r: Run<E, D>, runningMs: number, timedOut: boolean): PendingHandler {
  return {
    owner: r.sub.owner,
    pattern: r.sub.pattern,
    type: r.event.type,
    seq: r.event.seq,
    runningMs,
    timedOut,
  };
}
