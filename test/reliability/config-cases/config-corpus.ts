/**
 * The hostile-config corpus: for every key of the config schema (read from the zod schema itself, so a
 * new key is covered the day it is added) a wrong type and out-of-range values, in JSON and in TOML;
 * every `HEARTH_*` variable with values that do not convert or are out of range; malformed and
 * non-object files; missing files. Each case says which error code it must produce and which text
 * (the key path, the file or variable it came from) the error must contain.
 */
import { buildConfigSchema, ENV_VARS } from "../../../src/kernel/config/schema.ts";

const configSchema = buildConfigSchema();

export type ConfigCode = "CONFIG_INVALID" | "CONFIG_PARSE_FAILED" | "CONFIG_NOT_FOUND";

export interface ConfigCase {
  label: string;
  /** Config file written into the case folder (or into `etc/` for `via: "configuration-directory"`). */
  file?: { name: string; body: string | Uint8Array };
  /** How Hearth finds the file: `--config NAME` (default), `HEARTH_CONFIG`, the working directory, `$CONFIGURATION_DIRECTORY`. */
  via?: "flag" | "env" | "cwd" | "configuration-directory";
  /** What `--config` / `HEARTH_CONFIG` names, relative to the case folder, when not the file's own name. */
  configArg?: string;
  env?: Record<string, string>;
  args?: string[];
  code: ConfigCode;
  /** Text the error must contain. `$FILE` is the config file's absolute path, `$ROOT` the case folder. */
  mentions: string[];
  /** The data folder `./data` is absent (must stay absent) or a populated copy of a real one. */
  data: "absent" | "existing";
  /** Config paths the case sets (so `hearth run` variants know what they may not override). */
  touches: string[];
}

type Obj = Record<string, unknown>;

// zod 4 internals, read-only: enough to walk the schema's shape.
interface SchemaNode {
  _zod: { def: Obj & { type: string } };
  minValue?: number | null;
  maxValue?: number | null;
  minLength?: number | null;
}

interface BadValue {
  label: string;
  value: unknown;
  /** Where the value is put. */
  at: string;
  /** The path the error must name (an element for arrays, the key itself for unknown keys). */
  path: string;
  /** Text the message must also contain (what was expected). */
  expect?: string[];
  /** Part of the long (soak) corpus only; the short one keeps a wrong type and the range edges per key. */
  extra?: boolean;
}

const def = (s: SchemaNode) => s._zod.def;
const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

function unwrap(s: SchemaNode): SchemaNode {
  const d = def(s);
  return d.type === "optional" || d.type === "default" ? unwrap(d.innerType as SchemaNode) : s;
}

/** A name that satisfies a record's key rule (plugin names), for walking into its values. */
const RECORD_NAME = "demo";

/** Bad values for one schema node at `path`, and for every node below it. */
function badValues(node: SchemaNode, path: string): BadValue[] {
  const s = unwrap(node);
  const d = def(s);
  const at = (label: string, value: unknown, more: Partial<BadValue> = {}): BadValue => ({
    label,
    value,
    at: path,
    path,
    ...more,
  });
  const extra = true;
  switch (d.type) {
    case "string": {
      const out = [at("a number for a string", 42, { expect: ["expected string"] })];
      if ((s.minLength ?? 0) > 0) out.push(at("an empty string", ""));
      return out;
    }
    case "number": {
      const min = s.minValue ?? Number.MIN_SAFE_INTEGER;
      const max = s.maxValue ?? Number.MAX_SAFE_INTEGER;
      return [
        at("a string for a number", "abc", { expect: ["expected number"] }),
        at("below the minimum", min - 1, { expect: [`>=${min}`] }),
        at("above the maximum", max + 1, { expect: [`<=${max}`] }),
        at("a boolean for a number", true, { expect: ["expected number"], extra }),
        at("a fraction for an integer", min + 0.5, { extra }),
        at("a float beyond any integer", 1e300, { extra }),
      ];
    }
    case "boolean":
      return [
        at("a string for a boolean", "true", { expect: ["expected boolean"] }),
        at("a number for a boolean", 1, { extra }),
      ];
    case "enum": {
      const first = String(Object.values(d.entries as Obj)[0]);
      return [
        at("a value outside the enum", "loudest"),
        at("the wrong case", first.toUpperCase(), { extra }),
        at("a number", 3, { extra }),
      ];
    }
    case "array": {
      const el = unwrap(d.element as SchemaNode);
      const out = [
        at("a string for an array", "x", { expect: ["expected array"] }),
        at("a number element", [42], { path: `${path}.0` }),
      ];
      if (def(el).type === "string")
        out.push(at("an invalid element", ["", "not valid !"], { path: `${path}.0`, extra }));
      return out;
    }
    case "object": {
      const unknown = join(path, "bogusKey");
      const out = [
        at("a string for an object", "x", { expect: ["expected object"] }),
        at("an array for an object", [], { expect: ["expected object"], extra }),
        { label: "an unknown key", value: 1, at: unknown, path: unknown, expect: ['"bogusKey"'] },
      ];
      for (const [k, child] of Object.entries(d.shape as Record<string, SchemaNode>)) {
        out.push(...badValues(child, join(path, k)));
      }
      return out;
    }
    case "record": {
      const keyRule = def(d.keyType as SchemaNode).checks !== undefined;
      return [
        at("a string for a record", "x", { expect: ["expected record"] }),
        ...(keyRule
          ? [at("a key that breaks the name rule", { Bad_Name: {} }, { path: join(path, "Bad_Name") })]
          : []),
        ...badValues(d.valueType as SchemaNode, join(path, RECORD_NAME)),
      ];
    }
    default:
      // unknown: anything goes.
      return [];
  }
}

/** `{ a: { b: value } }` for path `a.b`. */
function nest(path: string, value: unknown): Obj {
  const parts = path.split(".");
  let out: unknown = value;
  for (const part of parts.reverse()) out = { [part]: out };
  return out as Obj;
}

/** A TOML document for a nested object (inline tables), or undefined when TOML cannot say it (null). */
export function toToml(obj: Obj): string | undefined {
  const value = (v: unknown): string | undefined => {
    if (v === null || v === undefined) return undefined;
    if (typeof v === "string") return JSON.stringify(v);
    if (typeof v === "number")
      return Number.isInteger(v) && Math.abs(v) < 2 ** 53 ? String(v) : v.toExponential();
    if (typeof v === "boolean") return String(v);
    if (Array.isArray(v)) {
      const items = v.map(value);
      return items.includes(undefined) ? undefined : `[${items.join(", ")}]`;
    }
    const entries = Object.entries(v as Obj).map(([k, x]) => {
      const t = value(x);
      return t === undefined ? undefined : `${JSON.stringify(k)} = ${t}`;
    });
    return entries.includes(undefined) ? undefined : `{ ${entries.join(", ")} }`;
  };
  const lines = Object.entries(obj).map(([k, v]) => {
    const t = value(v);
    return t === undefined ? undefined : `${JSON.stringify(k)} = ${t}`;
  });
  return lines.includes(undefined) ? undefined : `${lines.join("\n")}\n`;
}

/**
 * One case per bad value per key. The long corpus writes each as JSON and as TOML; the short one
 * keeps the core values (a wrong type and the range edges of every key) and alternates the format.
 * The data folder alternates between absent and an existing copy.
 */
function schemaCases(full: boolean): ConfigCase[] {
  const out: ConfigCase[] = [];
  const values = badValues(configSchema as unknown as SchemaNode, "").filter((b) => full || !b.extra);
  values.forEach((bad, i) => {
    // The top level itself (a string, an array) is a parse-level case (fileCases).
    if (bad.at === "") return;
    const doc = nest(bad.at, bad.value);
    const mentions = [`  ${bad.path}: `, "(from file $FILE)", ...(bad.expect ?? [])];
    const toml = bad.value === 1e300 ? undefined : toToml(doc);
    const base = { code: "CONFIG_INVALID" as const, mentions, touches: [bad.at] };
    if (full || i % 2 === 0 || toml === undefined) {
      out.push({
        ...base,
        label: `${bad.path}: ${bad.label} (JSON)`,
        file: { name: "hearth.json", body: JSON.stringify(doc) },
        data: i % 3 === 0 ? "existing" : "absent",
      });
    }
    if (toml !== undefined && (full || i % 2 === 1)) {
      out.push({
        ...base,
        label: `${bad.path}: ${bad.label} (TOML)`,
        file: { name: "hearth.toml", body: toml },
        data: i % 3 === 1 ? "existing" : "absent",
      });
    }
  });
  return out;
}

/** The schema's minimum and maximum at a dot path, for environment variables. */
function rangeAt(path: string): { min?: number; max?: number; enum: boolean } {
  let node = unwrap(configSchema as unknown as SchemaNode);
  for (const part of path.split("."))
    node = unwrap((def(node).shape as Record<string, SchemaNode>)[part] as SchemaNode);
  const t = def(node).type;
  return {
    ...(t === "number" ? { min: node.minValue ?? undefined, max: node.maxValue ?? undefined } : {}),
    enum: t === "enum",
  };
}

/** Every `HEARTH_*` variable with values that do not convert, or convert out of range. */
function envCases(full: boolean): ConfigCase[] {
  const out: ConfigCase[] = [];
  ENV_VARS.forEach((v, i) => {
    const mentions = [`  ${v.path}: `, `(from env ${v.name})`];
    const bad: [string, string][] = [];
    if (v.kind === "int") {
      const { min, max } = rangeAt(v.path);
      bad.push(["abc", "letters"]);
      if (min !== undefined) bad.push([String(min - 1), "below the minimum"]);
      if (max !== undefined) bad.push([String(max + 1), "above the maximum"]);
      if (full) {
        bad.push(["12abc", "digits then letters"], ["1.5", "a fraction"], ["0x10", "hex"]);
        bad.push([" ", "only a space"], ["99999999999999999999", "beyond a safe integer"]);
      }
    } else if (v.kind === "bool") {
      bad.push(["maybe", "not a boolean word"]);
      if (full) bad.push(["2", "a number"], ["truee", "a typo"]);
    } else if (rangeAt(v.path).enum) {
      bad.push(["loudest", "outside the enum"]);
      if (full) bad.push(["INFO", "the wrong case"]);
    }
    bad.forEach(([value, label], j) => {
      out.push({
        label: `${v.name}=${JSON.stringify(value)} (${label})`,
        env: { [v.name]: value },
        code: "CONFIG_INVALID",
        mentions,
        data: (i + j) % 2 === 0 ? "existing" : "absent",
        touches: [v.path],
      });
    });
  });
  // The environment wins over a valid file, and the error says so.
  out.push({
    label: "HEARTH_HTTP_PORT=abc over a valid file value",
    file: { name: "hearth.json", body: JSON.stringify({ http: { port: 8000 } }) },
    env: { HEARTH_HTTP_PORT: "abc" },
    code: "CONFIG_INVALID",
    mentions: ["  http.port: ", "(from env HEARTH_HTTP_PORT)"],
    data: "existing",
    touches: ["http.port"],
  });
  return out;
}

const enc = new TextEncoder();
const withBom = (text: string) => new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode(text)]);
const garbage = () => new Uint8Array(Array.from({ length: 512 }, (_, i) => (i * 151 + 7) % 256));

/** Files that are not JSON/TOML at all, or not an object, found every way a file can be found. */
function fileCases(): ConfigCase[] {
  const parse = (label: string, name: string, body: string | Uint8Array, extra: Partial<ConfigCase> = {}) =>
    ({
      label,
      file: { name, body },
      code: "CONFIG_PARSE_FAILED",
      mentions: ["$FILE"],
      data: "absent",
      touches: [],
      ...extra,
    }) satisfies ConfigCase;
  const json = "hearth.json";
  const toml = "hearth.toml";
  return [
    parse("truncated JSON", json, '{"http": {"port": 8420'),
    parse("JSON with a trailing comma", json, '{"logLevel": "info",}', { data: "existing" }),
    parse("JSON with a comment", json, '// settings\n{"logLevel": "info"}'),
    parse("JSON with single quotes", json, "{'logLevel': 'info'}"),
    parse("JSON with NaN", json, '{"http": {"port": NaN}}'),
    parse("an empty JSON file", json, "", { data: "existing" }),
    parse("JSON behind a byte-order mark", json, withBom('{"logLevel": "info"}')),
    parse("binary garbage named .json", json, garbage()),
    parse("TOML text in a .json file", json, "[http]\nport = 8420\n"),
    parse("a JSON null", json, "null", { mentions: ["$FILE", "object at the top level"] }),
    parse("a JSON array", json, "[]", { mentions: ["$FILE", "object at the top level"], data: "existing" }),
    parse("a JSON number", json, "42", { mentions: ["$FILE", "object at the top level"] }),
    parse("a JSON string", json, '"hearth"', { mentions: ["$FILE", "object at the top level"] }),
    parse("an unclosed TOML table", toml, "[http\nport = 1\n"),
    parse("a TOML key without a value", toml, "logLevel =\n", { data: "existing" }),
    parse("an unterminated TOML string", toml, 'logLevel = "info\n'),
    parse("a TOML table defined twice", toml, '[http]\nport = 1\n[http]\nhost = "x"\n'),
    parse("a TOML key defined twice", toml, 'logLevel = "info"\nlogLevel = "warn"\n'),
    parse("binary garbage named .toml", toml, garbage()),
    parse("malformed hearth.json found in the working directory", json, "{", { via: "cwd" }),
    parse("malformed hearth.toml found in the working directory", toml, "[[", {
      via: "cwd",
      data: "existing",
    }),
    parse("malformed hearth.json in $CONFIGURATION_DIRECTORY", json, "{", { via: "configuration-directory" }),
    parse("malformed file named by HEARTH_CONFIG", "site.json", "{", { via: "env" }),
    {
      label: "--config names a missing file",
      configArg: "missing.json",
      code: "CONFIG_NOT_FOUND",
      mentions: ["$ROOT/missing.json"],
      data: "existing",
      touches: [],
    },
    {
      label: "HEARTH_CONFIG names a missing file",
      configArg: "missing.toml",
      via: "env",
      code: "CONFIG_NOT_FOUND",
      mentions: ["$ROOT/missing.toml"],
      data: "absent",
      touches: [],
    },
    {
      label: "--config names a folder",
      configArg: ".",
      code: "CONFIG_NOT_FOUND",
      mentions: ["$ROOT"],
      data: "absent",
      touches: [],
    },
  ];
}

/** Several problems at once (each one named), unknown keys, command-line values, big files. */
function mixedCases(): ConfigCase[] {
  const pad = "x".repeat(4 * 1024 * 1024);
  return [
    {
      label: "four problems in one file, each named",
      file: {
        name: "hearth.json",
        body: JSON.stringify({ http: { port: "x", host: "" }, logLevel: "loud", bogus: 1 }),
      },
      code: "CONFIG_INVALID",
      mentions: ["  http.port: ", "  http.host: ", "  logLevel: ", "  bogus: ", "(from file $FILE)"],
      data: "existing",
      touches: ["http", "logLevel", "bogus"],
    },
    {
      label: "a typo in a top-level key",
      file: { name: "hearth.json", body: JSON.stringify({ logLevell: "debug" }) },
      code: "CONFIG_INVALID",
      mentions: ["  logLevell: ", "(from file $FILE)"],
      data: "absent",
      touches: ["logLevell"],
    },
    {
      label: "a typo in a nested key (TOML table)",
      file: { name: "hearth.toml", body: "[http]\nprot = 8420\n" },
      code: "CONFIG_INVALID",
      mentions: ["  http.prot: ", "(from file $FILE)"],
      data: "existing",
      touches: ["http.prot"],
    },
    {
      label: "an empty --data-dir",
      args: ["--data-dir", ""],
      code: "CONFIG_INVALID",
      mentions: ["  dataDir: ", "(from command line)"],
      data: "existing",
      touches: ["dataDir"],
    },
    {
      label: "a 4 MiB file with one bad key at the end",
      file: {
        name: "hearth.json",
        body: JSON.stringify({ plugins: { demo: { config: { blob: pad } } }, shutdownTimeoutMs: -1 }),
      },
      code: "CONFIG_INVALID",
      mentions: ["  shutdownTimeoutMs: ", "(from file $FILE)"],
      data: "absent",
      touches: ["plugins", "shutdownTimeoutMs"],
    },
    {
      label: "an http.host that is no hostname or IP address",
      file: { name: "hearth.json", body: JSON.stringify({ http: { host: "not a host" } }) },
      code: "CONFIG_INVALID",
      mentions: ["  http.host: ", "(from file $FILE)"],
      data: "absent",
      touches: ["http.host"],
    },
    {
      label: "a dataDir with a NUL byte",
      file: { name: "hearth.json", body: JSON.stringify({ dataDir: "./data\u0000x" }) },
      code: "CONFIG_INVALID",
      mentions: ["  dataDir: ", "(from file $FILE)"],
      data: "absent",
      touches: ["dataDir"],
    },
    {
      label: "a $env reference to a variable that is not set",
      file: {
        name: "hearth.json",
        body: JSON.stringify({ plugins: { demo: { config: { token: { $env: "HEARTH_TEST_UNSET_VAR" } } } } }),
      },
      code: "CONFIG_INVALID",
      mentions: ["  plugins.demo.config.token: ", "HEARTH_TEST_UNSET_VAR", "(from file $FILE)"],
      data: "existing",
      touches: ["plugins"],
    },
    {
      label: "a $file reference to a file that does not exist",
      file: {
        name: "hearth.json",
        body: JSON.stringify({ plugins: { demo: { config: { token: { $file: "nope" } } } } }),
      },
      code: "CONFIG_INVALID",
      mentions: ["  plugins.demo.config.token: ", "ENOENT", "(from file $FILE)"],
      data: "absent",
      touches: ["plugins"],
    },
    {
      label: "an integer beyond 2^53 in JSON",
      file: { name: "hearth.json", body: '{"storage": {"maxValueBytes": 9007199254740993}}' },
      code: "CONFIG_INVALID",
      mentions: ["  storage.maxValueBytes: ", "(from file $FILE)"],
      data: "absent",
      touches: ["storage.maxValueBytes"],
    },
  ];
}

/**
 * The whole corpus: short for every `bun test`, long (every bad value in both formats, repeated
 * `copies` times with distinct labels) for soak runs.
 */
export function configCorpus(options: { full: boolean; copies?: number }): ConfigCase[] {
  const one = [...schemaCases(options.full), ...envCases(options.full), ...fileCases(), ...mixedCases()];
  const out: ConfigCase[] = [];
  for (let c = 0; c < (options.copies ?? 1); c++) {
    out.push(...one.map((k) => (c === 0 ? k : { ...k, label: `${k.label} #${c}` })));
  }
  return out;
}
