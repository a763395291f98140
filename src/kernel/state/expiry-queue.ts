import { DeadlineHeap, type HasDeadline } from "./deadline-heap.ts";
import type { StateTimerHandle, StateTimers } from "./types.ts";

// setTimeout overflows past 2^31-1 ms and fires at once; longer deadlines just re-arm.
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Deadlines in a min-heap behind ONE timer, armed for the nearest deadline, so the cost of a TTL
 * does not grow with the number of keys that have one. Items are never removed early: the owner
 * recognises stale ones when they are popped (lazy deletion) and calls `retain` now and then.
 */
export class ExpiryQueue<T extends HasDeadline> {
  readonly #heap = new DeadlineHeap<T>();
  readonly #timers: StateTimers;
  readonly #now: () => number;
  readonly #onDue: () => void;
  #timer: StateTimerHandle | undefined;
  #armedFor = Number.POSITIVE_INFINITY;
  #closed = false;

  constructor(timers: StateTimers, now: () => number, onDue: () => void) {
    this.#timers = timers;
    this.#now = now;
    this.#onDue = onDue;
  }

  get size(): number {
    return this.#heap.size;
  }

  add(item: T): void {
    this.#heap.push(item);
    if (item.deadline < this.#armedFor) this.#arm();
  }

  /** Pops the earliest item if its deadline is at or before `now`. */
  popDue(now: number): T | undefined {
    const top = this.#heap.peek();
    return top !== undefined && top.deadline <= now ? this.#heap.pop() : undefined;
  }

  /** Drops stale items in one O(n) pass. */
  retain(keep: (item: T) => boolean): void {
    this.#heap.retain(keep);
  }

  /** Stops the timer for good; deadlines no longer fire. */
  close(): void {
    this.#closed = true;
    this.#disarm();
    this.#heap.clear();
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    try {
      this.#onDue();
    } finally {
      this.#arm();
    }
  };

  #arm(): void {
    const top = this.#heap.peek();
    if (this.#closed || top === undefined) {
      this.#disarm();
      return;
    }
    if (this.#timer !== undefined && this.#armedFor <= top.deadline) return;
    this.#disarm();
    // At least 1 ms: a timer that fires a hair early just finds nothing due and re-arms.
    const delay = Math.min(MAX_DELAY_MS, Math.max(1, Math.ceil(top.deadline - this.#now())));
    this.#armedFor = top.deadline;
    const timer = this.#timers.setTimeout(this.#fire, delay);
    timer.unref?.();
    this.#timer = timer;
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
  }
}
