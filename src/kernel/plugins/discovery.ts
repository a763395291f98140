import { constants } from "node:fs";
import { type FileHandle, open, readdir, realpath, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { errorMessage, HearthError } from "../../errors.ts";
import type { PluginDefinition } from "../../sdk/types.ts";
import { DEFAULT_ENTRY, parseManifest } from "./manifest.ts";
import type { BuiltinPlugin, PluginManifest, PluginProblem, PluginSource } from "./types.ts";

/** A manifest is a few hundred bytes; anything this large is not one. */
const MAX_MANIFEST_BYTES = 64 * 1024;

export const MANIFEST_FILE = "plugin.json";

export interface CollectOptions {
  builtins: readonly PluginSource[];
  pluginsDir: string | undefined;
  /** Names no plugin may take, with who holds each. */
  reserved: ReadonlyMap<string, string>;
  /** Sources already known by name (an earlier discovery): they keep their name. */
  known: ReadonlyMap<string, PluginSource>;
}

/**
 * Built-ins (validated like any manifest), then external plugins in folder order. Returns the sources
 * not known yet, and the ones skipped: invalid manifest, reserved name, or a name already taken
 * (PLUGIN_DUPLICATE: the first one wins).
 */
export async function collectSources(options: CollectOptions): Promise<ExternalScan> {
  const found: PluginSource[] = [];
  const problems: PluginProblem[] = [];
  options.builtins.forEach((b, i) => {
    const label = `builtin:${nameOf(b.manifest) ?? i}`;
    try {
      const manifest = parseManifest(b.manifest, label);
      found.push({ manifest, origin: "builtin", dir: undefined, load: (fresh) => b.load(fresh) });
    } catch (err) {
      problems.push(toProblem(label, err, nameOf(b.manifest)));
    }
  });
  const scan = await scanPluginsDir(options.pluginsDir);
  found.push(...scan.sources);
  problems.push(...scan.problems);

  const added: PluginSource[] = [];
  const claimed = new Map<string, PluginSource>();
  for (const source of found) {
    const { name } = source.manifest;
    const where = source.dir ?? `builtin:${name}`;
    const holder = options.reserved.get(name);
    if (holder !== undefined) {
      const message = `Plugin name "${name}" is reserved (held by ${holder}): its services, events, state, storage and /api/v1/${name} routes are not a plugin's to take; rename the plugin`;
      problems.push({
        source: where,
        name,
        error: { code: "PLUGIN_MANIFEST_INVALID", message, data: { source: where, name, holder } },
      });
      continue;
    }
    const existing = options.known.get(name);
    if (existing !== undefined && existing.origin === source.origin && existing.dir === source.dir) continue;
    const first = existing ?? claimed.get(name);
    if (first !== undefined) {
      const kept = first.dir ?? `builtin:${name}`;
      const message = `Plugin "${name}" in ${where} is skipped: ${kept} already provides it`;
      problems.push({
        source: where,
        name,
        error: { code: "PLUGIN_DUPLICATE", message, data: { name, source: where, kept } },
      });
      continue;
    }
    claimed.set(name, source);
    added.push(source);
  }
  return { sources: added, problems };
}

/** What a scan of `pluginsDir` found: usable sources, and the folders that were skipped (with why). */
export interface ExternalScan {
  sources: PluginSource[];
  problems: PluginProblem[];
}

// Process-wide, so two managers (or a manager re-created in the same process) never reuse a
// `?v=` specifier that Bun has already cached with older code.
let freshImports = 0;

/**
 * Turns a plugin compiled into the binary into a PluginSource. The manifest is validated by the manager
 * at discovery (a bad one is skipped there, not thrown here); `fresh` has no meaning for bundled code.
 *
 * @example
 * const builtins = BUILTIN_PLUGINS.map(builtinSource);
 */
export function builtinSource(plugin: BuiltinPlugin): PluginSource {
  return {
    manifest: plugin.manifest as PluginManifest,
    origin: "builtin",
    dir: undefined,
    load: async () => defaultExport(await plugin.load(), nameOf(plugin.manifest) ?? "(unnamed)"),
  };
}

/**
 * Reads every subfolder of `pluginsDir` holding a `plugin.json`, in name order. A bad manifest skips
 * only its folder; a missing `pluginsDir` means no external plugins.
 */
export async function scanPluginsDir(pluginsDir: string | undefined): Promise<ExternalScan> {
  const out: ExternalScan = { sources: [], problems: [] };
  if (pluginsDir === undefined) return out;
  const root = resolve(pluginsDir);
  let names: string[];
  try {
    names = (await readdir(root)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return out;
    out.problems.push(problem(root, `Cannot read the plugins folder: ${errorMessage(err)}`));
    return out;
  }
  for (const name of names) {
    const dir = join(root, name);
    // stat, not the dirent: a symlinked plugin folder counts as a folder.
    const isDir = await stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir) continue;
    const manifestPath = join(dir, MANIFEST_FILE);
    let text: string;
    try {
      text = await readManifest(dir, manifestPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      if (err instanceof HearthError) out.problems.push(toProblem(dir, err));
      else out.problems.push(problem(dir, `Cannot read ${MANIFEST_FILE}: ${errorMessage(err)}`));
      continue;
    }
    try {
      out.sources.push(await externalSource(dir, text));
    } catch (err) {
      const name = (err as HearthError).data as { name?: string } | undefined;
      out.problems.push(toProblem(dir, err, name?.name));
    }
  }
  return out;
}

/**
 * The manifest's text, refused unless it is a regular file inside the plugin folder (a FIFO would
 * block discovery for good, a device or a symlink out could feed it anything) and of a sane size.
 * The file is opened without blocking and without following a final symlink, and what was opened is
 * what gets checked (fstat) and read: checking the path, then reading it, would let a FIFO swapped
 * in between block discovery.
 */
export async function readManifest(dir: string, manifestPath: string): Promise<string> {
  const invalid = (why: string) =>
    new HearthError("PLUGIN_MANIFEST_INVALID", `${MANIFEST_FILE} in ${dir} ${why}`, {
      data: { source: dir },
    });
  const [realDir, real] = await Promise.all([realpath(dir), realpath(manifestPath)]);
  if (!isInside(realDir, real)) throw invalid("resolves (through a symlink) outside the plugin folder");
  let handle: FileHandle;
  try {
    handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ELOOP")
      throw invalid("was replaced by a symlink while being read");
    throw err;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw invalid("is not a regular file");
    if (info.size > MAX_MANIFEST_BYTES) throw invalid(`is larger than ${MAX_MANIFEST_BYTES} bytes`);
    // Read one byte more than allowed: a file that grew since the fstat is refused too.
    const buf = Buffer.alloc(MAX_MANIFEST_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, length, buf.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_MANIFEST_BYTES) throw invalid(`is larger than ${MAX_MANIFEST_BYTES} bytes`);
    }
    return buf.subarray(0, length).toString("utf8");
  } finally {
    await handle.close();
  }
}

function parseManifestText(dir: string, text: string): PluginManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    // The parser's message quotes the text it choked on: keep only where, not what.
    const at = /position (\d+)/.exec(errorMessage(err))?.[1];
    throw new HearthError(
      "PLUGIN_MANIFEST_INVALID",
      `${MANIFEST_FILE} in ${dir} is not valid JSON${at === undefined ? "" : ` (at position ${at})`}`,
      { data: { source: dir } },
    );
  }
  return parseManifest(raw, dir);
}

async function externalSource(dir: string, text: string): Promise<PluginSource> {
  const manifest = parseManifestText(dir, text);
  const entry = manifest.entry ?? DEFAULT_ENTRY;
  const entryPath = await resolveEntry(dir, entry, manifest.name);
  // The latest instance: a plain (re)start after a reload must not fall back to the first import.
  let current = entryPath;
  return {
    manifest,
    origin: "external",
    dir,
    reread: async () => parseManifestText(dir, await readManifest(dir, join(dir, MANIFEST_FILE))),
    load: async (fresh) => {
      // Checked again at each load: the folder may have changed since discovery (a reload re-imports).
      await resolveEntry(dir, entry, manifest.name);
      if (fresh) current = `${entryPath}?v=${++freshImports}`;
      const specifier = current;
      let mod: unknown;
      try {
        mod = await import(specifier);
      } catch (err) {
        throw new HearthError(
          "PLUGIN_LOAD_FAILED",
          `Could not import ${entry} of plugin "${manifest.name}": ${errorMessage(err)}`,
          { data: { plugin: manifest.name, entry }, cause: err },
        );
      }
      return defaultExport(mod, manifest.name);
    },
  };
}

/** The entry's real path, refused when it is missing or (through a symlink) outside the folder. */
async function resolveEntry(dir: string, entry: string, name: string): Promise<string> {
  let real: string;
  let realDir: string;
  try {
    realDir = await realpath(dir);
    real = await realpath(join(dir, entry));
  } catch {
    throw new HearthError(
      "PLUGIN_MANIFEST_INVALID",
      `Plugin "${name}": entry file ${entry} not found in ${dir}`,
      {
        data: { source: dir, name, entry },
      },
    );
  }
  if (!isInside(realDir, real)) {
    throw new HearthError(
      "PLUGIN_MANIFEST_INVALID",
      `Plugin "${name}": entry ${entry} resolves outside ${dir}`,
      {
        data: { source: dir, name, entry },
      },
    );
  }
  return real;
}

function defaultExport(mod: unknown, name: string): PluginDefinition<unknown> {
  if (mod === null || typeof mod !== "object" || !("default" in mod)) {
    throw new HearthError(
      "PLUGIN_LOAD_FAILED",
      `Plugin "${name}" has no default export (export default definePlugin({...}))`,
      {
        data: { plugin: name },
      },
    );
  }
  return (mod as { default: PluginDefinition<unknown> }).default;
}

function nameOf(manifest: unknown): string | undefined {
  const name = (manifest as { name?: unknown } | null)?.name;
  return typeof name === "string" ? name : undefined;
}

function problem(source: string, message: string): PluginProblem {
  return { source, error: { code: "PLUGIN_MANIFEST_INVALID", message, data: { source } } };
}

/** A discovery failure as a PluginProblem (HearthErrors keep their code and data). */
export function toProblem(source: string, err: unknown, name?: string): PluginProblem {
  const error =
    err instanceof HearthError
      ? { code: err.code, message: err.message, data: err.data }
      : { code: "PLUGIN_MANIFEST_INVALID", message: errorMessage(err) };
  return name === undefined ? { source, error } : { source, name, error };
}

/** Whether `real` is a path strictly inside the folder `realDir` (both already resolved by realpath). */
function isInside(realDir: string, real: string): boolean {
  const rel = relative(realDir, real);
  return !(rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || resolve(realDir, rel) !== real);
}
