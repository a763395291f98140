/**
 * A FIFO async mutex. Release hands the lock straight to the next waiter, so a caller that arrives
 * while others queue cannot overtake them.
 */
export class Mutex {
  #locked = false;
  readonly #waiters: (() => void)[] = [];

  get locked(): boolean {
    return this.#locked;
  }

  tryAcquire(): boolean {
    if (this.#locked) return false;
    this.#locked = true;
    return true;
  }

  acquire(): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#locked = false;
  }
}

/** One undone removal of a pending deferred write, restored if the transaction rolls back. */
export interface PendingUndo {
  namespace: string;
  key: string;
  json: string;
}

/**
 * Where an operation runs: the root (no transaction, autocommit) or an open transaction, possibly
 * nested. Each scope serialises what runs directly in it: while a child transaction is open, every
 * other operation of the same scope waits for it.
 */
export class Scope {
  readonly parent: Scope | undefined;
  readonly depth: number;
  readonly mutex = new Mutex();
  open = true;
  /** Pending deferred writes this transaction superseded, to put back on rollback. */
  readonly undo: PendingUndo[] = [];

  constructor(parent?: Scope) {
    this.parent = parent;
    this.depth = parent ? parent.depth + 1 : 0;
  }

  get isRoot(): boolean {
    return this.parent === undefined;
  }
}
