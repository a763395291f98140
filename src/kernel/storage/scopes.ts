import { AsyncLocalStorage } from "node:async_hooks";
import { HearthError } from "../../errors.ts";
import { type PendingUndo, Scope } from "./tx-lock.ts";

/** How transactions begin and end in the store: the engine's side of Scopes. */
export interface TxDriver {
  /** BEGIN IMMEDIATE under the root, a savepoint inside a transaction. */
  open(parent: Scope, savepoint: string): void;
  /** COMMIT or RELEASE; keeps `undo` for the parent when there is one. */
  commit(parent: Scope, undo: PendingUndo[], savepoint: string): void;
  /** ROLLBACK or ROLLBACK TO, and puts back the pending writes in `undo`. Never throws. */
  rollback(parent: Scope, undo: PendingUndo[], savepoint: string): void;
  /** Throws when the store ended the scope's transaction by itself. */
  checkLive(scope: Scope): void;
}

/**
 * Which transaction an operation belongs to, and the waiting that keeps them apart.
 *
 * bun:sqlite runs on one connection, so an open transaction would see, and commit or roll back,
 * whatever anyone else ran meanwhile. Every operation therefore runs in a Scope (the root, or the
 * innermost open transaction of the caller's async context) and waits while that scope has a child
 * transaction open. Calls from inside a transaction's callback join it; nested ones are savepoints.
 */
export class Scopes {
  readonly root = new Scope();
  /** Set by close(): new root-level work is refused from then on. */
  closing = false;
  readonly #als = new AsyncLocalStorage<Scope>();
  readonly #driver: TxDriver;

  constructor(driver: TxDriver) {
    this.#driver = driver;
  }

  /** Runs synchronous work in the caller's scope, after whatever transaction that scope has open. */
  async exec<T>(explicit: Scope | undefined, work: (scope: Scope) => T): Promise<T> {
    for (;;) {
      const scope = this.#resolve(explicit);
      // The work is synchronous, so nothing can interleave with it while the scope is free.
      if (!scope.mutex.locked) {
        this.#driver.checkLive(scope);
        return work(scope);
      }
      await scope.mutex.acquire();
      if (scope.open) {
        try {
          this.#driver.checkLive(scope);
          return work(scope);
        } finally {
          scope.mutex.release();
        }
      }
      // The transaction ended while we waited: look again (its parent, or an error).
      scope.mutex.release();
    }
  }

  /** Runs `fn` in a new child transaction of the caller's scope: all of it commits, or none. */
  async transaction<T>(explicit: Scope | undefined, fn: (scope: Scope) => Promise<T>): Promise<T> {
    const parent = await this.#enter(explicit);
    const child = new Scope(parent);
    const savepoint = `hearth_sp${child.depth}`;
    try {
      this.#driver.checkLive(parent);
      this.#driver.open(parent, savepoint);
    } catch (err) {
      parent.mutex.release();
      throw err;
    }
    try {
      let result: T;
      try {
        result = await this.#als.run(child, () => fn(child));
      } catch (err) {
        await this.#settle(child);
        this.#driver.rollback(parent, child.undo, savepoint);
        throw err;
      }
      await this.#settle(child);
      try {
        this.#driver.checkLive(child);
        this.#driver.commit(parent, child.undo, savepoint);
      } catch (err) {
        this.#driver.rollback(parent, child.undo, savepoint);
        throw err;
      }
      return result;
    } finally {
      parent.mutex.release();
    }
  }

  /** The innermost open transaction of the caller's async context, if any. */
  innermost(): Scope | undefined {
    let scope = this.#als.getStore();
    while (scope && !scope.open) scope = scope.parent;
    return scope;
  }

  /** Runs `fn` outside every caller's context (for timers that must never join a transaction). */
  outside<T>(fn: () => T): T {
    return this.#als.exit(fn);
  }

  /** Resolves the scope like exec() and keeps it locked for a child transaction. */
  async #enter(explicit: Scope | undefined): Promise<Scope> {
    for (;;) {
      const scope = this.#resolve(explicit);
      if (scope.mutex.tryAcquire()) return scope;
      await scope.mutex.acquire();
      if (scope.open) return scope;
      scope.mutex.release();
    }
  }

  /**
   * The scope an operation runs in. A transaction handle used from inside one of its own nested
   * transactions joins the nested one: waiting for it instead would wait forever.
   */
  #resolve(explicit: Scope | undefined): Scope {
    if (explicit && !explicit.open) {
      throw new HearthError(
        "INVALID_ARGUMENT",
        "This transaction has already finished; use the storage instead",
      );
    }
    let scope = this.innermost();
    if (explicit && !(scope && isWithin(scope, explicit))) scope = explicit;
    scope ??= this.root;
    if (scope.isRoot && this.closing) throw new HearthError("STORAGE_CLOSED", "The storage is closed");
    return scope;
  }

  /** Waits for anything still running inside a finished callback (an un-awaited nested transaction). */
  async #settle(scope: Scope): Promise<void> {
    await scope.mutex.acquire();
    scope.open = false;
    scope.mutex.release();
  }
}

function isWithin(scope: Scope, ancestor: Scope): boolean {
  for (let s: Scope | undefined = scope; s; s = s.parent) if (s === ancestor) return true;
  return false;
}
