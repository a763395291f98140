import { AsyncLocalStorage } from "node:async_hooks";
import { errorMessage, HearthError } from "../../errors.ts";
import { BUILTIN_SECRET_NAMESPACES } from "../config/index.ts";
import { type Logger, silentLogger } from "../log/index.ts";
import type { StateEngine } from "../state/types.ts";
import type {
  JsonObject,
  QueryOptions,
  Storage,
  StorageEntry,
  StorageOps,
  StorageSetOptions,
} from "../storage/types.ts";
import { checkConsistency, syncNamespace } from "./consistency.ts";
import type { MirroredStorage, MirrorOptions, StateMirror } from "./types.ts";

/** One pending change of a mirror key: a value to set, or undefined to delete. */
interface Change {
  key: string;
  value: JsonObject | undefined;
}

const ABSENT = Symbol("absent");
type Previous = unknown | typeof ABSENT;

function toEntries(entries: StorageEntry[] | Record<string, JsonObject>): StorageEntry[] {
  return Array.isArray(entries) ? entries : Object.entries(entries).map(([key, value]) => ({ key, value }));
}

/**
 * Builds the state mirror over `storage` and returns the storage to hand out in its place.
 *
 * Writes to a mirrored namespace run in a storage transaction and collect their mirror changes; the
 * changes reach state when the outermost transaction's callback has succeeded, just before it
 * commits. A mirror failure throws MIRROR_FAILED inside the transaction, so storage rolls back too;
 * a failed commit puts the mirror back as it was. A nested transaction's changes count only if it
 * succeeds, like its writes. So storage and state never disagree, whoever writes and however.
 *
 * @example
 * const { storage, mirror } = createStateMirror({ storage: raw, state, namespaces: ["plugins"] });
 * await storage.set("plugins", "demo", { enabled: false }); // state "plugins/demo" follows
 */
export function createStateMirror(options: MirrorOptions): MirroredStorage {
  return new Mirror(options).result();
}

class Mirror {
  readonly #inner: Storage;
  readonly #state: StateEngine;
  readonly #log: Logger;
  readonly #secret: Set<string>;
  readonly #tracked = new Set<string>();
  /** The changes of the wrapper transaction the caller is in (absent outside one). */
  readonly #tx = new AsyncLocalStorage<Change[]>();

  constructor(options: MirrorOptions) {
    this.#inner = options.storage;
    this.#state = options.state;
    this.#log = (options.logger ?? silentLogger()).child({ component: "mirror" });
    this.#secret = new Set<string>([...BUILTIN_SECRET_NAMESPACES, ...(options.secretNamespaces ?? [])]);
    for (const ns of options.namespaces ?? []) this.#startTracking(ns);
  }

  result(): MirroredStorage {
    const inner = this.#inner;
    const storage: Storage = Object.freeze({
      ...this.#ops(inner),
      get kind() {
        return inner.kind;
      },
      flush: () => inner.flush(),
      // Forwarded so caches over storage (the token store's) can see commits by other processes.
      ...(inner.dataVersion === undefined
        ? {}
        : { dataVersion: () => (inner.dataVersion as () => number)() }),
      backup: (path: string) => inner.backup(path),
      stats: () => inner.stats(),
      close: () => inner.close(),
    });
    const mirror: StateMirror = Object.freeze({
      track: async (namespace: string) => {
        if (this.#tracked.has(namespace)) return;
        this.#startTracking(namespace);
        await syncNamespace(this.#inner, this.#state, namespace);
      },
      isMirrored: (namespace: string) => this.#tracked.has(namespace),
      namespaces: () => [...this.#tracked].sort(),
      mirrorKey: (namespace: string, key: string) =>
        this.#tracked.has(namespace) ? `${namespace}/${key}` : undefined,
      isSecret: (namespace: string) => this.#secret.has(namespace),
      addSecret: (namespace: string) => {
        if (this.#tracked.has(namespace)) {
          throw new HearthError("INVALID_ARGUMENT", `Namespace "${namespace}" is mirrored into state`, {
            data: { namespace },
          });
        }
        this.#secret.add(namespace);
      },
      secretNamespaces: () => [...this.#secret].sort(),
      syncFromStorage: async () => {
        let written = 0;
        for (const ns of [...this.#tracked].sort())
          written += await syncNamespace(this.#inner, this.#state, ns);
        this.#log.debug({ keys: written }, "state mirror rebuilt from storage");
        return written;
      },
      checkConsistency: () => checkConsistency(this.#inner, this.#state, [...this.#tracked].sort()),
    });
    return { storage, mirror };
  }

  #startTracking(namespace: string): void {
    if (this.#secret.has(namespace)) {
      throw new HearthError("INVALID_ARGUMENT", `Secret namespace "${namespace}" is never mirrored`, {
        data: { namespace },
      });
    }
    this.#tracked.add(namespace);
  }

  /** The document operations over `ops` (the storage itself, or a transaction handle of it). */
  #ops(ops: StorageOps): StorageOps {
    return {
      get: (ns, key) => ops.get(ns, key),
      has: (ns, key) => ops.has(ns, key),
      listKeys: (ns, prefix) => ops.listKeys(ns, prefix),
      batchGet: (ns, keys) => ops.batchGet(ns, keys),
      query: <T extends JsonObject>(ns: string, q?: QueryOptions) => ops.query<T>(ns, q),
      namespaces: () => ops.namespaces(),
      transaction: (fn) => this.#transaction(ops, fn),
      set: (ns, key, value, setOptions?: StorageSetOptions) => {
        if (!this.#tracked.has(ns)) return ops.set(ns, key, value, setOptions);
        if (setOptions?.deferred === true && this.#tx.getStore() === undefined) {
          return this.#setDeferred(ns, key, value);
        }
        return this.#mirrored(ops, (o) => o.set(ns, key, value, setOptions), [
          { key: `${ns}/${key}`, value },
        ]);
      },
      delete: (ns, key) => {
        if (!this.#tracked.has(ns)) return ops.delete(ns, key);
        return this.#mirrored(ops, (o) => o.delete(ns, key), [{ key: `${ns}/${key}`, value: undefined }]);
      },
      batchSet: (ns, entries) => {
        if (!this.#tracked.has(ns)) return ops.batchSet(ns, entries);
        const list = toEntries(entries);
        return this.#mirrored(
          ops,
          (o) => o.batchSet(ns, list),
          list.map((e) => ({ key: `${ns}/${e.key}`, value: e.value })),
        );
      },
      batchDelete: (ns, keys) => {
        if (!this.#tracked.has(ns)) return ops.batchDelete(ns, keys);
        return this.#mirrored(
          ops,
          (o) => o.batchDelete(ns, keys),
          keys.map((k) => ({ key: `${ns}/${k}`, value: undefined })),
        );
      },
    };
  }

  /**
   * A write to a mirrored namespace: inside a transaction it is done and its changes collected; alone,
   * it becomes a transaction of its own (so it is mirrored, or rolled back, like any other).
   */
  async #mirrored<T>(ops: StorageOps, write: (ops: StorageOps) => Promise<T>, changes: Change[]): Promise<T> {
    const pending = this.#tx.getStore();
    if (pending === undefined) return this.#transaction(ops, (tx) => write(tx));
    const result = await write(ops);
    pending.push(...changes);
    return result;
  }

  async #transaction<T>(ops: StorageOps, fn: (tx: StorageOps) => Promise<T>): Promise<T> {
    const outer = this.#tx.getStore();
    if (outer !== undefined) {
      // Nested: its changes join the enclosing transaction's only if it succeeds, like its writes.
      const own: Change[] = [];
      const result = await ops.transaction((tx) => this.#tx.run(own, () => fn(this.#ops(tx))));
      outer.push(...own);
      return result;
    }
    const changes: Change[] = [];
    let previous: Map<string, Previous> | undefined;
    try {
      return await ops.transaction(async (tx) => {
        const result = await this.#tx.run(changes, () => fn(this.#ops(tx)));
        previous = this.#apply(changes);
        return result;
      });
    } catch (err) {
      // The commit itself failed after the mirror was written: put the mirror back.
      if (previous !== undefined) this.#restore(previous);
      throw err;
    }
  }

  /** Deferred data is coalesced outside transactions; undone by writing back what was there. */
  async #setDeferred(namespace: string, key: string, value: JsonObject): Promise<void> {
    const before = await this.#inner.get(namespace, key);
    await this.#inner.set(namespace, key, value, { deferred: true });
    try {
      this.#apply([{ key: `${namespace}/${key}`, value }]);
    } catch (err) {
      if (before === undefined) await this.#inner.delete(namespace, key);
      else await this.#inner.set(namespace, key, before, { deferred: true });
      throw err;
    }
  }

  /** Applies changes to state in order, remembering what each key held so they can be put back. */
  #apply(changes: Change[]): Map<string, Previous> {
    const previous = new Map<string, Previous>();
    try {
      for (const { key, value } of changes) {
        if (!previous.has(key)) previous.set(key, this.#state.has(key) ? this.#state.get(key) : ABSENT);
        if (value === undefined) this.#state.delete(key);
        else this.#state.set(key, value);
      }
    } catch (err) {
      this.#restore(previous);
      throw new HearthError("MIRROR_FAILED", `Mirroring into state failed: ${errorMessage(err)}`, {
        cause: err,
        data: { keys: changes.map((c) => c.key).slice(0, 20) },
      });
    }
    return previous;
  }

  #restore(previous: Map<string, Previous>): void {
    for (const [key, value] of previous) {
      try {
        if (value === ABSENT) this.#state.delete(key);
        else this.#state.set(key, value);
      } catch (err) {
        // checkConsistency reports it and syncFromStorage repairs it; say so loudly rather than hide it.
        this.#log.error(
          { key, err: errorMessage(err) },
          "could not restore a mirror key after a failed write",
        );
      }
    }
  }
}
