import type { Logger } from "../log/types.ts";
import type { StateEngine } from "../state/types.ts";
import type { Storage } from "../storage/types.ts";

export interface ConsistencyReport {
  consistent: boolean;
  /** Mirror keys (`<namespace>/<key>`) present in storage but missing in state. */
  missingInState: string[];
  /** Mirror keys present in state (under mirrored namespaces) but absent from storage. */
  missingInStorage: string[];
  /** Keys present in both with different values. */
  differing: string[];
}

/**
 * The control side of the state mirror. Storage is the source of truth; every document of a
 * mirrored namespace is copied into state under `<namespace>/<key>`, and the mirrored storage the
 * kernel hands out is the one write path that keeps the copy in step (no component can write a
 * mirrored namespace around it). Secret namespaces are never mirrored.
 */
export interface StateMirror {
  /**
   * Mirrors `namespace` from now on: copies its documents into state at once, and keeps them in step
   * with every later write. SECRET namespaces are refused (INVALID_ARGUMENT). Idempotent.
   */
  track(namespace: string): Promise<void>;
  isMirrored(namespace: string): boolean;
  /** The mirrored namespaces, sorted. */
  namespaces(): string[];
  /** The state key a document is mirrored under, or undefined when its namespace is not mirrored. */
  mirrorKey(namespace: string, key: string): string | undefined;
  /** Whether `namespace` is secret: never mirrored, never readable through the API, never logged. */
  isSecret(namespace: string): boolean;
  /** Marks `namespace` secret (a plugin's declared key store). Refused for a mirrored namespace. */
  addSecret(namespace: string): void;
  /** Every secret namespace, sorted. */
  secretNamespaces(): string[];
  /** Rebuilds the state copy of every mirrored namespace from storage. Returns the keys written. */
  syncFromStorage(): Promise<number>;
  /** Compares storage with its state copy, namespace by namespace. */
  checkConsistency(): Promise<ConsistencyReport>;
}

export interface MirrorOptions {
  /** The source of truth. */
  storage: Storage;
  state: StateEngine;
  logger?: Logger;
  /** Namespaces never copied into state. `auth` and `secrets` are always among them. */
  secretNamespaces?: readonly string[];
  /** Namespaces mirrored from the start (more may be added with `track`). */
  namespaces?: readonly string[];
}

/** What `createStateMirror` returns: the storage everyone writes through, and its mirror's control. */
export interface MirroredStorage {
  /** The storage to hand out: writes to mirrored namespaces update state in the same step. */
  storage: Storage;
  mirror: StateMirror;
}
