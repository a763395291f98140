/**
 * Config values that name where a secret lives instead of holding it:
 *
 *   { "$env": "MQTT_PASSWORD" }   the value of an environment variable
 *   { "$file": "mqtt-password" }  the content of a file (one trailing newline dropped); a relative
 *                                 name is read from $CREDENTIALS_DIRECTORY (systemd LoadCredential=)
 *                                 when it is set, else next to the config file
 *
 * They are resolved when the config is loaded; the values are never part of an error message. A
 * reference yields a string; where a key of Hearth's own takes a number or a boolean, the string is
 * converted as its HEARTH_* variable's would be.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { ConfigIssue, ConfigSource } from "./types.ts";

type Obj = Record<string, unknown>;

/** A credential file is a password or a key, never this large. */
const MAX_FILE_BYTES = 64 * 1024;

export interface ReferenceContext {
  env: Record<string, string | undefined>;
  /** Where a relative `$file` is read from when `$CREDENTIALS_DIRECTORY` is not set. */
  baseDir: string;
  source: ConfigSource;
}

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `{ "$env": … }` or `{ "$file": … }` and nothing else. */
function referenceOf(v: Obj): ["$env" | "$file", unknown] | undefined {
  const keys = Object.keys(v);
  if (keys.length !== 1) return undefined;
  const key = keys[0];
  return key === "$env" || key === "$file" ? [key, v[key]] : undefined;
}

/**
 * Returns `root` with every reference replaced by the value it names, and the issues of the ones
 * that could not be resolved (a variable not set, a file not readable).
 */
export function resolveReferences(
  root: Obj,
  ctx: ReferenceContext,
): { value: Obj; issues: ConfigIssue[]; resolved: string[] } {
  const issues: ConfigIssue[] = [];
  const resolved: string[] = [];
  const fail = (path: string, message: string) => issues.push({ path, message, source: ctx.source });

  const walk = (value: unknown, path: string): unknown => {
    if (Array.isArray(value)) return value.map((v, i) => walk(v, path ? `${path}.${i}` : String(i)));
    if (!isObj(value)) return value;
    const ref = referenceOf(value);
    if (ref === undefined) {
      const out: Obj = {};
      for (const [k, v] of Object.entries(value)) out[k] = walk(v, path ? `${path}.${k}` : k);
      return out;
    }
    const [kind, name] = ref;
    if (typeof name !== "string" || name === "" || name.includes("\0")) {
      fail(path, `${kind} takes a non-empty ${kind === "$env" ? "variable name" : "file name"}`);
      return value;
    }
    resolved.push(path);
    return kind === "$env" ? fromEnv(name, path) : fromFile(name, path);
  };

  const fromEnv = (name: string, path: string): unknown => {
    const v = ctx.env[name];
    if (v === undefined || v === "") {
      fail(path, `environment variable ${name} (named by $env) is not set`);
      return undefined;
    }
    return v;
  };

  const fromFile = (name: string, path: string): unknown => {
    const credentials = ctx.env.CREDENTIALS_DIRECTORY?.split(":")[0];
    const file = isAbsolute(name) ? name : join(credentials || ctx.baseDir, name);
    try {
      const text = readCredential(file);
      if (text === "not a file") {
        fail(path, `${file} (named by $file) is not a regular file`);
        return undefined;
      }
      if (text === "too large") {
        fail(path, `file ${file} (named by $file) is larger than ${MAX_FILE_BYTES} bytes`);
        return undefined;
      }
      return text.replace(/\r?\n$/, "");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "error";
      fail(path, `cannot read file ${file} (named by $file): ${code}`);
      return undefined;
    }
  };

  return { value: walk(root, "") as Obj, issues, resolved };
}

/**
 * The text of a credential file. Opened without blocking and checked on the descriptor (fstat), so a
 * FIFO or a device named by mistake (or swapped in) cannot hang or flood the loader.
 */
function readCredential(file: string): string | "not a file" | "too large" {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!fstatSync(fd).isFile()) return "not a file";
    // One byte more than allowed tells a file that is too large, also one that grew since.
    const buf = Buffer.alloc(MAX_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > MAX_FILE_BYTES) return "too large";
    }
    return buf.subarray(0, length).toString("utf8");
  } finally {
    closeSync(fd);
  }
}
