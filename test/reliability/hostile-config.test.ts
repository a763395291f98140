/**
 * Hostile config and manifests (issue 6), against the compiled binary. Config: for every key of the
 * schema a wrong type and out-of-range values (JSON and TOML), every HEARTH_* variable with values
 * that do not convert, malformed and non-object files, missing files: `hearth check` must refuse each
 * with its CONFIG_* code, naming the key and where the value came from, and write nothing (the case
 * folder, data folder included, is snapshotted before and after: names, sizes, modes, mtimes, hashes);
 * `hearth run` must exit 3 without logging, listening or writing. Manifests: entries escaping the
 * folder (text and symlinks), missing entries, bad and reserved names, malformed and huge manifests,
 * cycles, missing dependencies, duplicates: each plugin is refused alone, with its code, by `hearth
 * check` and by `hearth run` (health names it), the others start, no outside code is imported, and
 * the plugins folder is left untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hearthBinary, type Running, startHearth } from "../e2e/harness.ts";
import { SOAK, scale } from "./config.ts";
import { type ConfigCase, configCorpus } from "./config-cases/config-corpus.ts";
import {
  escapeCode,
  type ManifestCase,
  manifestCorpus,
  type Places,
  writeCanary,
} from "./config-cases/manifest-corpus.ts";
import { crashSigns, freePort, type ProcResult, pool, spawnHearth } from "./config-cases/proc.ts";
import { diffTrees, snapshotTree, type TreeSnapshot } from "./config-cases/snapshot.ts";
import {
  escaped,
  expectedStarts,
  filled,
  layoutPlugins,
  nothingWritten,
  type Outcome,
  plannedStarts,
  prepareConfig,
  refusals,
  reportedByCheck,
} from "./config-cases/workspace.ts";

const CONCURRENCY = 4;
/** Manifest cases per `hearth check` process (their names never collide); the soak run checks each alone. */
const MANIFEST_BATCH = scale(8, 1);
const COPIES = scale(1, 3);
/** Bound on one short-lived command; only reached when something hangs. */
const DEADLINE_MS = 15_000;

let bin: string;
/** A data folder a real `hearth run` created and stopped (database, token, an external plugin). */
let template: string;
const scratch: string[] = [];
const tally = { cases: 0, rejected: 0, written: 0 };

function scratchDir(tag: string): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `hearth-hostile-${tag}-`)));
  scratch.push(dir);
  return dir;
}

beforeAll(async () => {
  bin = await hearthBinary();
  template = scratchDir("template");
  writeCanary(join(template, "plugins"));
  const h = await startHearth(bin, { args: ["--data-dir", template] });
  h.proc.kill("SIGTERM");
  if ((await h.exited) !== 0) throw new Error(`template run did not stop cleanly:\n${h.text()}`);
  fifo = startFifoProbe();
}, 120_000);

afterAll(() => {
  console.log(`[hostile-config] ${JSON.stringify(tally)}`);
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

/**
 * Probe (asserted in "hostile plugin manifests"): `hearth check` on a plugins folder where
 * one plugin.json is a FIFO. Started at once, so its deadline runs alongside the other cases.
 */
let fifo: { result: Promise<ProcResult>; dir: string };
function startFifoProbe(): typeof fifo {
  const f = layout("fifo", []);
  const dir = join(f.places.plugins, "m-fifo");
  mkdirSync(dir);
  writeFileSync(join(dir, "index.ts"), "export default {};\n");
  if (Bun.spawnSync(["mkfifo", join(dir, "plugin.json")]).exitCode !== 0) throw new Error("mkfifo failed");
  return { result: spawnHearth(bin, ["check", "--data-dir", f.data], { deadlineMs: 5000 }), dir };
}

// --- configuration --------------------------------------------------------------------------------

const prepare = (c: ConfigCase, command: "check" | "run") =>
  prepareConfig(c, command, scratchDir("config"), template);

async function execute(
  p: ReturnType<typeof prepare>,
  extra: { env?: Record<string, string>; watchPort?: number } = {},
): Promise<Outcome> {
  const r = await spawnHearth(bin, p.args, {
    cwd: p.root,
    env: { ...extra.env, ...p.env },
    deadlineMs: DEADLINE_MS,
    ...(extra.watchPort === undefined ? {} : { watchPort: extra.watchPort }),
  });
  return { p, r, diff: diffTrees(p.before, snapshotTree(p.root)) };
}

const where = (o: Outcome) => `[${o.p.c.label}]`;
const clip = (s: string) => JSON.stringify(s.slice(0, 300));

function count(outcomes: Outcome[], rejected: (o: Outcome) => boolean): void {
  tally.cases += outcomes.length;
  tally.rejected += outcomes.filter(rejected).length;
  tally.written += outcomes.filter((o) => o.diff.length > 0).length;
}

/** Every assertion below is over the whole corpus at once, so one failure lists every case it hit. */
function problems(outcomes: Outcome[], check: (o: Outcome) => string[]): string[] {
  return outcomes.flatMap((o) => check(o).map((msg) => `${where(o)} ${msg}`));
}

describe("a hostile configuration", () => {
  const corpus = configCorpus({ full: SOAK, copies: COPIES });
  let outcomes: Outcome[] = [];

  beforeAll(async () => {
    outcomes = await pool(corpus, CONCURRENCY, (c) => execute(prepare(c, "check")));
    count(outcomes, (o) => o.r.code === 1 && o.r.stderr.includes(`config: ${o.p.c.code}: `));
  }, 120_000);

  it("is refused by `hearth check` with exit 1 and the expected CONFIG_* code, every case", () => {
    expect(corpus.length).toBeGreaterThan(80);
    const bad = problems(outcomes, (o) => {
      const out: string[] = [];
      if (o.r.code !== 1) out.push(`exit ${o.r.code}`);
      if (!o.r.stderr.includes(`config: ${o.p.c.code}: `))
        out.push(`no "config: ${o.p.c.code}:" in ${clip(o.r.stderr)}`);
      if (o.r.stdout.includes("check: ok")) out.push("said check: ok");
      return out;
    });
    expect(bad).toEqual([]);
  });

  it("names the offending key and the file, variable or flag its value came from", () => {
    const bad = problems(outcomes, (o) =>
      o.p.mentions
        .filter((m) => !o.r.stderr.includes(m))
        .map((m) => `does not mention ${JSON.stringify(m)}: ${clip(o.r.stderr)}`),
    );
    expect(bad).toEqual([]);
  });

  it("writes nothing: the folder tree is as it was, and an absent data folder stays absent", () => {
    expect(outcomes.filter((o) => o.p.c.data === "existing").length).toBeGreaterThan(10);
    expect(problems(outcomes, nothingWritten)).toEqual([]);
  });

  it("reports each problem as a message, never as a crash with a stack trace", () => {
    const bad = problems(outcomes, (o) =>
      crashSigns(o.r.stderr + o.r.stdout).map((s) => `shows ${s}: ${clip(o.r.stderr)}`),
    );
    expect(bad).toEqual([]);
  });

  it("makes `hearth run` exit 3 without logging, listening on its port or writing anything", async () => {
    const avoid = ["http", "http.port", "http.host", "logLevel"];
    const pick = (why: string, pred: (c: ConfigCase) => boolean): ConfigCase => {
      const found = corpus.find((c) => pred(c) && !c.touches.some((t) => avoid.includes(t)));
      if (!found) throw new Error(`no config case for the run subset: ${why}`);
      return found;
    };
    const picks = [
      pick("malformed JSON", (c) => c.label === "truncated JSON"),
      pick("malformed TOML", (c) => c.label === "an unclosed TOML table"),
      pick("unknown key", (c) => c.label === "a typo in a nested key (TOML table)"),
      pick("missing file", (c) => c.label === "--config names a missing file"),
      pick("big file", (c) => c.label.startsWith("a 4 MiB file")),
      pick("bad variable", (c) => c.env !== undefined && c.data === "existing"),
      pick("out of range", (c) => c.label.includes("above the maximum") && c.data === "existing"),
    ];
    const runs = await pool(picks, CONCURRENCY, async (c) => {
      const port = freePort();
      const env = { HEARTH_HTTP_HOST: "127.0.0.1", HEARTH_HTTP_PORT: String(port), HEARTH_LOG_LEVEL: "info" };
      return execute(prepare(c, "run"), { env, watchPort: port });
    });
    count(runs, (o) => o.r.code === 3);
    const bad = problems(runs, (o) => [
      ...(o.r.code === 3 ? [] : [`exit ${o.r.code}`]),
      ...(o.r.stderr.includes(`hearth run: ${o.p.c.code}: `)
        ? []
        : [`no "hearth run: ${o.p.c.code}:" in ${clip(o.r.stderr)}`]),
      ...o.p.mentions
        .filter((m) => !o.r.stderr.includes(m))
        .map((m) => `does not mention ${JSON.stringify(m)}`),
      ...(o.r.stdout.trim() === "" ? [] : [`logged: ${clip(o.r.stdout)}`]),
      ...(o.r.connects === 0 ? [] : [`its port accepted ${o.r.connects} connection(s)`]),
      ...crashSigns(o.r.stderr).map((s) => `shows ${s}`),
      ...nothingWritten(o),
    ]);
    expect(bad).toEqual([]);
  });
});

// --- plugin manifests ------------------------------------------------------------------------------

interface Batch {
  cases: ManifestCase[];
  root: string;
  places: Places;
  r: ProcResult;
  diff: string[];
}

/** A scratch folder laid out by layoutPlugins. */
function layout(tag: string, cases: readonly ManifestCase[]): { root: string; data: string; places: Places } {
  const root = scratchDir(tag);
  return { root, ...layoutPlugins(root, cases) };
}

describe("hostile plugin manifests", () => {
  const cases = manifestCorpus();
  let batches: Batch[] = [];

  beforeAll(async () => {
    const groups: ManifestCase[][] = [];
    for (let i = 0; i < cases.length; i += MANIFEST_BATCH) groups.push(cases.slice(i, i + MANIFEST_BATCH));
    batches = await pool(groups, CONCURRENCY, async (group) => {
      const { root, data, places } = layout("manifests", group);
      const before = snapshotTree(root);
      const r = await spawnHearth(bin, ["check", "--data-dir", data], { cwd: root, deadlineMs: DEADLINE_MS });
      return { cases: group, root, places, r, diff: diffTrees(before, snapshotTree(root)) };
    });
    for (const b of batches) {
      tally.cases += b.cases.length;
      tally.rejected += b.cases.filter((c) =>
        c.refused.every((r) => reportedByCheck(b.r.stderr, c, r, b.places)),
      ).length;
      if (b.diff.length > 0) tally.written += b.cases.length;
    }
  }, 120_000);

  it("makes `hearth check` exit 1 and refuse each hostile plugin with its code, naming it and what is wrong", () => {
    expect(cases.length).toBeGreaterThan(50);
    const bad = batches.flatMap((b) => [
      ...(b.r.code === 1 ? [] : [`batch ${b.cases[0]?.id}…: exit ${b.r.code}`]),
      ...refusals(b.cases)
        .filter(({ c, r }) => !reportedByCheck(b.r.stderr, c, r, b.places))
        .map(({ c, r }) => {
          const { who, mentions } = filled(c, r, b.places);
          return `[${c.id}] ${c.label}: no "${r.code}" line naming ${who.join(" or ")} with ${mentions.join(", ")}`;
        }),
    ]);
    expect(bad).toEqual([]);
  });

  it("makes `hearth check` plan exactly the canary, the built-in demo and the good plugins beside the hostile ones", () => {
    const bad = batches.flatMap((b) => {
      const planned = plannedStarts(b.r.stdout);
      const want = expectedStarts(b.cases);
      return JSON.stringify(planned) === JSON.stringify(want)
        ? []
        : [
            `batch ${b.cases.map((c) => c.id).join(",")}: planned ${JSON.stringify(planned)}, want ${JSON.stringify(want)}`,
          ];
    });
    expect(bad).toEqual([]);
  });

  it("makes `hearth check` write nothing and import no plugin code, inside the plugins folder or out", () => {
    const bad = batches.flatMap((b) => [
      ...b.diff.map((d) => `batch ${b.cases[0]?.id}…: wrote ${d}`),
      ...escaped(b.root).map((m) => `batch ${b.cases[0]?.id}…: imported outside code (${m})`),
      ...crashSigns(b.r.stderr).map((s) => `batch ${b.cases[0]?.id}…: shows ${s}`),
    ]);
    expect(bad).toEqual([]);
  });

  describe("`hearth run` with every hostile plugin at once", () => {
    let root: string;
    let places: Places;
    let before: TreeSnapshot;
    let after: TreeSnapshot;
    let h: Running;
    let listed: {
      plugins: { name: string; state: string; error?: { code: string; message: string } }[];
      problems: { source: string; name?: string; error: { code: string; message: string } }[];
    };
    let ready: { status: string; checks: { plugins: { status: string } } };
    let liveness: { status: number; body: unknown };
    let exitCode: number;

    beforeAll(async () => {
      const l = layout("manifest-run", cases);
      root = l.root;
      places = l.places;
      const pluginsAndBait = () =>
        new Map([
          ...(snapshotTree(join(root, "data", "plugins")) ?? []),
          ...[...(snapshotTree(places.outside) ?? [])].map(([k, v]) => [`outside/${k}`, v] as const),
        ]);
      before = pluginsAndBait();
      h = await startHearth(bin, { args: ["--data-dir", l.data], cwd: root, timeoutMs: 30_000 });
      const headers = { Authorization: `Bearer ${readFileSync(join(l.data, "admin.token"), "utf8").trim()}` };
      listed = (await (await fetch(h.url("/api/v1/plugins"), { headers })).json()) as typeof listed;
      ready = (await (await fetch(h.url("/health/ready"), { headers })).json()) as typeof ready;
      const res = await fetch(h.url("/health"));
      liveness = { status: res.status, body: await res.json() };
      h.proc.kill("SIGTERM");
      exitCode = await h.exited;
      after = pluginsAndBait();
      tally.cases += 1;
    }, 60_000);
    afterAll(() => {
      if (h?.proc.exitCode === null) h.proc.kill("SIGKILL");
    });

    it("starts exactly the canary, the built-in demo and the good plugins beside the hostile ones", () => {
      const started = listed.plugins
        .filter((p) => p.state === "started")
        .map((p) => p.name)
        .sort();
      expect(started).toEqual(expectedStarts(cases));
    });

    it("names every refused plugin in /health/ready (degraded) and in /api/v1/plugins with its code and reason", () => {
      expect(liveness).toEqual({ status: 200, body: { status: "degraded" } });
      expect(ready.status).toBe("degraded");
      expect(ready.checks.plugins.status).toBe("degraded");
      const health = JSON.stringify(ready.checks.plugins);
      const reports = [
        ...listed.problems.map((p) => ({
          code: p.error.code,
          text: `${p.source} ${p.name ?? ""} ${p.error.message}`,
        })),
        ...listed.plugins.flatMap((p) =>
          p.error ? [{ code: p.error.code, text: `${p.name} ${p.error.message}` }] : [],
        ),
      ];
      const bad = refusals(cases).flatMap(({ c, r }) => {
        const { who, mentions } = filled(c, r, places);
        const out: string[] = [];
        if (!who.some((w) => health.includes(w))) out.push(`[${c.id}] not named in /health/ready`);
        const named = reports.some(
          (x) =>
            x.code === r.code &&
            who.some((w) => x.text.includes(w)) &&
            mentions.every((m) => x.text.includes(m)),
        );
        if (!named)
          out.push(`[${c.id}] no ${r.code} for ${who[0]} with ${mentions.join(", ")} in /api/v1/plugins`);
        if (r.name !== undefined && listed.plugins.some((p) => p.name === r.name && p.state === "started"))
          out.push(`[${c.id}] ${r.name} started`);
        return out;
      });
      expect(bad).toEqual([]);
      tally.rejected += bad.length === 0 ? 1 : 0;
    });

    it("never imports code from outside a plugin's folder", () => {
      expect(escaped(root)).toEqual([]);
      expect(h.text()).not.toContain("an escaped plugin entry started");
    });

    it("leaves the plugins folder (and the bait outside it) exactly as it was, and stops cleanly", () => {
      const diff = diffTrees(before, after);
      if (diff.length > 0) tally.written += 1;
      expect(diff).toEqual([]);
      expect(exitCode).toBe(0);
    });
  });

  it("a plugin.json that is a FIFO is refused instead of blocking discovery", async () => {
    const r = await fifo.result;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`plugin ${fifo.dir}: PLUGIN_MANIFEST_INVALID`);
    expect(plannedStarts(r.stdout)).toEqual(expectedStarts([]));
  }, 10_000);

  it("a reload does not import an entry that a symlink now leads outside the folder", async () => {
    const l = layout("reload", []);
    const dir = join(l.places.plugins, "swap");
    mkdirSync(dir);
    writeFileSync(join(dir, "plugin.json"), JSON.stringify({ name: "swap", version: "1.0.0" }));
    writeFileSync(join(dir, "index.ts"), "export default {};\n");
    writeFileSync(join(l.places.outside, "swap.ts"), escapeCode(join(l.root, "ESCAPED-swap")));
    const run = await startHearth(bin, { args: ["--data-dir", l.data], cwd: l.root });
    try {
      rmSync(join(dir, "index.ts"));
      symlinkSync(join(l.places.outside, "swap.ts"), join(dir, "index.ts"));
      run.proc.kill("SIGHUP");
      for (let i = 0; i < 250 && !run.logs.some((x) => x.msg === "external plugins reloaded"); i++)
        await Bun.sleep(20);
      expect(run.logs.some((x) => x.msg === "external plugins reloaded")).toBe(true);
      expect(escaped(l.root)).toEqual([]);
    } finally {
      run.proc.kill("SIGTERM");
      await run.exited;
    }
  }, 15_000);
});

// --- known bugs in config loading -----------------------------------------------------------------

describe("a hostile configuration (known bugs)", () => {
  it("a __proto__ key is refused like any unknown key, naming the file", async () => {
    const docs = [
      {
        name: "hearth.json",
        body: '{"__proto__": {"pluginsDir": "/tmp/hearth-elsewhere"}}',
        path: "__proto__",
      },
      {
        name: "hearth.json",
        body: '{"plugins": {"__proto__": {"enabled": false}}}',
        path: "plugins.__proto__",
      },
      { name: "hearth.toml", body: '[http]\n"__proto__" = 1\n', path: "http.__proto__" },
      { name: "hearth.json", body: '{"__proto__": {"bogus": 1}}', path: "__proto__" },
    ];
    const outcomes = await Promise.all(
      docs.map((d) =>
        execute(
          prepare(
            {
              label: d.body,
              file: d,
              code: "CONFIG_INVALID",
              mentions: [`  ${d.path}`, "(from file $FILE)"],
              data: "absent",
              touches: [],
            },
            "check",
          ),
        ),
      ),
    );
    const bad = problems(outcomes, (o) => [
      ...(o.r.code === 1 && o.r.stderr.includes("config: CONFIG_INVALID: ")
        ? []
        : [`accepted (exit ${o.r.code}): ${clip(o.r.stdout)}`]),
      ...o.p.mentions
        .filter((m) => !o.r.stderr.includes(m))
        .map((m) => `does not mention ${JSON.stringify(m)}: ${clip(o.r.stderr)}`),
    ]);
    expect(bad).toEqual([]);
  });

  it("a deeply nested config file is refused with a CONFIG_* code, not a stack overflow", async () => {
    const depth = 100_000;
    const body = `{"plugins":{"demo":{"config":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}}}`;
    const c: ConfigCase = {
      label: "deep",
      file: { name: "hearth.json", body },
      code: "CONFIG_INVALID",
      mentions: ["$FILE"],
      data: "absent",
      touches: [],
    };
    const [check, run] = await Promise.all([
      execute(prepare(c, "check")),
      execute(prepare(c, "run"), { env: { HEARTH_HTTP_PORT: "0" } }),
    ]);
    expect(nothingWritten(check)).toEqual([]);
    expect(nothingWritten(run)).toEqual([]);
    expect(crashSigns(check.r.stderr)).toEqual([]);
    expect(check.r.stderr).toMatch(/^config: CONFIG_[A-Z_]+: /);
    expect(check.r.stderr).toContain(check.p.mentions[0] ?? "?");
    expect(run.r.code).toBe(3);
    expect(run.r.stderr).toMatch(/^hearth run: CONFIG_[A-Z_]+: /);
  });
});
