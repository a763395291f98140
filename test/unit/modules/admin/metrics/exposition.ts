/** Test helpers: a small parser for the Prometheus text format and a fake RuntimeMetrics. */
import type { RuntimeMetrics } from "../../../../../src/runtime.ts";
import type { VersionInfo } from "../../../../../src/version.ts";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`unparsable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? "").matchAll(LABEL)) {
      labels[k as string] = (v as string).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

/** Samples of one metric whose labels include `match`. */
export function find(samples: Sample[], name: string, match: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

/** The single value of a series; throws when absent or ambiguous, so a missing series fails loudly. */
export function value(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  const hits = find(samples, name, match);
  if (hits.length !== 1) throw new Error(`${name} ${JSON.stringify(match)}: ${hits.length} series`);
  return (hits[0] as Sample).value;
}

export const VERSION: VersionInfo = {
  version: "9.8.7",
  commit: "abc1234",
  bun: "1.4.5",
  target: "bun-linux-arm64",
};

export function fakeMetrics(overrides: Partial<RuntimeMetrics> = {}): RuntimeMetrics {
  return {
    phase: "started",
    uptimeMs: 12_500,
    startMs: 250,
    errors: { unhandledRejections: 0, uncaughtExceptions: 0 },
    bus: {
      published: 0,
      delivered: 0,
      failed: 0,
      subscriptions: 0,
      byType: {},
      timedOut: 0,
      stuckByOwner: {},
    },
    services: {},
    state: { keys: 0, approxBytes: 0, watchers: 0, keysWithTtl: 0 },
    storage: {
      reads: 0,
      writes: 0,
      transactions: 0,
      rollbacks: 0,
      operations: 0,
      operationSeconds: 0,
      deferredPending: 0,
      deferredFlushes: 0,
      schemaVersion: 1,
    },
    modules: [],
    plugins: [],
    process: { rssBytes: 1, heapUsedBytes: 1 },
    ...overrides,
  };
}

export function plugin(name: string, state: RuntimeMetrics["plugins"][number]["state"], errorCount = 0) {
  return {
    name,
    version: "1.0.0",
    origin: "builtin" as const,
    state,
    isIntegration: false,
    dependencies: [],
    enabled: true,
    errorCount,
    serviceCalls: 0,
    serviceFailures: 0,
  };
}
