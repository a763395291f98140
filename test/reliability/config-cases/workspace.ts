/**
 * Laying cases out on disk (one folder per case: the working directory, its config file, its data
 * folder, its plugins) and reading what `hearth` said about them.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUILTIN_PLUGINS } from "../../../src/builtin-plugins.generated.ts";
import type { ConfigCase } from "./config-corpus.ts";
import {
  fill,
  type ManifestCase,
  outsideFiles,
  type Places,
  type Refusal,
  writeCanary,
  writeCase,
} from "./manifest-corpus.ts";
import type { ProcResult } from "./proc.ts";
import { snapshotTree, type TreeSnapshot } from "./snapshot.ts";

export interface Prepared {
  c: ConfigCase;
  root: string;
  args: string[];
  env: Record<string, string>;
  /** The case's mentions with `$FILE` and `$ROOT` filled in. */
  mentions: string[];
  data: string;
  before: TreeSnapshot;
}

export interface Outcome {
  p: Prepared;
  r: ProcResult;
  /** What changed in the case folder (empty: nothing was written). */
  diff: string[];
}

/**
 * Writes a config case into `root` (its working directory): the file, and `./data` as a copy of
 * `template` when the case wants an existing data folder; then snapshots the whole folder.
 */
export function prepareConfig(
  c: ConfigCase,
  command: "check" | "run",
  root: string,
  template: string,
): Prepared {
  const env: Record<string, string> = { ...c.env };
  let dir = root;
  if (c.via === "configuration-directory") {
    dir = join(root, "etc");
    mkdirSync(dir);
    env.CONFIGURATION_DIRECTORY = dir;
  }
  const file = c.file ? join(dir, c.file.name) : "(no file)";
  if (c.file) writeFileSync(file, c.file.body);
  const args: string[] = [command, ...(c.args ?? [])];
  const name = c.configArg ?? c.file?.name;
  if (name !== undefined && (c.via ?? "flag") === "flag") args.push("--config", name);
  if (name !== undefined && c.via === "env") env.HEARTH_CONFIG = name;
  const data = join(root, "data");
  if (c.data === "existing") cpSync(template, data, { recursive: true });
  const mentions = c.mentions.map((m) => m.replaceAll("$FILE", file).replaceAll("$ROOT", root));
  return { c, root, args, env, mentions, data, before: snapshotTree(root) };
}

/** Everything a rejected config wrote: changes in its folder, and an absent data folder that appeared. */
export const nothingWritten = (o: Outcome): string[] => [
  ...o.diff.map((d) => `wrote: ${d}`),
  ...(o.p.c.data === "absent" && existsSync(o.p.data) ? ["the absent data folder now exists"] : []),
];

/** Under `root`: `data/plugins` with the canary and `cases`, and `outside/` with bait code per case. */
export function layoutPlugins(
  root: string,
  cases: readonly ManifestCase[],
): { data: string; places: Places } {
  const data = join(root, "data");
  const places = { plugins: join(data, "plugins"), outside: join(root, "outside") };
  mkdirSync(places.outside, { recursive: true });
  for (const [name, body] of Object.entries(outsideFiles(cases, root)))
    writeFileSync(join(places.outside, name), body);
  writeCanary(places.plugins);
  for (const c of cases) writeCase(c, places);
  return { data, places };
}

/** Markers left by bait code that was imported (there must be none). */
export const escaped = (root: string): string[] => readdirSync(root).filter((n) => n.startsWith("ESCAPED-"));

export const refusals = (cases: readonly ManifestCase[]) =>
  cases.flatMap((c) => c.refused.map((r) => ({ c, r })));

/** Every built-in plugin on by default (the demo, gpio and mqtt idle without config, …): each starts on the defaults. */
export const BUILTIN_NAMES: readonly string[] = BUILTIN_PLUGINS.map(
  (p) => p.manifest as { name: string; enabledByDefault?: boolean },
)
  .filter((m) => m.enabledByDefault !== false)
  .map((m) => m.name);

/** The plugins that must start beside `cases`: the canary, the built-ins, and the cases' good ones. */
export const expectedStarts = (cases: readonly ManifestCase[]): string[] =>
  ["canary", ...BUILTIN_NAMES, ...cases.flatMap((c) => c.starts ?? [])].sort();

export const filled = (c: ManifestCase, r: Refusal, places: Places) => ({
  who: r.who.map((w) => fill(w, c, places)),
  mentions: r.mentions.map((m) => fill(m, c, places)),
});

/** The plugins `hearth check` says would start. */
export function plannedStarts(stdout: string): string[] | undefined {
  const m = /^plugins: \d+ would start \(([^)]*)\)/m.exec(stdout);
  if (!m) return undefined;
  return (m[1] ?? "")
    .split(", ")
    .filter((n) => n && n !== "none")
    .sort();
}

/** Whether one line of `hearth check`'s stderr carries the refusal's code, names the plugin, and says what is wrong. */
export function reportedByCheck(stderr: string, c: ManifestCase, r: Refusal, places: Places): boolean {
  const { who, mentions } = filled(c, r, places);
  return stderr
    .split("\n")
    .some(
      (l) =>
        l.startsWith("plugin ") &&
        l.includes(`: ${r.code}: `) &&
        who.some((w) => l.includes(w)) &&
        mentions.every((m) => l.includes(m)),
    );
}
