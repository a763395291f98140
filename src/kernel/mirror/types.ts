import type { JsonObject, StorageEntry, StorageSetOptions } from "../storage/types.ts";

export interface ConsistencyReport {
  consistent: boolean;
  /** Mirror keys (`<namespace>/<key>`) present in storage but missing in state. */
  missingInState: string[];
  /** Mirror keys present in state (under mirrored namespaces) but absent from storage. */
  missingInStorage: string[];
  /** Keys present in both with different values. */
  differing: string[];
}

export interface StorageWithStateMirror {
  get<T extends JsonObject = JsonObject>(namespace: string, key: string): Promise<T | undefined>;
  set(namespace: string, key: string, value: JsonObject, options?: StorageSetOptions): Promise<void>;
  delete(namespace: string, key: string): Promise<boolean>;
  batchSet(namespace: string, entries: StorageEntry[] | Record<string, JsonObject>): Promise<void>;
  batchDelete(namespace: string, keys: string[]): Promise<number>;
  /** Rebuilds the state mirror of every mirrored namespace from storage. Returns keys written. */
  syncFromStorage(): Promise<number>;
  checkConsistency(): Promise<ConsistencyReport>;
  /** The state key a document is mirrored under, or undefined for secret namespaces. */
  mirrorKey(namespace: string, key: string): string | undefined;
  isSecret(namespace: string): boolean;
}

export interface MirrorOptions {
  /** Namespaces never copied into state. Always includes `auth` and `secrets`. */
  secretNamespaces?: string[];
}
