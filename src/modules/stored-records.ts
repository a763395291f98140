/**
 * Validation of what a domain module restores from storage at start. A document may have been
 * edited by hand, damaged, or written by an older or newer Hearth: each is checked against the
 * module's schema, and one that does not fit is skipped (never deleted: a user may repair it),
 * logged once with its namespace, key and the first issue's path (never the value: it may hold
 * anything), and counted, so the module can say `degraded` while the rest loads.
 */
import type { z } from "zod";
import type { Logger } from "../kernel/log/types.ts";
import { tieredSafeParse } from "../kernel/util/tiered-parse.ts";

export interface SkippedRecord {
  namespace: string;
  key: string;
  /** The first issue's path, dotted (`capabilities.0.kind`), or `(root)`. */
  path: string;
}

/** The records a module skipped when it loaded. */
export class SkippedRecords {
  readonly #log: Logger;
  readonly #skipped = new Map<string, SkippedRecord>();

  constructor(log: Logger) {
    this.#log = log;
  }

  /**
   * The stored `value` parsed with `schema`, or undefined when it does not fit (then logged at warn
   * and counted). `check` adds what a schema cannot see, such as the key matching the record's id.
   */
  parse<S extends z.ZodType>(
    schema: S,
    namespace: string,
    key: string,
    value: unknown,
    check?: (parsed: z.output<S>) => (string | number)[] | undefined,
  ): z.output<S> | undefined {
    const result = tieredSafeParse(schema, value);
    let path: (PropertyKey | undefined)[] | undefined;
    if (!result.success) path = result.error.issues[0]?.path ?? [];
    else path = check?.(result.data);
    if (path === undefined) return result.data as z.output<S>;
    const where = path.map(String).join(".") || "(root)";
    this.#skipped.set(id(namespace, key), { namespace, key, path: where });
    this.#log.warn(
      { namespace, key, path: where },
      "stored record skipped: it does not match what this Hearth expects (repair it in storage and restart)",
    );
    return undefined;
  }

  /** Whether `namespace`/`key` was skipped (and is still in storage as it was). */
  has(namespace: string, key: string): boolean {
    return this.#skipped.has(id(namespace, key));
  }

  /** The record was written anew (a create or re-announce with its key): it is no longer skipped. */
  replaced(namespace: string, key: string): void {
    if (this.#skipped.delete(id(namespace, key))) {
      this.#log.info({ namespace, key }, "a stored record skipped as invalid was replaced");
    }
  }

  get count(): number {
    return this.#skipped.size;
  }

  /** For a health detail: `2 stored records skipped as invalid (devices/lamp, …; see the log)`. */
  describe(): string | undefined {
    if (this.#skipped.size === 0) return undefined;
    const names = [...this.#skipped.values()].map((s) => `${s.namespace}/${s.key}`);
    const shown = names.slice(0, 5).join(", ") + (names.length > 5 ? ", …" : "");
    const n = this.#skipped.size;
    return `${n} stored record${n === 1 ? "" : "s"} skipped as invalid (${shown}; see the log)`;
  }
}

function id(namespace: string, key: string): string {
  return `${namespace}\u0000${key}`;
}
