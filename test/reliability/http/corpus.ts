/**
 * The hostile request corpus, generated from the served OpenAPI document: for each operation, every
 * path and query parameter replaced by hostile values, every body field given each wrong type,
 * required fields dropped, extra fields added, and bodies that are huge, deeply nested, not UTF-8, not
 * JSON, or labelled with the wrong type; plus every path tried with every method. Deterministic; the
 * random fuzz on top of it is seeded.
 */

export type Schema = Record<string, unknown>;

export interface Param {
  name: string;
  in: "path" | "query";
  required: boolean;
  schema: Schema;
}

export interface Operation {
  method: string;
  /** OpenAPI template, `/api/v1/state/{key}`. */
  template: string;
  /** `public`, `read`, `control` or `admin`. */
  scope: string;
  params: Param[];
  body: { required: boolean; schema: Schema } | undefined;
}

export interface HostileCase {
  label: string;
  op: Operation;
  method: string;
  /** Request target as sent (already percent-encoded as intended). */
  target: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | (() => ReadableStream<Uint8Array>);
}

export interface OpenApiDoc {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components?: { schemas?: Record<string, Schema> };
}

/** Every operation of the document, with `$ref`s resolved. */
export function operations(doc: OpenApiDoc): Operation[] {
  const resolve = (s: unknown): Schema => {
    const schema = (s ?? {}) as Schema;
    const ref = schema.$ref;
    if (typeof ref === "string") {
      const name = ref.split("/").pop() ?? "";
      return resolve(doc.components?.schemas?.[name]);
    }
    return schema;
  };
  const ops: Operation[] = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = ((op.parameters ?? []) as Record<string, unknown>[]).map((p) => ({
        name: String(p.name),
        in: p.in as "path" | "query",
        required: p.required === true,
        schema: resolve(p.schema),
      }));
      const rb = op.requestBody as
        | { required?: boolean; content?: Record<string, { schema?: unknown }> }
        | undefined;
      const json = rb?.content?.["application/json"];
      ops.push({
        method: method.toUpperCase(),
        template,
        scope: String(op["x-scope"] ?? "public"),
        params,
        body:
          json === undefined ? undefined : { required: rb?.required === true, schema: resolve(json.schema) },
      });
    }
  }
  return ops;
}

/** Path parameter values that keep the baseline request harmless (no plugin is stopped, no token revoked). */
const SAFE_PATH_VALUES: Record<string, string> = {
  "/api/v1/plugins/{name}/reload": "no-such-plugin",
  "/api/v1/plugins/{name}/enable": "no-such-plugin",
  "/api/v1/plugins/{name}/disable": "no-such-plugin",
  "/api/v1/tokens/{id}": "0000deadbeef",
};

/** A value the schema accepts (examples first), for the fields a case does not attack. */
export function validValue(schema: Schema): unknown {
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  switch (schema.type) {
    case "string": {
      if (typeof schema.pattern === "string") return "probe-ok";
      const min = typeof schema.minLength === "number" ? schema.minLength : 1;
      return "x".repeat(Math.max(min, 1));
    }
    case "integer":
    case "number":
      return typeof schema.minimum === "number" ? schema.minimum : 1;
    case "boolean":
      return true;
    case "array": {
      const n = typeof schema.minItems === "number" ? Math.max(schema.minItems, 1) : 1;
      return Array.from({ length: n }, () => validValue((schema.items ?? {}) as Schema));
    }
    case "object": {
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      return Object.fromEntries(Object.entries(props).map(([k, s]) => [k, validValue(s)]));
    }
    default:
      return {};
  }
}

/** Path and query values as they go on the wire: traversal, encoded NULs, bad escapes, odd types. */
export const HOSTILE_URL_VALUES: readonly string[] = [
  "",
  "%20",
  "0",
  "-1",
  "1.5",
  "1e309",
  "NaN",
  "Infinity",
  "99999999999999999999999",
  "null",
  "true",
  "%5B%5D",
  "%7B%7D",
  "..",
  "..%2F..%2Fetc",
  "..%2F..%2F..%2Fetc%2Fpasswd",
  "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
  "..%252F..%252Fetc",
  "..%5C..%5Cwindows",
  "%00",
  "a%00b",
  "demo%00.ping",
  "%",
  "%zz",
  "%C3%28",
  "%FF%FE",
  "%C0%AF",
  "%ED%A0%80",
  "%E2%80%AE",
  "%F0%9F%98%80",
  "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
  "'%20OR%201%3D1--",
  "%0d%0aX-Injected:%201",
  "*",
  "**",
  "%24bus.handler_failed",
  "auth",
  "secrets",
  "auth%2Ftoken:x",
  "a%2Fb%2Fc",
  "__proto__",
  "constructor",
  "a".repeat(600),
  "b".repeat(5000),
];

/** Wrong-typed JSON values for one field. */
const WRONG_TYPES: readonly unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e308,
  "",
  "x",
  "a".repeat(100_000),
  [],
  [1, "two", null],
  {},
  { nested: { deeper: [1] } },
];

/** Bodies that are not JSON at all, or not quite. */
const BROKEN_JSON: readonly string[] = [
  "{",
  '{"a":',
  "}{",
  "[1,]",
  "{'a':1}",
  '{"a":1}garbage',
  "NaN",
  "1e400",
  "0x10",
  "\u0000",
  '{"a":"\\ud800"}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
];

const TOP_LEVEL_VALUES: readonly string[] = ["null", "[]", "1", '"s"', "true", "-0", "[[[]]]"];

const CONTENT_TYPES: readonly (string | undefined)[] = [
  undefined,
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/json; charset=utf-16",
  "APPLICATION/JSON",
  "application/vnd.api+json",
  "application/json, text/html",
  "application/jsonx",
];

export const ODD_METHODS: readonly string[] = [
  "GET",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "HEAD",
  "OPTIONS",
  "PROPFIND",
  "FOO",
];

/** JSON text nested `depth` levels deep (arrays or objects), built without recursion. */
export function deepJson(depth: number, kind: "array" | "object"): string {
  return kind === "array"
    ? `${"[".repeat(depth)}1${"]".repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

export interface CorpusOptions {
  /** Headers added to every case (the token). */
  headers: Record<string, string>;
  /** `http.maxBodyBytes` of the instance under test. */
  maxBodyBytes: number;
  /** Left out (with the reason in the suite): a case for which this returns true. */
  exclude?: (method: string, template: string) => boolean;
}

/** Builds the deterministic corpus for every operation. */
export function buildCorpus(ops: Operation[], options: CorpusOptions): HostileCase[] {
  const out: HostileCase[] = [];
  const push = (c: Omit<HostileCase, "headers"> & { headers?: Record<string, string> }) => {
    if (options.exclude?.(c.method, c.op.template)) return;
    out.push({ ...c, headers: { ...options.headers, ...c.headers } });
  };
  for (const op of ops) {
    const valid = baselineParams(op);
    const json = { "Content-Type": "application/json" };
    const body = op.body === undefined ? undefined : JSON.stringify(validValue(op.body.schema));
    const at = (params: Record<string, string>, extraQuery = "") => target(op, params, extraQuery);
    const base = { op, method: op.method };

    push({ ...base, label: "baseline", target: at(valid), ...(body ? { body, headers: json } : {}) });

    for (const p of op.params) {
      for (const v of HOSTILE_URL_VALUES) {
        push({
          ...base,
          label: `${p.in} ${p.name}=${v.slice(0, 40)}`,
          target: at({ ...valid, [p.name]: v }),
          ...(body ? { body, headers: json } : {}),
        });
      }
      if (p.in === "query") {
        for (const [label, q] of queryShapes(p.name)) {
          push({ ...base, label: `query ${p.name}: ${label}`, target: at(valid, q) });
        }
      }
    }
    push({ ...base, label: "unknown query parameter", target: at(valid, "evil=1&__proto__=x") });

    const bodyOk = op.method === "POST" || op.method === "PUT" || op.method === "PATCH";
    if (op.body !== undefined) {
      out.push(...bodyCases(op, at(valid), { ...options, headers: { ...options.headers } }));
    } else if (bodyOk) {
      // A body where none is expected: ignored, or refused, never a 5xx.
      for (const b of ["garbage", "{}", deepJson(10_000, "array")]) {
        push({
          ...base,
          label: `unexpected body ${b.slice(0, 12)}`,
          target: at(valid),
          body: b,
          headers: json,
        });
      }
      push({ ...base, label: "unexpected huge body", target: at(valid), body: huge(options.maxBodyBytes) });
    }
    for (const m of ODD_METHODS) {
      if (m === op.method) continue;
      push({ ...base, method: m, label: `method ${m}`, target: at(valid) });
    }
  }
  return out;
}

function baselineParams(op: Operation): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of op.params) {
    if (p.in === "path") {
      out[p.name] = SAFE_PATH_VALUES[op.template] ?? encodeURIComponent(String(validValue(p.schema)));
    } else if (p.required) {
      out[p.name] = encodeURIComponent(String(validValue(p.schema)));
    }
  }
  return out;
}

function target(op: Operation, params: Record<string, string>, extraQuery: string): string {
  let path = op.template;
  const query: string[] = [];
  for (const p of op.params) {
    const v = params[p.name];
    if (p.in === "path") path = path.replace(`{${p.name}}`, v ?? "");
    else if (v !== undefined) query.push(`${p.name}=${v}`);
  }
  if (extraQuery !== "") query.push(extraQuery);
  return query.length === 0 ? path : `${path}?${query.join("&")}`;
}

function queryShapes(name: string): [string, string][] {
  return [
    ["repeated", `${name}=a&${name}=b&${name}=c`],
    ["bracketed", `${name}[]=a&${name}[x]=b`],
    ["no value", name],
    ["empty name", "=x"],
    ["only separators", "&&&=&"],
    ["huge value", `${name}=${"q".repeat(8000)}`],
    ["a thousand parameters", Array.from({ length: 1000 }, (_, i) => `p${i}=${i}`).join("&")],
  ];
}

/** A JSON document of `maxBodyBytes * 2` bytes. */
function huge(maxBodyBytes: number): string {
  return JSON.stringify({ name: "big", pad: "x".repeat(maxBodyBytes * 2) });
}

function bodyCases(op: Operation, to: string, options: CorpusOptions): HostileCase[] {
  const out: HostileCase[] = [];
  const schema = op.body?.schema ?? {};
  const valid = validValue(schema);
  const json = { ...options.headers, "Content-Type": "application/json" };
  const add = (label: string, body: HostileCase["body"], headers: Record<string, string> = json) => {
    if (options.exclude?.(op.method, op.template)) return;
    out.push({ label: `body ${label}`, op, method: op.method, target: to, headers, body });
  };
  const isObject = typeof valid === "object" && valid !== null && !Array.isArray(valid);
  const fields = isObject ? Object.keys((schema.properties ?? {}) as Record<string, unknown>) : [];
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  const base = isObject ? (valid as Record<string, unknown>) : {};

  for (const field of fields) {
    for (const wrong of WRONG_TYPES) {
      add(`${field}=${JSON.stringify(wrong)?.slice(0, 30)}`, JSON.stringify({ ...base, [field]: wrong }));
    }
    add(`${field} nested 10k deep`, `{"${field}":${deepJson(10_000, "object")}}`);
  }
  for (const field of required) {
    const { [field]: _dropped, ...rest } = base;
    add(`without required ${field}`, JSON.stringify(rest));
  }
  add("all fields missing", "{}");
  add("extra field", JSON.stringify({ ...base, extra: 1, another: { x: [1] } }));
  add("many extra fields", JSON.stringify({ ...base, ...manyFields(5000) }));
  add("duplicate keys", `{"${fields[0] ?? "a"}":1,"${fields[0] ?? "a"}":"two"}`);
  for (const text of TOP_LEVEL_VALUES) add(`top-level ${text}`, text);
  for (const text of BROKEN_JSON) add(`broken ${JSON.stringify(text).slice(0, 30)}`, text);
  add("empty", "");
  add("whitespace only", "   \n\t ");
  add("BOM then JSON", `\ufeff${JSON.stringify(valid)}`);
  add("10k nested arrays", deepJson(10_000, "array"));
  add("10k nested objects", deepJson(10_000, "object"));
  add("100k nested arrays", deepJson(100_000, "array"));
  const utf8 = (bytes: number[]) =>
    Buffer.concat([Buffer.from('{"name":"'), Buffer.from(bytes), Buffer.from('","label":"x","n":1}')]);
  add("invalid UTF-8 0xff 0xfe", new Uint8Array(utf8([0xff, 0xfe])));
  add("invalid UTF-8 overlong slash", new Uint8Array(utf8([0xc0, 0xaf])));
  add("invalid UTF-8 lone continuation", new Uint8Array(utf8([0x80, 0x80, 0x80])));
  add("invalid UTF-8 surrogate", new Uint8Array(utf8([0xed, 0xa0, 0x80])));
  add("UTF-16 body", new Uint8Array(Buffer.from(JSON.stringify(valid), "utf16le")));
  add("over maxBodyBytes", huge(options.maxBodyBytes));
  add("over maxBodyBytes, chunked (no Content-Length)", () => chunked(options.maxBodyBytes * 2));
  add("4x maxBodyBytes", JSON.stringify({ pad: "y".repeat(options.maxBodyBytes * 4) }));
  for (const type of CONTENT_TYPES) {
    const headers: Record<string, string> = { ...options.headers };
    if (type !== undefined) headers["Content-Type"] = type;
    add(`valid JSON as ${type ?? "no content type"}`, JSON.stringify(valid), headers);
  }
  return out;
}

function manyFields(n: number): Record<string, number> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, i]));
}

/** A request body stream with no declared length, `bytes` long, in 64 KiB chunks. */
function chunked(bytes: number): ReadableStream<Uint8Array> {
  const chunk = new TextEncoder().encode("z".repeat(64 * 1024));
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === 0) controller.enqueue(new TextEncoder().encode('{"pad":"'));
      if (sent >= bytes) {
        controller.enqueue(new TextEncoder().encode('"}'));
        controller.close();
        return;
      }
      controller.enqueue(chunk);
      sent += chunk.length;
    },
  });
}

/** A small seeded PRNG (mulberry32), so a fuzz run can be repeated from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` random requests: random JSON bodies and random URL values on random operations. */
export function fuzzCases(
  ops: Operation[],
  count: number,
  seed: number,
  options: CorpusOptions,
): HostileCase[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const randomString = () => {
    const n = Math.floor(rnd() * 40);
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(rnd() * 0x2ff));
    return s;
  };
  const randomJson = (depth: number): unknown => {
    const r = rnd();
    if (depth > 4 || r < 0.3) return pick([null, true, false, rnd() * 1e6 - 5e5, randomString(), 0]);
    if (r < 0.6) return Array.from({ length: Math.floor(rnd() * 5) }, () => randomJson(depth + 1));
    return Object.fromEntries(
      Array.from({ length: Math.floor(rnd() * 5) }, () => [randomString(), randomJson(depth + 1)]),
    );
  };
  const out: HostileCase[] = [];
  const candidates = ops.filter((op) => !options.exclude?.(op.method, op.template));
  for (let i = 0; out.length < count && i < count * 4; i++) {
    const op = pick(candidates);
    const params: Record<string, string> = baselineParams(op);
    for (const p of op.params) {
      if (rnd() < 0.5) {
        params[p.name] = rnd() < 0.5 ? pick(HOSTILE_URL_VALUES) : encodeURIComponent(randomString());
      }
    }
    const c: HostileCase = {
      label: `fuzz #${i} (seed ${seed})`,
      op,
      method: op.method,
      target: target(op, params, ""),
      headers: { ...options.headers },
    };
    if (op.body !== undefined) {
      const v = validValue(op.body.schema);
      const body =
        typeof v === "object" && v !== null && !Array.isArray(v) && rnd() < 0.6
          ? { ...v, [pick(Object.keys(v).concat(["x"]))]: randomJson(0) }
          : randomJson(0);
      c.body = JSON.stringify(body);
      c.headers["Content-Type"] = "application/json";
    }
    out.push(c);
  }
  return out;
}
