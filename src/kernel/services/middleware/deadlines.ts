/**
 * Call deadlines without a timer per call: one min-heap of the attempts in flight, ordered by deadline,
 * and one timer armed for the earliest. An attempt that settles leaves the heap at once (O(log n), n
 * the attempts in flight, usually a handful), so nothing is kept alive until its deadline. The timer is
 * re-armed only when a new deadline is earlier than the one it is armed for; with the usual equal
 * timeouts later calls have later deadlines, so a steady stream of calls arms about one timer per
 * timeout period instead of one per call. It is unref'd: pending deadlines never keep the process alive.
 * Once it fires with nothing in flight it is not re-armed, so an idle process has no timer at all.
 */

/** One attempt being timed. `expire` runs at most once, when its deadline passes before it settles. */
export class Pending {
  readonly deadline: number;
  readonly expire: () => void;
  /** Position in the heap; -1 once out of it (settled or expired). */
  index = -1;

  constructor(deadline: number, expire: () => void) {
    this.deadline = deadline;
    this.expire = expire;
  }
}

export class DeadlineSweeper {
  readonly #heap: Pending[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Deadline the timer is armed for; Infinity when none is armed. */
  #armedFor = Number.POSITIVE_INFINITY;

  /** Attempts in flight (for tests and diagnostics). */
  get size(): number {
    return this.#heap.length;
  }

  /** Whether a timer is armed (for tests). */
  get armed(): boolean {
    return this.#timer !== undefined;
  }

  add(p: Pending): void {
    const heap = this.#heap;
    p.index = heap.length;
    heap.push(p);
    this.#up(p.index);
    if (p.deadline < this.#armedFor) this.#arm(p.deadline);
  }

  /** Takes a settled attempt out; a no-op when it already left (expired). */
  remove(p: Pending): void {
    const i = p.index;
    if (i < 0) return;
    p.index = -1;
    const heap = this.#heap;
    const last = heap.pop() as Pending;
    if (last === p) return;
    heap[i] = last;
    last.index = i;
    this.#up(i);
    this.#down(last.index);
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedFor = at;
    const timer = setTimeout(() => this.#fire(), Math.max(0, Math.ceil(at - performance.now())));
    timer.unref?.();
    this.#timer = timer;
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    const heap = this.#heap;
    const now = performance.now();
    let head = heap[0];
    while (head !== undefined && head.deadline <= now) {
      this.remove(head);
      head.expire();
      head = heap[0];
    }
    if (head !== undefined) this.#arm(head.deadline);
  }

  #up(i: number): void {
    const heap = this.#heap;
    const p = heap[i] as Pending;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex] as Pending;
      if (parent.deadline <= p.deadline) break;
      heap[i] = parent;
      parent.index = i;
      i = parentIndex;
    }
    heap[i] = p;
    p.index = i;
  }

  #down(i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const p = heap[i] as Pending;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && (heap[r] as Pending).deadline < (heap[l] as Pending).deadline) c = r;
      const child = heap[c] as Pending;
      if (child.deadline >= p.deadline) break;
      heap[i] = child;
      child.index = i;
      i = c;
    }
    heap[i] = p;
    p.index = i;
  }
}

/** The process's sweeper: every registry's calls share it (one timer for all of them). */
export const deadlines = new DeadlineSweeper();
