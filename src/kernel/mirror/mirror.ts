import { HearthError } from "../../errors.ts";
import { BUILTIN_SECRET_NAMESPACES } from "../config/index.ts";
import { type Logger, silentLogger } from "../log/index.ts";
import type { StateEngine } from "../state/types.ts";
import type { JsonObject, Storage, StorageEntry, StorageOps, StorageSetOptions } from "../storage/types.ts";
import type { ConsistencyReport, MirrorOptions, StorageWithStateMirror } from "./types.ts";

export interface CreateMirrorOptions extends MirrorOptions {
  storage: Storage;
  state: StateEngine;
  logger?: Logger;
}

const ABSENT = Symbol("absent");
type Previous = unknown | typeof ABSENT;

function toEntries(entries: StorageEntry[] | Record<string, JsonObject>): StorageEntry[] {
  return Array.isArray(entries) ? entries : Object.entries(entries).map(([key, value]) => ({ key, value }));
}

/**
 * Storage is the source of truth; the state engine holds a read-optimised copy of every
 * non-secret document under `<namespace>/<key>` (namespaces cannot contain `/`, so the key is
 * unambiguous). Each write runs the storage write and the mirror write inside one storage
 * transaction: a mirror failure rolls the storage write back, and a failed commit puts the mirror
 * back as it was, so the two never disagree.
 *
 * One limit: a mirrored write made inside a caller's own `storage.transaction` joins that
 * transaction, and if the caller's transaction later rolls back the mirror is left ahead of storage.
 * `checkConsistency()` reports that and `syncFromStorage()` repairs it.
 */
export function createStorageWithStateMirror(options: CreateMirrorOptions): StorageWithStateMirror {
  const { storage, state } = options;
  const log = (options.logger ?? silentLogger()).child({ component: "mirror" });
  const secret = new Set<string>([...BUILTIN_SECRET_NAMESPACES, ...(options.secretNamespaces ?? [])]);
  // Namespaces this mirror has written, so a namespace emptied in storage is still checked.
  const seen = new Set<string>();

  const isSecret = (namespace: string) => secret.has(namespace);
  const mirrorKey = (namespace: string, key: string) =>
    isSecret(namespace) ? undefined : `${namespace}/${key}`;

  /** Applies mirror changes, remembering what each key held so they can be put back. */
  function applyToState(changes: { key: string; value: JsonObject | undefined }[]): Map<string, Previous> {
    const previous = new Map<string, Previous>();
    try {
      for (const { key, value } of changes) {
        if (!previous.has(key)) previous.set(key, state.has(key) ? state.get(key) : ABSENT);
        if (value === undefined) state.delete(key);
        else state.set(key, value);
      }
    } catch (err) {
      restoreState(previous);
      throw new HearthError("MIRROR_FAILED", `Mirroring into state failed: ${(err as Error).message}`, {
        cause: err,
        data: { keys: changes.map((c) => c.key) },
      });
    }
    return previous;
  }

  function restoreState(previous: Map<string, Previous>): void {
    for (const [key, value] of previous) {
      try {
        if (value === ABSENT) state.delete(key);
        else state.set(key, value);
      } catch (err) {
        // The next syncFromStorage() repairs it; say so loudly rather than hide it.
        log.error({ key, err: (err as Error).message }, "could not restore mirror key after a failed write");
      }
    }
  }

  /**
   * Runs `write` (the storage part) and then the mirror changes in one transaction.
   * A mirror failure throws inside the transaction, so storage rolls back too.
   */
  async function mirrored<T>(
    namespace: string,
    write: (ops: StorageOps) => Promise<T>,
    changes: (result: T) => { key: string; value: JsonObject | undefined }[],
  ): Promise<T> {
    if (isSecret(namespace)) return write(storage);
    seen.add(namespace);
    let previous: Map<string, Previous> | undefined;
    try {
      return await storage.transaction(async (tx) => {
        const result = await write(tx);
        previous = applyToState(changes(result));
        return result;
      });
    } catch (err) {
      // The commit itself failed after the mirror was written: put the mirror back.
      if (previous) restoreState(previous);
      throw err;
    }
  }

  async function setDeferred(namespace: string, key: string, value: JsonObject): Promise<void> {
    // Deferred writes are coalesced outside transactions; undo by writing back what was there.
    const before = await storage.get(namespace, key);
    await storage.set(namespace, key, value, { deferred: true });
    const mk = mirrorKey(namespace, key);
    if (mk === undefined) return;
    seen.add(namespace);
    try {
      applyToState([{ key: mk, value }]);
    } catch (err) {
      if (before === undefined) await storage.delete(namespace, key);
      else await storage.set(namespace, key, before, { deferred: true });
      throw err;
    }
  }

  async function mirroredEntries(namespace: string, keys?: string[]): Promise<Map<string, JsonObject>> {
    const entries = await storage.query(namespace);
    const out = new Map<string, JsonObject>();
    for (const e of entries) if (keys === undefined || keys.includes(e.key)) out.set(e.key, e.value);
    return out;
  }

  async function mirroredNamespaces(): Promise<string[]> {
    const fromStorage = (await storage.namespaces()).map((n) => n.namespace);
    return [...new Set([...fromStorage, ...seen])].filter((ns) => !isSecret(ns)).sort();
  }

  return {
    get: (namespace, key) => storage.get(namespace, key),

    async set(namespace, key, value, setOptions?: StorageSetOptions) {
      if (setOptions?.deferred) return setDeferred(namespace, key, value);
      await mirrored(
        namespace,
        (tx) => tx.set(namespace, key, value),
        () => [{ key: `${namespace}/${key}`, value }],
      );
    },

    delete(namespace, key) {
      return mirrored(
        namespace,
        (tx) => tx.delete(namespace, key),
        () => [{ key: `${namespace}/${key}`, value: undefined }],
      );
    },

    async batchSet(namespace, entries) {
      const list = toEntries(entries);
      await mirrored(
        namespace,
        (tx) => tx.batchSet(namespace, list),
        () => list.map((e) => ({ key: `${namespace}/${e.key}`, value: e.value })),
      );
    },

    batchDelete(namespace, keys) {
      return mirrored(
        namespace,
        (tx) => tx.batchDelete(namespace, keys),
        () => keys.map((k) => ({ key: `${namespace}/${k}`, value: undefined })),
      );
    },

    async syncFromStorage() {
      let written = 0;
      for (const ns of await mirroredNamespaces()) {
        seen.add(ns);
        const docs = await mirroredEntries(ns);
        for (const [key, value] of docs) {
          state.set(`${ns}/${key}`, value);
          written++;
        }
        for (const stateKey of state.keys(`${ns}/**`)) {
          if (!docs.has(stateKey.slice(ns.length + 1))) state.delete(stateKey);
        }
      }
      log.debug({ keys: written }, "state mirror rebuilt from storage");
      return written;
    },

    async checkConsistency(): Promise<ConsistencyReport> {
      const report: ConsistencyReport = {
        consistent: true,
        missingInState: [],
        missingInStorage: [],
        differing: [],
      };
      for (const ns of await mirroredNamespaces()) {
        const docs = await mirroredEntries(ns);
        for (const [key, value] of docs) {
          const mk = `${ns}/${key}`;
          if (!state.has(mk)) report.missingInState.push(mk);
          else if (!Bun.deepEquals(state.get(mk), value)) report.differing.push(mk);
        }
        for (const stateKey of state.keys(`${ns}/**`)) {
          if (!docs.has(stateKey.slice(ns.length + 1))) report.missingInStorage.push(stateKey);
        }
      }
      report.consistent =
        report.missingInState.length + report.missingInStorage.length + report.differing.length === 0;
      return report;
    },

    mirrorKey,
    isSecret,
  };
}
