/**
 * What the crash writers write and how the parent checks it: keys, values derived from the key (so any
 * stored document can be checked for damage on its own), and the acknowledgement lines on stdout.
 */

/** Write lanes; each runs as its own sequential loop inside a writer, all lanes concurrently. */
export type Lane = "set" | "batch" | "tx" | "counter" | "deferred" | "dcounter";

export const DURABLE_LANES: Lane[] = ["set", "batch", "tx", "counter"];
export const DEFERRED_LANES: Lane[] = ["deferred", "dcounter"];

/** Documents overwritten in place (counters) live here, shared by all generations. */
export const COUNTERS = "crash-counters";

/** One namespace per writer process ("generation"), so older ones can be checked by count alone. */
export function genNamespace(gen: number): string {
  return `crash-g${gen}`;
}

/** The writer's settings, passed as one JSON argument. */
export interface WriterConfig {
  path: string;
  gen: number;
  lanes: Lane[];
  flushIntervalMs: number;
  /** Each lane sleeps up to this many ms between writes (0: a microtask turn only). */
  paceMs: number;
}

/** `ack <lane> <n> <ms since epoch>`, printed only after the write's promise resolved. */
export interface Ack {
  lane: Lane;
  n: number;
  at: number;
}

export function ackLine(lane: Lane, n: number, at: number): string {
  return `ack ${lane} ${n} ${at}\n`;
}

export function parseAck(line: string): Ack | undefined {
  const m = /^ack (\w+) (\d+) (\d+)$/.exec(line);
  if (!m) return undefined;
  return { lane: m[1] as Lane, n: Number(m[2]), at: Number(m[3]) };
}

/** How many documents one batchSet writes (1–5, from n). */
export function batchSize(n: number): number {
  return 1 + (n % 5);
}

/** A document as the writers write it (a type alias, so it is a JsonObject). */
export type Doc = { gen: number; lane: string; n: number; i: number; pad: string };

/** Padding grows with n (up to ~2.5 KB) so the WAL fills and checkpoints run while kills land. */
export function value(gen: number, lane: string, n: number, i = 0): Doc {
  return { gen, lane, n, i, pad: "x".repeat(((n * 37 + i * 11) % 97) * 26) };
}

/** The documents one acknowledged write must have left, keyed by `namespace\tkey`. */
export function documentsOf(gen: number, ack: Ack): Map<string, Doc> {
  const ns = genNamespace(gen);
  const out = new Map<string, Doc>();
  const { lane, n } = ack;
  if (lane === "set") out.set(`${ns}\ts/${n}`, value(gen, lane, n));
  else if (lane === "deferred") out.set(`${ns}\td/${n}`, value(gen, lane, n));
  else if (lane === "batch") {
    for (let i = 0; i < batchSize(n); i++) out.set(`${ns}\tc/${n}/${i}`, value(gen, lane, n, i));
  } else if (lane === "tx") {
    const v = value(gen, lane, n);
    out.set(`${ns}\ta/${n}`, v);
    out.set(`${ns}\tb/${n}`, v);
  }
  return out;
}

/**
 * The document expected under a generation key, whatever was acknowledged: a present document must be
 * exactly what some write of it wrote (undefined: the key is not one a writer writes).
 */
export function expectedAt(gen: number, key: string): Doc | undefined {
  const m = /^([scabd])\/(\d+)(?:\/(\d+))?$/.exec(key);
  if (!m) return undefined;
  const n = Number(m[2]);
  const i = m[3] === undefined ? 0 : Number(m[3]);
  const lane = { s: "set", c: "batch", a: "tx", b: "tx", d: "deferred" }[m[1] as "s"];
  if ((lane === "batch") !== (m[3] !== undefined)) return undefined;
  return value(gen, lane, n, i);
}
