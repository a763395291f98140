/**
 * Per-key FIFO execution: a job starts only after every earlier job of the same key has settled.
 * Jobs return `undefined` when they settled synchronously, so an idle lane with synchronous jobs
 * costs no promise at all. Jobs must not reject.
 *
 * The lane's state lives on the key object itself: an idle lane costs no map operation per job.
 */
export interface LaneSlot<J> {
  /** `undefined`: idle. `null`: a job is running and nothing is queued behind it. */
  lane: Lane<J> | null | undefined;
}

export interface Lane<J> {
  items: (Item<J> | undefined)[];
  head: number;
}

interface Item<J> {
  job: J;
  resolve: () => void;
}

export class SerialLanes<K extends LaneSlot<J>, J> {
  readonly #run: (key: K, job: J) => Promise<void> | undefined;

  constructor(run: (key: K, job: J) => Promise<void> | undefined) {
    this.#run = run;
  }

  /** Whether a job of this lane is running or queued. */
  busy(key: K): boolean {
    return key.lane !== undefined;
  }

  /** Runs `job` now if its lane is idle, otherwise queues it. `undefined` means it already settled. */
  run(key: K, job: J): Promise<void> | undefined {
    if (key.lane !== undefined) return this.#enqueue(key, job);
    // Marked busy before running: a job that publishes to its own lane synchronously must queue.
    key.lane = null;
    let settled: Promise<void> | undefined;
    try {
      settled = this.#run(key, job);
    } catch (err) {
      this.#next(key);
      throw err;
    }
    if (settled === undefined) {
      this.#next(key);
      return undefined;
    }
    void settled.then(() => this.#next(key));
    return settled;
  }

  #enqueue(key: K, job: J): Promise<void> {
    let lane = key.lane;
    if (lane == null) {
      lane = { items: [], head: 0 };
      key.lane = lane;
    }
    const { promise, resolve } = Promise.withResolvers<void>();
    lane.items.push({ job, resolve });
    return promise;
  }

  #next(key: K): void {
    const lane = key.lane;
    if (lane != null) {
      while (lane.head < lane.items.length) {
        const item = lane.items[lane.head] as Item<J>;
        lane.items[lane.head++] = undefined;
        // A lane under constant load never goes idle: drop the consumed prefix now and then.
        if (lane.head >= 1024) {
          lane.items = lane.items.slice(lane.head);
          lane.head = 0;
        }
        const settled = this.#runQueued(key, item);
        if (settled !== undefined) {
          void settled.then(() => {
            item.resolve();
            this.#next(key);
          });
          return;
        }
        item.resolve();
      }
    }
    key.lane = undefined;
  }

  #runQueued(key: K, item: Item<J>): Promise<void> | undefined {
    try {
      return this.#run(key, item.job);
    } catch {
      // Jobs are not supposed to throw; a queued one that does must not wedge the lane.
      return undefined;
    }
  }
}
