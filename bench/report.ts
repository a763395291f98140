/** Renders BENCHMARKS.md from the JSON each suite saved in bench/results/. */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import type { Figure, Table } from "./lib.ts";

interface SuiteResult {
  suite: string;
  bun: string;
  date: string;
  tables: Table[];
  figures: Figure[];
}

const ROOT = join(import.meta.dir, "..");
const RESULTS = join(import.meta.dir, "results");

/** What each suite compares against, in one sentence, for readers of BENCHMARKS.md. */
const ABOUT: Record<string, string> = {
  bus: "EventBus publish→deliver against Node's `EventEmitter.emit` doing the same delivery.",
  services:
    "ServiceRegistry `call` against a direct `await fn(params)`, and against Moleculer's local `broker.call` (0.15.2, a devDependency only for this table) in the same process and run.",
  disk: "Bytes an idle compiled `hearth run` (demo house, default intervals, `/metrics` scraped every 15 s with a token) writes to disk per hour, from the child's `/proc/<pid>/io` `write_bytes`, checked against its own `hearth_disk_write_bytes_total`; the build before issue 14 runs side by side in the same run.",
  memory:
    "Peak RSS of the compiled `hearth run` after 30 s of mixed API load (`/metrics`, an authenticated state read, `/health`, from `wrk`) against a compiled bare Hono app answering the same paths under the same load, in the same run.",
  storage: "Storage against raw `bun:sqlite` prepared statements with the same pragmas and schema.",
  state: "StateEngine against a plain `Map`.",
  http: "Admin API requests/s on loopback (`GET /health`, an authenticated `GET /api/v1/state/{key}`) against a bare Hono route served by `Bun.serve` in the same process and run.",
  devices:
    "The devices module on a real runtime: report → `device.state_changed` against a bare bus publish → handler; a command's round trip through the demo plugin against a bare service call to it; heap per 1,000 devices against the same records in a `Map`; disk bytes per 1,000 reports deferred against durable.",
  automation:
    "The automation module on a real runtime: trigger → first action (an event a rule triggers on, to the handler of the event its first action publishes) against a bare bus publish → handler; a device report with 1,000 enabled rules loaded against none; heap of 1,000 rules.",
  tokens:
    "Creating (and revoking) an API token in a store holding N tokens, against the same operation on an empty store.",
  zigbee:
    "The zigbee plugin against the Z-Stack simulator over a socat pty: a ZCL report frame written on the pty → `device.state_changed` against a bare bus publish → handler; the compiled `hearth run` with zigbee configured (network up; 50 simulated devices joined) against the same binary without a `plugins.zigbee` section (start-up and settled RSS).",
  serial:
    "Serial echo over a socat pty pair (a `cat` echo on the far end): round-trip latency (p50/p99) and 1 MiB throughput through Hearth's driver and through `SerialPortStream` over `BunSerialBinding`, against the same echo done with Node's `fs` (blocking open, `createReadStream`, `writeSync`) in the same run.",
  gpio: 'GPIO sim input edge → `device.state_changed` through the gpio plugin on a real runtime (`hardware.gpio.driver: "sim"`), against a bare bus publish → handler and the sim driver\'s own edge → `watch` callback in the same run.',
  startup:
    "The compiled `hearth run` from exec to its first `/health` 200, and its peak RSS, against a compiled bare `Bun.serve` binary.",
  mqtt: "The mqtt plugin on Debian's mosquitto over loopback: device report → state message at a subscriber against an `mqtt` client publishing directly; a command across two nodes against the same command on the owning node; RSS with 200 devices against the plugin disabled.",
};

/** How to read a suite's figures: what the ratio hides, where the time goes. */
const NOTES: Record<string, string> = {
  mqtt: [
    "mosquitto runs with `set_tcp_nodelay true`: with its default (Nagle on) every cross-node command",
    "took ~44 ms (p50) against ~1.6 ms, Nagle's algorithm waiting for the peer's delayed ACK on the",
    "small command/PUBACK/result messages; the plugin sets TCP_NODELAY on its own socket. The RSS cost",
    "is mostly the `mqtt` library: importing it alone adds ~18 MiB to a bare `bun` process here. It is",
    "loaded only when a broker is configured.",
  ].join(" "),
  bus: [
    "With one listener `EventEmitter.emit` is optimised to almost nothing (≈1 ns), so the one-subscriber",
    "ratios are large; the 10-subscriber and 1000-event tables are the fair comparison. Of a `publish`,",
    "roughly 35 ns is the `Date.now()` the contract asks for (`event.ts`). Each async handler run is",
    "watched (one object and two promise reactions, no timer: a single sweeper enforces",
    "`eventHandlerTimeoutMs`), so its rejection is caught and a run that never settles cannot hold up",
    "the publisher: that is the isolation the bus promises. One promise per event covers all its handlers.",
  ].join(" "),
  services: [
    "Every call is bounded by a timeout without a timer per call (one shared deadline heap, one unref'd",
    "timer for every call in flight). A service with only the built-in steps (no global or per-service",
    "middleware, no retry, no circuit breaker: the usual case) runs them fused in one function",
    "(`middleware/direct.ts`): no closures per step and call, two clock reads (start and end), and a",
    "synchronous answer never joins the deadline heap or allocates a promise to race it; a test holds",
    "it to the composed onion's answers, counts and timeouts. Issue 14's progression against Moleculer's",
    "`broker.call` without a schema: 3.9× (issue), 1.48× (timer per call), 1.16× / 1.03× (deadline heap),",
    "now 0.59–0.71× over two runs. With a zod schema 0.91–1.06× of Moleculer without one, about 0.7× of",
    "Moleculer with its fastest-validator schema. A schema's first 256 parses skip zod's compiled fast",
    "path (`tieredSafeParse`): compiling it costs 1.5–2.5 ms and pays off only after several hundred",
    "parses. The machine is shared: the two tables of one run can disagree by 20% on the same case.",
  ].join(" "),
  disk: [
    "Measured on this VM's ext4 disk (180 s after start-up, extrapolated ×20; the machine was loaded,",
    "which does not change byte counts). Nearly every byte is a WAL commit: each deferred-storage flush",
    "appends every page it changed (the demo house's database is 4 pages; a flush rewrites 3–4 of them,",
    "and the commit frames, 16–25 KiB), so bytes per hour ≈ flushes per hour × that. Before issue 14 the flush ran every 5 s",
    '(~600 transactions/h, 6.5 MiB/h) and each token\'s "last used" time was written once a minute',
    "per token in use (a scraper's token: 60 transactions/h). Now deferred storage flushes once a",
    'minute (`storage.flushIntervalMs` 60 000; 30 000 measured 2.03 MiB/h) and "last used" times are',
    "kept in memory and written for all tokens in one transaction an hour and at stop. WAL checkpoints",
    "copy each distinct page once (a handful) and add almost nothing. `hearth_disk_write_bytes_total`",
    "reads the same counter for the runtime's own process and agrees to the byte.",
  ].join(" "),
  memory: [
    "A third of the load is /metrics (about 1,000 scrapes/s): one rendered text is served to every",
    "scrape within http.metricsCacheMs (1 s by default). Issue 14's progression for the peak: ~2.3×",
    "(issue), 2.62× → 1.84× (the /metrics cache), 1.89× → 1.66–1.68× now (less retained per request and",
    "a lower baseline). A regression caught on the way: an idle-timeout watch that held answered",
    "requests until its next sweep took the peak to 144 MiB; they now leave it when answered. What",
    "stands in the way of 1.3×: the runtime's own baseline (67 MiB at the first 200 against 29 MiB",
    "bare, see start-up), and JIT code and heap that grow under load and that the allocator keeps",
    "(RSS 1 s after the load is 80 MiB against 42 MiB bare).",
  ].join(" "),
  state: [
    "`set` deep-copies and deep-freezes the value so nothing handed out can change the stored copy;",
    "`get` then returns the frozen copy with no clone. Freezing arrays is slow in Bun 1.4 (a known",
    "engine issue, oven-sh/bun#6360), which is why the value with a 3-element array costs several",
    "times the flat one. Memory is measured in a fresh process per case.",
  ].join(" "),
  http: [
    "Load from wrk (1 thread, 16 connections, 3 s per case after a 1 s warm-up, three rounds alternating",
    "the cases; medians) on the same 2 cores as the server: only the ratios matter. The admin app is",
    "served exactly as the admin module serves it. Issue 14's progression for the state read: 0.34×",
    "(issue), 0.41× (SQLite's data_version probed once per event-loop turn instead of per request, a",
    "CLI revoke still refused by every request that arrives after it; Bun.SHA256 straight to hex;",
    "the route's key parsed synchronously instead of by the OpenAPI validator's async parse), 0.50–0.54×",
    "(every route fits Hono's RegExpRouter: the web assets' root parameter with a regex group had sent",
    "every request through the trie router; no async frames in the access log, the HTTP metrics, the",
    "scope check and a cached verify). In process (app.fetch, no network) a state read now takes",
    "7.1 µs against 2.7 µs for the bare route (it took 14.5 µs). The 0.46–0.49× here includes the",
    "idle-timeout watch the product runs: watching each request's `req.signal` cost ~1 µs (Bun creates",
    "an AbortSignal per request), so only requests unanswered after a second are watched now, which",
    "costs a Set entry and a then() per request. What stands in the way of 0.6×, measured: reading",
    "the Authorization header at all (Bun builds the request's Headers on first access: +1.5–2.7 µs",
    "per request on a bare `Bun.serve` under the same load, 15–25% of its throughput; the bare Hono",
    "route reads no header), a SHA-256 of the token per request (tokens are stored hashed; caching by",
    "the token itself would keep secrets in memory), and Hono's async middleware chain (log, metrics,",
    "authenticate, body limit, scope) which makes every answer a promise Bun has to wait for, where the",
    "bare route answers synchronously. /health runs the full health check (storage probe and mirror",
    "check) on every request, by design; the access log at info for every request costs about a third.",
  ].join(" "),
  serial: [
    "Run once on a loaded shared VM (2 cores, several other agents building and testing): read the",
    "ratios, not the absolute times, and expect the p99s to move between runs. The three cases run in",
    "interleaved blocks, each on its own pty pair with the same echo peer. A pty has no baud rate, so",
    "this is the software path only (a real 115200-baud stick takes ~87 µs per byte on the wire).",
    "Hearth's driver reads through `Bun.file(fd).stream()` (Bun polls the descriptor) and writes with",
    "`fs.writeSync` on a non-blocking descriptor; Node's `fs` on a tty can only read on the thread pool",
    "with a blocking descriptor (non-blocking makes `createReadStream` fail with EAGAIN) and sets no",
    "termios at all. The throughput cases send 4 KiB writes with at most 16 KiB not yet echoed: a",
    "blocking write bigger than the buffers on the way deadlocks against its own echo, and",
    "`fs.createWriteStream` on the tty stalled with a 1 MiB write in flight; Hearth's driver needs no",
    "window but gets the same one, so all cases move the same bytes the same way. At p50 Hearth is",
    "level with Node or faster (0.72–1.04×); the p99s go both ways on this loaded VM (0.47–1.84×).",
    "Hearth trails Node on this windowed throughput (0.58–0.76× over two runs; not yet profiled: each 4 KiB write is awaited through the driver's write queue and each",
    "chunk read is a stream read plus a promise). Either is hundreds of times what a serial stick",
    "carries (115200 baud is about 11 KiB/s).",
  ].join(" "),
  gpio: [
    "Run once on a loaded shared VM (2 cores, several other agents working): ratios only. The sim",
    "driver's own edge delivery is a few hundred nanoseconds; the rest is the plugin's",
    "`devices.report` (a service call with zod validation, the merge, the deferred state write, the",
    "state view and the ordered publish), the same path the devices suite's report figure measures.",
    "On real hardware a gpiochip edge first comes through the kernel's line-request fd, and a",
    "configured debounce (50 ms by default) is a deliberate wait on top; both are outside this figure.",
  ].join(" "),
  startup: [
    "Issue 14's progression for a restart (exec → first /health 200, medians): 133–162 ms (issue), 90 ms",
    "(16.9×, last session), 61–67 ms now (11.6–12.6× a bare server that itself moves between 5 and 29 ms",
    "with the VM's load). A first boot now costs what a restart does (creating and migrating the",
    "database and writing the first token are within the noise: 66.8 against 67.4 ms in the same run).",
    "What was taken off the start path, measured in the compiled binary: the",
    "system time zone read from TZ or /etc/localtime instead of Intl (its first use loads ICU's zone",
    "data: ~6 ms); one-shot parses (config, manifests, integration records, port options) and a",
    "schema's first 256 parses without zod's compiled fast path (config phase 4.7 → 1.3 ms, the demo's",
    "start 8–9 → 5 ms); code splitting (the runtime behind `hearth run`, zigbee-herdsman, mqtt and the",
    "serial stack are chunks loaded when imported) and no node:crypto, node:net or bun:ffi import",
    "hoisted into the entry: exec to main 8.5–9 → 3.2 ms, 4 ms of the restart in an A/B of 15 runs each;",
    "built-in integrations' config JSON Schema declared in plugin.json (mqtt's start 4 → 0.8 ms). Where",
    "a restart's time goes now (`hearth run` logs `start-up phases` at `debug`; five restarts, x64, total",
    "49–54 ms): bundle loaded 3.2–3.6, runtime imported 21–23 (evaluating zod, pino, hono and Hearth's",
    "modules, most of it building zod schemas: config 2–5, admin 3–5, kernel 3–4, devices 1.5–2.5,",
    "presence 1–3.6, automation 1.7–2.3 ms measured one by one), config 1–1.4, logger 1.9 (most of it",
    "Bun's first use of node:fs), pid file 0.9, storage 1.4, kernel 1.5–1.9, modules registered 4–6.5",
    "(admin 3.5–4.4, of which building the Hono app 2.6; devices 2.7–4.9), modules started 3.3–3.8,",
    "plugins discovered 2–6, plugins started 6–9 (the demo house's six announces and reports 4–7).",
    "Removing the presence and automation modules entirely saves only 3 ms and 2 MiB (A/B, 15 runs), so",
    "building their schemas lazily is worth at most that. What stands in the way of 2.5×: the",
    "deps-only binary alone is 2.6–2.8×, and zod 4 builds each schema node with its own methods",
    "(about 1 ms of start-up and 0.1–0.2 MiB of heap per hundred nodes, thousands of nodes in the",
    "config, API and module schemas). Peak RSS at the first 200 is 67 MiB against 29 MiB bare: 47 MiB",
    "of it are the executable's pages (34 MiB of Bun's and JavaScriptCore's code touched, 5 MiB of the",
    "embedded app), 20 MiB anonymous, nearly all JavaScriptCore's heap and its code blocks (JS heap",
    "8.8 MiB used after start); with the JIT off it would be 10 MiB less, which no one should ship.",
    "The deps-only binary is 45 MiB (1.58×). The OpenAPI document is built on the first request of",
    "`/openapi.json`. `/health` answers 200 only once the runtime has started. The arm64 figures run the",
    "Pi binary under qemu-user emulation on this x64 VM (cortex-a72, a Pi 4 class CPU): absolute times",
    "say nothing about a real Pi; the ratio to the bare server emulated the same way is what counts.",
    "Binaries are ~116 MiB because each embeds the Bun runtime; never `strip` them.",
  ].join(" "),
  zigbee: [
    "The report path is the simulator's write to the pty, socat, Hearth's Bun serial driver (a",
    "non-blocking read woken by the event loop), herdsman's ZNP parser, its ZCL decoding and `message`",
    "event, the plugin's mapping, then the devices module's report (the devices suite's figure, about",
    "ten microseconds). This suite does not split the time between those steps; the p99 includes the",
    "scheduling noise of a shared 2-core VM. Lazy loading, measured: without a `plugins.zigbee` section the plugin's",
    "code and herdsman are never evaluated (test/plugins/zigbee/lazy-load.test.ts checks the loaded",
    "modules), so start-up and memory are those of the runtime without it (the baseline here).",
    "Configured, the network starts in a task after start-up, but evaluating herdsman (about 230",
    "modules) runs on the same thread and can delay the first /health answer: 0.93× and 1.97× in two",
    "bench runs (each a median of three), so this figure is noise-bound; herdsman and an idle network cost about 12 MiB of",
    "RSS. With 50 devices the",
    "figure includes what 50 concurrent interviews allocated and the JS heap has not yet returned to",
    "the system (RSS is taken 3 s after the last device appears, without a forced GC), so it is not",
    "a per-device cost. The simulator runs in its own process and",
    "is not counted.",
  ].join(" "),
  devices: [
    "A report is a service call with zod validation, a merge, a deferred storage write, the state view",
    "updated in the state engine (a frozen copy) and one ordered publish: about ten microseconds against a",
    "bare publish that does none of that. The command round trip includes the demo's simulated delay set",
    "to 0, which is still a `setTimeout` (about 1 ms in Bun): the module's own part is the report figure",
    "plus the owner call. A device costs about 4 KiB of heap: its record, its reported and desired state,",
    "its public view kept in the state engine and a TTL key for availability. Deferred reported state",
    "is flushed once per `storage.flushIntervalMs`, so 1,000 reports for 10 devices reach the disk as",
    "one transaction instead of 1,000 (each a WAL append and fsync-ordered commit).",
  ].join(" "),
  automation: [
    "Run once on a loaded shared VM (2 cores, six other agents working): read the ratios, not the",
    "absolute times. Trigger → first action is a bus delivery, a rule's trigger match, a trace, the",
    "`automation.triggered` publish, the template render and a second bus delivery: tens of",
    "microseconds, against a bare delivery that does none of that. Each enabled rule with a device",
    "trigger is one subscription to `device.state_changed`, so a report with 1,000 rules loaded waits",
    "for 1,000 handlers (990 return at the device id check; 100 match the light and fail the `above`",
    "check); an index of rules by device id is the next step if houses grow past that. A rule costs",
    "about 3.5 KiB of heap (its parsed definition, its slot, its subscription).",
  ].join(" "),
  tokens: [
    "Creation used to read every token to pick a free id (417 creations/s fresh, 67/s at 4,224",
    "tokens); it now checks a count document and an id index, and revoke finds a token through its id,",
    "so each operation is a handful of point reads and writes. The step from the empty store is SQLite's",
    "B-tree growing a level or two (the averages are noisy on this shared VM; the medians are flat from",
    "100 tokens on, 100 to 10,000), while the old full read alone was about 50× the whole new operation",
    "at 4,224 tokens and grows with every token. A page of the list reads one page of the",
    "creation-order index, whatever the total.",
  ].join(" "),
  storage: [
    "The storage layer (validation, transaction lock, JSON) costs within a few percent of raw",
    "prepared statements. Deferred writes are the SD-card saver: 100 reports of 10 devices become",
    "10 row writes in one transaction.",
  ].join(" "),
};

function fmtNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(0)} ns`;
}

export function writeReport(): void {
  const files = existsSync(RESULTS) ? readdirSync(RESULTS).filter((f) => f.endsWith(".json")) : [];
  const results = files
    .map((f) => JSON.parse(readFileSync(join(RESULTS, f), "utf8")) as SuiteResult)
    .sort((a, b) => a.suite.localeCompare(b.suite));
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const out: string[] = [
    "# Benchmarks",
    "",
    "Generated by `bun run bench` (bench/index.ts → bench/report.ts); do not edit by hand.",
    "Each table measures its baseline in the same process and run; the **ratio** is time per",
    "operation divided by the baseline's (2.00× = twice as slow as the baseline). Absolute times",
    "are from a noisy shared VM and only the ratios are meant to be compared between runs.",
    "",
    `Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Bun ${results[0]?.bun ?? Bun.version}.`,
    "",
  ];
  // A suite not run this time keeps its section as BENCHMARKS.md has it (results/ is not committed).
  const kept = keptSections(results.map((r) => r.suite));
  const suites = [...new Set([...results.map((r) => r.suite), ...kept.keys()])].sort();
  for (const suite of suites) {
    const r = results.find((x) => x.suite === suite);
    if (r === undefined) {
      out.push((kept.get(suite) as string).trimEnd(), "");
      continue;
    }
    out.push(`## ${r.suite}`, "", ABOUT[r.suite] ?? "", `Measured ${r.date.slice(0, 10)}.`, "");
    if (NOTES[r.suite]) out.push(NOTES[r.suite] as string, "");
    for (const t of r.tables) {
      out.push(`### ${t.title}`, "", "| case | time/op (avg) | p50 | ratio |", "|---|---:|---:|---:|");
      for (const row of t.rows) {
        const ratio = row.baseline ? "baseline" : `${row.ratio.toFixed(2)}×`;
        out.push(`| ${row.name} | ${fmtNs(row.avgNs)} | ${fmtNs(row.p50Ns)} | ${ratio} |`);
      }
      out.push("");
    }
    if (r.figures.length > 0) {
      out.push("| figure | value | ratio | note |", "|---|---:|---:|---|");
      for (const f of r.figures) {
        const ratio = f.ratio === undefined ? "" : `${f.ratio.toFixed(2)}×`;
        out.push(`| ${f.name} | ${f.value.toFixed(2)} ${f.unit} | ${ratio} | ${f.note ?? ""} |`);
      }
      out.push("");
    }
  }
  writeFileSync(join(ROOT, "BENCHMARKS.md"), `${out.join("\n").trimEnd()}\n`);
}

/** The `## <suite>` sections of the current BENCHMARKS.md for suites not in `fresh`. */
function keptSections(fresh: string[]): Map<string, string> {
  const file = join(ROOT, "BENCHMARKS.md");
  const out = new Map<string, string>();
  if (!existsSync(file)) return out;
  const parts = readFileSync(file, "utf8")
    .split(/^(?=## )/m)
    .slice(1);
  for (const part of parts) {
    const suite = /^## (\S+)/.exec(part)?.[1];
    if (suite !== undefined && !fresh.includes(suite)) out.set(suite, part);
  }
  return out;
}

if (import.meta.main) writeReport();
