/**
 * StateEngine against a plain Map in the same run: per-op set/get, then 100k keys with a TTL
 * (insert time and memory). Run with `--mem=<case>` the file only measures one case's memory, in a
 * fresh process (RSS rarely shrinks, so a second measurement in one process reuses the first's pages).
 */
import { createStateEngine, type StateEngine } from "../src/kernel/state/index.ts";
import { compare, figure, save } from "./lib.ts";

/** A typical device state; the small array matters because JSC freezes arrays slowly. */
const lamp = (i: number) => ({
  on: i % 2 === 0,
  level: i % 100,
  color: [255, i % 256, 0],
  name: `lamp ${i}`,
});
/** The same without an array. */
const sensor = (i: number) => ({ on: i % 2 === 0, level: i % 100, unit: "lx", name: `sensor ${i}` });

const BIG = 100_000;
const TTL = 600_000; // long enough that nothing expires while measuring
const bigKeys = Array.from({ length: BIG }, (_, i) => `sensor/${i}/reading`);

function fillMap(make: (i: number) => unknown): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (let i = 0; i < BIG; i++) m.set(bigKeys[i] as string, make(i));
  return m;
}

function fillEngine(make: (i: number) => unknown): StateEngine {
  const e = createStateEngine();
  for (let i = 0; i < BIG; i++) e.set(bigKeys[i] as string, make(i), { ttlMs: TTL });
  return e;
}

const MEM_CASES = {
  map: () => fillMap(lamp),
  engine: () => fillEngine(lamp),
  "map-flat": () => fillMap(sensor),
  "engine-flat": () => fillEngine(sensor),
} as const;
type MemCase = keyof typeof MEM_CASES;

const memArg = process.argv.find((a) => a.startsWith("--mem="))?.slice(6);
if (memArg !== undefined) {
  const build = MEM_CASES[memArg as MemCase];
  Bun.gc(true);
  const before = process.memoryUsage();
  const held = build();
  Bun.gc(true);
  const after = process.memoryUsage();
  console.log(JSON.stringify({ heap: after.heapUsed - before.heapUsed, rss: after.rss - before.rss }));
  if (!(held instanceof Map)) held.close();
  process.exit(0);
}

// Per-op set/get, 1000 keys cycling.
const KEYS = 1000;
const keys = Array.from({ length: KEYS }, (_, i) => `light/room_${i}/state`);
const values = keys.map((_, i) => lamp(i));
const flatValues = keys.map((_, i) => sensor(i));
let sink: unknown;
let n = 0;

const map = new Map<string, unknown>();
const plain = createStateEngine();
const withTtl = createStateEngine();
const watched = createStateEngine();
for (let i = 0; i < 10; i++) watched.watch(`other/${i}/*`, () => {});
watched.watch("light/*/state", () => {});
for (let i = 0; i < KEYS; i++) {
  map.set(keys[i] as string, values[i]);
  plain.set(keys[i] as string, values[i]);
  withTtl.set(keys[i] as string, values[i], { ttlMs: TTL });
}

await compare("state set (1000 keys, cycling)", [
  { name: "Map.set", baseline: true, fn: () => map.set(keys[n % KEYS] as string, values[n++ % KEYS]) },
  {
    name: "StateEngine.set {on,level,color[3],name}",
    fn: () => plain.set(keys[n % KEYS] as string, values[n++ % KEYS]),
  },
  {
    name: "StateEngine.set {on,level,unit,name} (no array)",
    fn: () => plain.set(keys[n % KEYS] as string, flatValues[n++ % KEYS]),
  },
  {
    name: "StateEngine.set with ttlMs",
    fn: () => withTtl.set(keys[n % KEYS] as string, values[n++ % KEYS], { ttlMs: TTL }),
  },
  {
    name: "StateEngine.set, 11 watchers (1 matching)",
    fn: () => watched.set(keys[n % KEYS] as string, values[n++ % KEYS]),
  },
]);

await compare("state get (1000 keys, cycling)", [
  { name: "Map.get", baseline: true, fn: () => (sink = map.get(keys[n++ % KEYS] as string)) },
  { name: "StateEngine.get", fn: () => (sink = plain.get(keys[n++ % KEYS] as string)) },
  { name: "StateEngine.get of a key with a TTL", fn: () => (sink = withTtl.get(keys[n++ % KEYS] as string)) },
]);

await compare("state keys(pattern) over 1000 keys", [
  {
    name: "[...Map.keys()].filter(startsWith).sort()",
    baseline: true,
    fn: () => (sink = [...map.keys()].filter((k) => k.startsWith("light/room_1")).sort()),
  },
  { name: "StateEngine.keys('light/room_1*/state')", fn: () => (sink = plain.keys("light/room_1*/state")) },
]);

for (const e of [plain, withTtl, watched]) e.close();

// 100k keys: insert time, median of a few runs, each on a fresh Map/engine.
const RUNS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] as number;
}

function timeOf(build: () => unknown): number {
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    Bun.gc(true);
    const t = performance.now();
    const held = build();
    times.push(performance.now() - t);
    if (!(held instanceof Map)) (held as StateEngine).close();
  }
  return median(times);
}

console.log(`\n100k keys with ttlMs vs 100k Map.set (insert: median of ${RUNS} runs)`);
const mapMs = timeOf(MEM_CASES.map);
const engineMs = timeOf(MEM_CASES.engine);
const mapFlatMs = timeOf(MEM_CASES["map-flat"]);
const engineFlatMs = timeOf(MEM_CASES["engine-flat"]);
figure({ name: "insert 100k lamp values into Map (baseline)", value: mapMs, unit: "ms" });
figure({
  name: "insert 100k lamp values, ttlMs, StateEngine",
  value: engineMs,
  unit: "ms",
  ratio: engineMs / mapMs,
});
figure({ name: "insert 100k flat values into Map (baseline)", value: mapFlatMs, unit: "ms" });
figure({
  name: "insert 100k flat values, ttlMs, StateEngine",
  value: engineFlatMs,
  unit: "ms",
  ratio: engineFlatMs / mapFlatMs,
});

async function memoryOf(kind: MemCase): Promise<{ heap: number; rss: number }> {
  const proc = Bun.spawn([process.execPath, import.meta.path, `--mem=${kind}`], { stdout: "pipe" });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  return JSON.parse(out) as { heap: number; rss: number };
}

const MB = 1024 * 1024;
for (const [label, base, ours] of [
  ["lamp", "map", "engine"],
  ["flat", "map-flat", "engine-flat"],
] as const) {
  const m = await memoryOf(base);
  const e = await memoryOf(ours);
  figure({ name: `heapUsed: 100k ${label} values in a Map (baseline)`, value: m.heap / MB, unit: "MB" });
  figure({
    name: `heapUsed: 100k ${label} values, ttlMs, StateEngine`,
    value: e.heap / MB,
    unit: "MB",
    ratio: e.heap / m.heap,
    note: `${((e.heap - m.heap) / BIG).toFixed(0)} B/key more`,
  });
  figure({ name: `RSS: 100k ${label} values in a Map (baseline)`, value: m.rss / MB, unit: "MB" });
  figure({
    name: `RSS: 100k ${label} values, ttlMs, StateEngine`,
    value: e.rss / MB,
    unit: "MB",
    ratio: e.rss / m.rss,
  });
}

void sink;
save("state");
