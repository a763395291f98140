import { startsWith } from "./query.ts";

export interface PendingEntry {
  namespace: string;
  key: string;
  json: string;
}

/** Deferred writes not yet in the database, coalesced per key (the last write wins). */
export class PendingWrites {
  readonly #byNamespace = new Map<string, Map<string, string>>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(namespace: string, key: string): string | undefined {
    return this.#byNamespace.get(namespace)?.get(key);
  }

  set(namespace: string, key: string, json: string): void {
    let docs = this.#byNamespace.get(namespace);
    if (!docs) {
      docs = new Map();
      this.#byNamespace.set(namespace, docs);
    }
    if (!docs.has(key)) this.#size++;
    docs.set(key, json);
  }

  /** Removes the entry and returns what it held. */
  take(namespace: string, key: string): string | undefined {
    const docs = this.#byNamespace.get(namespace);
    const json = docs?.get(key);
    if (docs === undefined || json === undefined) return undefined;
    docs.delete(key);
    this.#size--;
    if (docs.size === 0) this.#byNamespace.delete(namespace);
    return json;
  }

  /** `[key, json]` pairs of a namespace under a prefix, in no particular order. */
  entries(namespace: string, prefix: string | undefined): [string, string][] {
    const docs = this.#byNamespace.get(namespace);
    if (!docs) return [];
    const out: [string, string][] = [];
    for (const entry of docs) if (startsWith(entry[0], prefix)) out.push(entry);
    return out;
  }

  all(): PendingEntry[] {
    const out: PendingEntry[] = [];
    for (const [namespace, docs] of this.#byNamespace) {
      for (const [key, json] of docs) out.push({ namespace, key, json });
    }
    return out;
  }

  namespaces(): IterableIterator<[string, Map<string, string>]> {
    return this.#byNamespace.entries();
  }
}
