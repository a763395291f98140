import { statSync } from "node:fs";
import { join } from "node:path";
import { MonotonicCounter } from "../exposition.ts";
import { readWriteBytes } from "../proc-io.ts";
import type { Families } from "./types.ts";

const DB_FILES = [
  ["db", "hearth.db"],
  ["wal", "hearth.db-wal"],
] as const;

const COUNTERS = [
  ["reads", "hearth_storage_reads_total", "Storage read calls."],
  [
    "writes",
    "hearth_storage_writes_total",
    "Rows written or deleted in the database (deferred sets count when flushed).",
  ],
  ["transactions", "hearth_storage_transactions_total", "Top-level storage transactions begun."],
  ["operations", "hearth_storage_operations_total", "Storage document operations run."],
  [
    "operationSeconds",
    "hearth_storage_operation_seconds_total",
    "Time spent inside storage operations (latency = rate of this / rate of operations).",
  ],
  ["rollbacks", "hearth_storage_rollbacks_total", "Top-level storage transactions rolled back."],
  [
    "deferredFlushes",
    "hearth_storage_deferred_flushes_total",
    "Flushes that wrote deferred data (each is one SD-card write burst).",
  ],
] as const;

function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

export interface StorageFamiliesOptions {
  /** Where `hearth.db` lives; enables `hearth_storage_file_bytes`. */
  dataDir: string | undefined;
  procIoPath: string;
}

/** Storage counters, the database files' sizes, and the bytes this process wrote to disk. */
export function storageFamilies(options: StorageFamiliesOptions): Families {
  const counters = COUNTERS.map(([field, name, help]) => ({
    field,
    name,
    help,
    feed: new MonotonicCounter(),
  }));
  // Decided once: if /proc/self/io cannot be read now (not Linux, hardened /proc), the series is left
  // out rather than exported as a misleading 0.
  const diskWrites = readWriteBytes(options.procIoPath) === undefined ? undefined : new MonotonicCounter();
  return (out, m) => {
    if (diskWrites !== undefined) {
      const bytes = readWriteBytes(options.procIoPath);
      if (bytes !== undefined) diskWrites.feed("", {}, bytes);
      out.counter(
        "hearth_disk_write_bytes_total",
        "Bytes this process caused to be written to storage devices (/proc/self/io write_bytes).",
        diskWrites.samples(),
      );
    }
    if (options.dataDir !== undefined) {
      const dir = options.dataDir;
      const sizes = DB_FILES.flatMap(([file, name]) => {
        const size = fileSize(join(dir, name));
        return size === undefined ? [] : [[{ file }, size] as const];
      });
      out.gauge("hearth_storage_file_bytes", "Size of the database files on disk, in bytes.", sizes);
    }
    if (m === undefined) return;
    for (const c of counters) {
      c.feed.feed("", {}, m.storage[c.field]);
      out.counter(c.name, c.help, c.feed.samples());
    }
    out.gauge("hearth_storage_deferred_pending", "Deferred writes waiting for the next flush.", [
      [{}, m.storage.deferredPending],
    ]);
    out.gauge("hearth_storage_schema_version", "Database schema version after migrations.", [
      [{}, m.storage.schemaVersion],
    ]);
  };
}
