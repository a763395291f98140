/**
 * The checks after a writer died: read the database through a read-only connection (as Hearth's own
 * open does first, so nothing here repairs or checkpoints it) and compare it with the acknowledgements.
 * Each check returns problems as sentences; an empty list means the guarantee held.
 */
import { Database } from "bun:sqlite";
import { deepEqual } from "node:assert/strict";
import { existsSync } from "node:fs";
import { type Ack, batchSize, COUNTERS, documentsOf, expectedAt, genNamespace } from "./model.ts";

/** `PRAGMA integrity_check` through a read-only connection: "ok", or what SQLite reported. */
export function integrity(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db.query<[string], []>("PRAGMA integrity_check").values();
    return rows.map((r) => String(r[0])).join("; ");
  } finally {
    db.close(false);
  }
}

/** Documents of some namespaces as `namespace\tkey` → JSON text, and every namespace's key count. */
export function readDocuments(
  path: string,
  namespaces: string[],
): { docs: Map<string, string>; counts: Map<string, number> } {
  const db = new Database(path, { readonly: true });
  try {
    const docs = new Map<string, string>();
    const rows = db.query<{ key: string; value: string }, [string]>(
      "SELECT key, value FROM documents WHERE namespace = ?",
    );
    for (const ns of namespaces) for (const r of rows.all(ns)) docs.set(`${ns}\t${r.key}`, r.value);
    const counts = new Map<string, number>();
    for (const r of db
      .query<{ namespace: string; n: number }, []>(
        "SELECT namespace, count(*) AS n FROM documents GROUP BY namespace",
      )
      .all())
      counts.set(r.namespace, r.n);
    return { docs, counts };
  } finally {
    db.close(false);
  }
}

function same(actual: unknown, expected: unknown): boolean {
  try {
    deepEqual(actual, expected);
    return true;
  } catch {
    return false;
  }
}

/** What one series of writers (one database, generation after generation) must keep. */
export interface Ledger {
  path: string;
  /** Counter values verified after the previous kill; the next writer continues from them. */
  floors: { counter: number; dcounter: number };
  /** Key counts of the generations already verified; they must never change. */
  counts: Map<string, number>;
}

export interface KillOutcome {
  acks: Ack[];
  /** When the signal was sent (ms since epoch, same clock as the acks). */
  killedAt: number;
  /** Deferred acks at least this old at the kill must have been flushed. */
  deferredGraceMs: number;
}

export interface KillReport {
  problems: string[];
  /** Acknowledged deferred writes missing (all younger than the grace). */
  lostDeferred: number;
  /** Age at the kill of the oldest missing deferred write, ms (0 when none is missing). */
  oldestLostMs: number;
  /** Documents an acknowledged write left that were checked present. */
  checked: number;
  /** Of those, deferred writes old enough that they had to be flushed. */
  deferredKept: number;
}

/** Checks the database after generation `gen` was killed, then records what later kills must keep. */
export function checkGeneration(ledger: Ledger, gen: number, outcome: KillOutcome): KillReport {
  const report: KillReport = { problems: [], lostDeferred: 0, oldestLostMs: 0, checked: 0, deferredKept: 0 };
  const problems = report.problems;
  if (!existsSync(ledger.path)) {
    if (outcome.acks.length > 0) problems.push(`${outcome.acks.length} acks but no database file`);
    return report;
  }
  const check = integrity(ledger.path);
  if (check !== "ok") problems.push(`integrity_check: ${check}`);
  const ns = genNamespace(gen);
  const { docs, counts } = readDocuments(ledger.path, [ns, COUNTERS]);
  const parsed = (id: string): unknown => {
    const json = docs.get(id);
    return json === undefined ? undefined : JSON.parse(json);
  };

  // Every acknowledged write is there with its value; deferred ones only once older than the grace.
  const cutoff = outcome.killedAt - outcome.deferredGraceMs;
  const acked = { counter: 0, dcounter: 0, dcounterFlushed: 0 };
  for (const ack of outcome.acks) {
    if (ack.lane === "counter") acked.counter = Math.max(acked.counter, ack.n);
    if (ack.lane === "dcounter") {
      acked.dcounter = Math.max(acked.dcounter, ack.n);
      if (ack.at <= cutoff) acked.dcounterFlushed = Math.max(acked.dcounterFlushed, ack.n);
    }
    for (const [id, expected] of documentsOf(gen, ack)) {
      const actual = parsed(id);
      if (actual === undefined && ack.lane === "deferred" && ack.at > cutoff) {
        report.lostDeferred++;
        report.oldestLostMs = Math.max(report.oldestLostMs, outcome.killedAt - ack.at);
      } else if (actual === undefined) problems.push(`acknowledged ${id.replace("\t", " ")} is missing`);
      else if (!same(actual, expected))
        problems.push(`acknowledged ${id.replace("\t", " ")} has a wrong value`);
      else {
        report.checked++;
        if (ack.lane === "deferred") report.deferredKept++;
      }
    }
  }

  // Whatever is there, acknowledged or not, is exactly what a write wrote, and whole.
  let maxTx = 0;
  for (const [id, json] of docs) {
    const [space, key] = id.split("\t") as [string, string];
    if (space !== ns) continue;
    const expected = expectedAt(gen, key);
    if (expected === undefined || !same(JSON.parse(json), expected)) {
      problems.push(`${space} ${key} is not what was written`);
      continue;
    }
    const n = expected.n;
    if (key.startsWith("a/") || key.startsWith("b/")) {
      const other = `${ns}\t${key.startsWith("a/") ? "b" : "a"}/${n}`;
      if (!docs.has(other)) problems.push(`transaction ${n} half-applied: ${key} without its pair`);
      maxTx = Math.max(maxTx, n);
    }
    if (key.startsWith("c/")) {
      for (let i = 0; i < batchSize(n); i++) {
        if (!docs.has(`${ns}\tc/${n}/${i}`)) problems.push(`batch ${n} half-applied: c/${n}/${i} missing`);
      }
    }
  }
  const tx = parsed(`${COUNTERS}\ttx`) as { gen: number; n: number } | undefined;
  const txCounter = tx?.gen === gen ? tx.n : 0;
  if (txCounter !== maxTx) {
    problems.push(`transaction counter says ${txCounter} but the last transaction present is ${maxTx}`);
  }

  // Counters overwritten in place: at least the last acknowledged value, at most the one in flight.
  for (const name of ["counter", "dcounter"] as const) {
    const stored = (parsed(`${COUNTERS}\t${name}`) as { n: number } | undefined)?.n ?? 0;
    const floor = ledger.floors[name];
    const must = Math.max(floor, name === "counter" ? acked.counter : acked.dcounterFlushed);
    const may = Math.max(floor, acked[name]) + 1;
    if (stored < must || stored > may) problems.push(`${name} is ${stored}, expected ${must}..${may}`);
    ledger.floors[name] = stored;
  }

  // Generations verified before are untouched.
  for (const [space, count] of ledger.counts) {
    if ((counts.get(space) ?? 0) !== count) {
      problems.push(`${space} had ${count} documents, now ${counts.get(space) ?? 0}`);
    }
  }
  ledger.counts.set(ns, counts.get(ns) ?? 0);
  report.problems = capped(problems);
  return report;
}

/** The first problems and how many more, so a broken guarantee does not print thousands of lines. */
export function capped(problems: string[], max = 20): string[] {
  if (problems.length <= max) return problems;
  return [...problems.slice(0, max), `… and ${problems.length - max} more`];
}
