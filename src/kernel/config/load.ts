import { existsSync, readFileSync } from "node:fs";
import { dirname, extname, isAbsolute, join, resolve } from "node:path";
import { HearthError } from "../../errors.ts";
import { resolveReferences } from "./references.ts";
import { BUILTIN_SECRET_NAMESPACES, buildConfigSchema, convertEnv, DEFAULTS, ENV_VARS } from "./schema.ts";
import type { ConfigIssue, ConfigSource, HearthConfig, LoadConfigOptions, LoadedConfig } from "./types.ts";

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Deeper than this, a config file is refused (nothing in the schema comes close). */
const MAX_DEPTH = 64;

function deepMerge(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const prev = out[k];
    out[k] = isObj(prev) && isObj(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

/**
 * What no config file may hold, anywhere: nesting deeper than MAX_DEPTH, and a `__proto__` key (zod's
 * record schemas skip it silently, and it is how prototypes get polluted). Walked without recursion,
 * so without a stack to overflow. Returns the first offending path and why.
 */
function hostileShape(root: unknown): { path: string; message: string } | undefined {
  const stack: [unknown, string, number][] = [[root, "", 0]];
  while (stack.length > 0) {
    const [value, path, depth] = stack.pop() as [unknown, string, number];
    if (typeof value !== "object" || value === null) continue;
    if (depth >= MAX_DEPTH) return { path, message: `nested deeper than ${MAX_DEPTH} levels` };
    for (const [k, v] of Object.entries(value)) {
      const p = path ? `${path}.${k}` : k;
      if (k === "__proto__") return { path: p, message: 'the key "__proto__" is not allowed' };
      stack.push([v, p, depth + 1]);
    }
  }
  return undefined;
}

function getPath(source: Obj, path: string): unknown {
  let at: unknown = source;
  for (const key of path.split(".")) {
    if (typeof at !== "object" || at === null) return undefined;
    at = (at as Obj)[key];
  }
  return at;
}

function setPath(target: Obj, path: string, value: unknown): void {
  const parts = path.split(".");
  let cur = target;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    cur[part] = isObj(next) ? { ...next } : {};
    cur = cur[part] as Obj;
  }
  cur[parts[parts.length - 1] as string] = value;
}

/** The config file to read: explicit, then HEARTH_CONFIG, then hearth.json/.toml in the usual places. */
function findConfigFile(options: LoadConfigOptions, env: Record<string, string | undefined>, cwd: string) {
  const explicit = options.file ?? env.HEARTH_CONFIG;
  if (explicit !== undefined && explicit !== "") {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) {
      throw new HearthError("CONFIG_NOT_FOUND", `Config file not found: ${path}`, { data: { file: path } });
    }
    return path;
  }
  // systemd's ConfigurationDirectory= first, then the working directory.
  const dirs = [env.CONFIGURATION_DIRECTORY?.split(":")[0], cwd].filter((d): d is string => !!d);
  for (const dir of dirs) {
    for (const name of ["hearth.json", "hearth.toml"]) {
      const path = join(dir, name);
      if (existsSync(path)) return path;
    }
  }
  return undefined;
}

function readConfigFile(path: string): Obj {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new HearthError("CONFIG_NOT_FOUND", `Cannot read config file ${path}: ${(err as Error).message}`, {
      data: { file: path },
      cause: err,
    });
  }
  let parsed: unknown;
  const format = extname(path).toLowerCase() === ".toml" ? "TOML" : "JSON";
  try {
    parsed = format === "TOML" ? Bun.TOML.parse(text) : JSON.parse(text);
  } catch (err) {
    throw new HearthError(
      "CONFIG_PARSE_FAILED",
      `${path} is not valid ${format}: ${(err as Error).message}`,
      {
        data: { file: path, format },
        cause: err,
      },
    );
  }
  if (!isObj(parsed)) {
    throw new HearthError("CONFIG_PARSE_FAILED", `${path} must hold an object at the top level`, {
      data: { file: path, format },
    });
  }
  const hostile = hostileShape(parsed);
  if (hostile !== undefined) {
    const at = hostile.path.length > 120 ? `${hostile.path.slice(0, 120)}…` : hostile.path;
    const issue: ConfigIssue = { path: at, message: hostile.message, source: `file ${path}` };
    throw new HearthError(
      "CONFIG_INVALID",
      `Invalid configuration:\n  ${at}: ${hostile.message} (from file ${path})`,
      { data: { file: path, issues: [issue] } },
    );
  }
  return parsed;
}

/** Which layer set a path: the longest recorded prefix wins (a file's `http` object covers `http.port`). */
function sourceOf(path: string, sources: Map<string, ConfigSource>): ConfigSource {
  let best: ConfigSource = "default";
  let bestLen = -1;
  let below: ConfigSource | undefined;
  for (const [p, s] of sources) {
    const covers = p === "" || path === p || path.startsWith(`${p}.`);
    if (covers && p.length > bestLen) {
      best = s;
      bestLen = p.length;
    }
    // An unknown key holding an object is reported at its own path; its leaves name who set it.
    if (path !== "" && p.startsWith(`${path}.`)) below ??= s;
  }
  return bestLen < 0 && below !== undefined ? below : best;
}

function leafPaths(obj: Obj, prefix = ""): string[] {
  return Object.entries(obj).flatMap(([k, v]) => {
    const p = prefix ? `${prefix}.${k}` : k;
    return isObj(v) && Object.keys(v).length > 0 ? leafPaths(v, p) : [p];
  });
}

/**
 * Loads the configuration: embedded defaults < config file < `HEARTH_*` environment < overrides.
 * Throws `CONFIG_NOT_FOUND`, `CONFIG_PARSE_FAILED`, or `CONFIG_INVALID` whose `data.issues` names
 * each bad path, what was expected, and which layer supplied the value. Reads only; writes nothing.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const sources = new Map<string, ConfigSource>();

  const stateDir = env.STATE_DIRECTORY?.split(":")[0];
  let raw: Obj = deepMerge(DEFAULTS as unknown as Obj, { dataDir: stateDir || "./data" });

  const file = findConfigFile(options, env, cwd);
  if (file !== undefined) {
    const {
      value: fromFile,
      issues,
      resolved,
    } = resolveReferences(readConfigFile(file), {
      env,
      baseDir: dirname(file),
      source: `file ${file}`,
    });
    if (issues.length > 0) throw invalidConfig(issues);
    for (const v of ENV_VARS) {
      const value = resolved.includes(v.path) ? getPath(fromFile, v.path) : undefined;
      if (typeof value === "string") setPath(fromFile, v.path, convertEnv(value, v.kind));
    }
    raw = deepMerge(raw, fromFile);
    for (const p of leafPaths(fromFile)) sources.set(p, `file ${file}`);
  }

  for (const v of ENV_VARS) {
    const value = env[v.name];
    if (value === undefined || value === "") continue;
    setPath(raw, v.path, convertEnv(value, v.kind));
    sources.set(v.path, `env ${v.name}`);
  }

  for (const [path, value] of Object.entries(options.overrides ?? {})) {
    if (value === undefined) continue;
    setPath(raw, path, value);
    sources.set(path, "command line");
  }

  // Parsed once per process: zod's compiled fast path would cost more to build (~3 ms at start-up)
  // than it saves.
  const result = buildConfigSchema().safeParse(raw, { jitless: true });
  if (!result.success) {
    const issues: ConfigIssue[] = result.error.issues.flatMap((issue) => {
      const base = issue.path.map(String).join(".");
      // An unknown key is reported at its own path, so the message points at the typo.
      const paths =
        issue.code === "unrecognized_keys" ? issue.keys.map((k) => (base ? `${base}.${k}` : k)) : [base];
      return paths.map((path) => ({ path, message: issue.message, source: sourceOf(path, sources) }));
    });
    throw invalidConfig(issues);
  }

  const parsed = result.data;
  const dataDir = isAbsolute(parsed.dataDir) ? parsed.dataDir : resolve(cwd, parsed.dataDir);
  const pluginsDir =
    parsed.pluginsDir === undefined ? join(dataDir, "plugins") : resolve(cwd, parsed.pluginsDir);
  const secretNamespaces = [...new Set([...BUILTIN_SECRET_NAMESPACES, ...parsed.storage.secretNamespaces])];
  const config: HearthConfig = {
    ...parsed,
    logLevel: parsed.logLevel as HearthConfig["logLevel"],
    dataDir,
    pluginsDir,
    storage: { ...parsed.storage, secretNamespaces },
    hardware: {
      gpio: {
        ...parsed.hardware.gpio,
        sysfsRoot: resolve(cwd, parsed.hardware.gpio.sysfsRoot),
        devDir: resolve(cwd, parsed.hardware.gpio.devDir),
      },
    },
  };
  return { config, file };
}

function invalidConfig(issues: ConfigIssue[]): HearthError {
  const lines = issues.map((i) => `  ${i.path || "(top level)"}: ${i.message} (from ${i.source})`);
  return new HearthError("CONFIG_INVALID", `Invalid configuration:\n${lines.join("\n")}`, {
    data: { issues },
  });
}
