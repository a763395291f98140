/**
 * The JSON Schema the contract test needs, and no more: values generated from a schema (valid ones,
 * and invalid ones that break one constraint at a time), and a checker for response bodies. Covers
 * what the document uses (zod's and zod-openapi's output): type (also as a list), enum, const,
 * properties, required, additionalProperties, items, anyOf/oneOf/allOf, local `$ref`, string lengths
 * and patterns, number bounds, array bounds.
 */

export type Schema = Record<string, unknown>;

/** Resolves `#/components/schemas/X` against the document. */
export type Resolve = (schema: unknown) => Schema;

export function resolver(doc: { components?: { schemas?: Record<string, Schema> } }): Resolve {
  const resolve: Resolve = (s) => {
    const schema = (s ?? {}) as Schema;
    const ref = schema.$ref;
    if (typeof ref !== "string") return schema;
    const name = ref.replace(/^#\/components\/schemas\//, "");
    const target = doc.components?.schemas?.[name];
    if (target === undefined) throw new Error(`unresolved $ref ${ref}`);
    return resolve(target);
  };
  return resolve;
}

/** A seeded PRNG (mulberry32): the same seed gives the same inputs on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const typesOf = (s: Schema): string[] =>
  Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === "string" ? [s.type] : [];

const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

/** Strings tried, in order, for a `pattern` that has no example: the first that fits wins. */
const PATTERN_CANDIDATES = ["a", "demo", "a.b", "demo.ping", "demo/lamp", "x1", "A", "*"];

function stringFits(s: Schema, v: string): boolean {
  if (v.length < (num(s.minLength) ?? 0)) return false;
  if (v.length > (num(s.maxLength) ?? Number.POSITIVE_INFINITY)) return false;
  return typeof s.pattern !== "string" || new RegExp(s.pattern, "u").test(v);
}

/**
 * A value the schema accepts: its example or default first, else the smallest that fits; with
 * `rand`, strings without a pattern get a random length within their bounds. Undefined when no value
 * could be made (a pattern none of the candidates fits).
 */
export function validValue(s0: Schema, resolve: Resolve, rand?: () => number): unknown {
  const s = resolve(s0);
  return makeValue(s, resolve, rand, false);
}

/**
 * A value at the upper bounds the schema allows (longest strings, largest numbers, most items),
 * where the schema has bounds and such a value can be made; otherwise as `validValue`. What passes
 * the schema at its edges must pass the server too.
 */
export function boundaryValue(s0: Schema, resolve: Resolve): unknown {
  return makeValue(resolve(s0), resolve, undefined, true);
}

/** Strings longer than this are not made (a URL or body of a few KiB is enough to find a wrong bound). */
const MAX_MADE_LENGTH = 4096;

function makeValue(s: Schema, resolve: Resolve, rand: (() => number) | undefined, edge: boolean): unknown {
  if (edge) {
    const types = typesOf(s);
    const max = num(s.maxLength);
    if (types.includes("string") && max !== undefined && max <= MAX_MADE_LENGTH) {
      const made = ["a", "v", "x1"].map((c) => c.repeat(max).slice(0, max)).find((v) => stringFits(s, v));
      if (made !== undefined) return made;
    }
    if ((types.includes("integer") || types.includes("number")) && num(s.maximum) !== undefined) {
      return s.maximum;
    }
    if (types.includes("array") && num(s.maxItems) !== undefined) {
      return Array.from({ length: num(s.maxItems) as number }, () =>
        makeValue(resolve((s.items ?? {}) as Schema), resolve, undefined, true),
      );
    }
    if (types.includes("object") || s.properties) {
      const props = (s.properties ?? {}) as Record<string, Schema>;
      return Object.fromEntries(
        Object.entries(props).map(([k, p]) => [k, makeValue(resolve(p), resolve, undefined, true)]),
      );
    }
  }
  if (s.example !== undefined) return s.example;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum)) return s.enum[rand === undefined ? 0 : Math.floor(rand() * s.enum.length)];
  if (s.default !== undefined) return s.default;
  for (const key of ["anyOf", "oneOf"] as const) {
    const options = s[key] as Schema[] | undefined;
    if (options?.[0] !== undefined) return makeValue(resolve(options[0]), resolve, rand, edge);
  }
  const type = typesOf(s).find((t) => t !== "null") ?? (s.properties ? "object" : undefined);
  switch (type) {
    case "string": {
      if (typeof s.pattern === "string") return PATTERN_CANDIDATES.find((c) => stringFits(s, c));
      const min = Math.max(num(s.minLength) ?? 1, 1);
      const max = Math.min(num(s.maxLength) ?? min + 8, min + 16);
      const length = rand === undefined ? min : min + Math.floor(rand() * (max - min + 1));
      return "v".repeat(length);
    }
    case "integer":
      return num(s.minimum) ?? Math.min(1, num(s.maximum) ?? 1);
    case "number":
      return num(s.minimum) ?? Math.min(1, num(s.maximum) ?? 1);
    case "boolean":
      return true;
    case "array": {
      const n = num(s.minItems) ?? 0;
      return Array.from({ length: n }, () =>
        makeValue(resolve((s.items ?? {}) as Schema), resolve, rand, edge),
      );
    }
    case "object": {
      const props = (s.properties ?? {}) as Record<string, Schema>;
      const required = new Set((s.required ?? []) as string[]);
      const out: Record<string, unknown> = {};
      for (const [k, p] of Object.entries(props)) {
        // Optional fields too, so their constraints are exercised (and can be broken one by one).
        const v = makeValue(resolve(p), resolve, rand, edge);
        if (v !== undefined || required.has(k)) out[k] = v;
      }
      return out;
    }
    case "null":
      return null;
    default:
      return {};
  }
}

/** One way to break a schema, with the value that breaks it. */
export interface Violation {
  what: string;
  value: unknown;
}

/** Strings tried to break a `pattern` while keeping within the length bounds. */
const PATTERN_BREAKERS = ["A B", "!", "a b", "..", "é", "a\u0001", "-", "***", "Zz", "a.", "0"];

/**
 * Values that break exactly one constraint of `s` (wrong type, over maxLength, under minLength,
 * pattern, enum, bounds), as far as the schema has such constraints. In a URL (`url`) every value is
 * text, so a number is no wrong type for a string there.
 */
export function violations(s0: Schema, resolve: Resolve, options: { url?: boolean } = {}): Violation[] {
  const s = resolve(s0);
  const types = typesOf(s);
  const out: Violation[] = [];
  if (types.length === 0 && !s.enum) return out;
  if (!types.includes("number") && !types.includes("integer") && !types.includes("string")) {
    out.push({ what: "wrong type (number)", value: 12345 });
  }
  if (!types.includes("string") && (types.length > 0 || s.enum)) {
    out.push({ what: "wrong type (string)", value: "not-the-type" });
  }
  if (types.includes("string")) {
    const max = num(s.maxLength);
    const min = num(s.minLength);
    if (!types.includes("number") && !types.includes("integer") && options.url !== true) {
      out.push({ what: "wrong type (number)", value: 12345 });
    }
    if (max !== undefined) out.push({ what: `over maxLength ${max}`, value: "a".repeat(max + 1) });
    if (min !== undefined && min > 0) out.push({ what: `under minLength ${min}`, value: "" });
    if (typeof s.pattern === "string") {
      const re = new RegExp(s.pattern, "u");
      const fits = (v: string) => v.length >= (min ?? 0) && v.length <= (max ?? Number.POSITIVE_INFINITY);
      const breaker = PATTERN_BREAKERS.find((v) => fits(v) && !re.test(v));
      if (breaker !== undefined) out.push({ what: `pattern ${s.pattern}`, value: breaker });
    }
  }
  if (types.includes("integer") || types.includes("number")) {
    if (types.includes("integer")) out.push({ what: "not an integer", value: 1.5 });
    const min = num(s.minimum);
    const max = num(s.maximum);
    if (min !== undefined) out.push({ what: `under minimum ${min}`, value: min - 1 });
    if (max !== undefined) out.push({ what: `over maximum ${max}`, value: max + 1 });
  }
  if (Array.isArray(s.enum)) out.push({ what: "outside the enum", value: "not-in-enum" });
  if (types.includes("array")) {
    const max = num(s.maxItems);
    const item = validValue((s.items ?? {}) as Schema, resolve);
    if (max !== undefined) out.push({ what: `over maxItems ${max}`, value: Array(max + 1).fill(item) });
    const min = num(s.minItems);
    if (min !== undefined && min > 0) out.push({ what: `under minItems ${min}`, value: [] });
  }
  return out;
}

/** Problems of `value` against `s0` (empty when it conforms), each with its JSON path. */
export function check(value: unknown, s0: Schema, resolve: Resolve, path = "$"): string[] {
  const s = resolve(s0);
  const out: string[] = [];
  if (s.const !== undefined && value !== s.const) out.push(`${path}: not ${JSON.stringify(s.const)}`);
  if (Array.isArray(s.enum) && !s.enum.includes(value)) out.push(`${path}: not in the enum`);
  if (Array.isArray(s.allOf))
    for (const sub of s.allOf as Schema[]) out.push(...check(value, sub, resolve, path));
  for (const key of ["anyOf", "oneOf"] as const) {
    const options = s[key] as Schema[] | undefined;
    if (options !== undefined && !options.some((o) => check(value, o, resolve, path).length === 0)) {
      out.push(`${path}: matches none of ${key}`);
    }
  }
  const types = typesOf(s);
  if (types.length > 0 && !types.some((t) => isType(value, t))) {
    out.push(`${path}: ${JSON.stringify(value)?.slice(0, 60)} is not ${types.join("|")}`);
    return out;
  }
  if (typeof value === "string") {
    if (value.length > (num(s.maxLength) ?? Number.POSITIVE_INFINITY)) out.push(`${path}: too long`);
    if (value.length < (num(s.minLength) ?? 0)) out.push(`${path}: too short`);
    if (typeof s.pattern === "string" && !new RegExp(s.pattern, "u").test(value)) {
      out.push(`${path}: does not match ${s.pattern}`);
    }
  }
  if (typeof value === "number") {
    if (value < (num(s.minimum) ?? Number.NEGATIVE_INFINITY)) out.push(`${path}: under minimum`);
    if (value > (num(s.maximum) ?? Number.POSITIVE_INFINITY)) out.push(`${path}: over maximum`);
  }
  if (Array.isArray(value)) {
    if (value.length > (num(s.maxItems) ?? Number.POSITIVE_INFINITY)) out.push(`${path}: too many items`);
    if (value.length < (num(s.minItems) ?? 0)) out.push(`${path}: too few items`);
    if (s.items !== undefined) {
      value.forEach((v, i) => {
        out.push(...check(v, s.items as Schema, resolve, `${path}[${i}]`));
      });
    }
  } else if (typeof value === "object" && value !== null) {
    const obj = value as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, Schema>;
    for (const r of (s.required ?? []) as string[]) {
      if (!(r in obj)) out.push(`${path}: missing required ${r}`);
    }
    for (const [k, v] of Object.entries(obj)) {
      const p = props[k];
      if (p !== undefined) out.push(...check(v, p, resolve, `${path}.${k}`));
      else if (s.additionalProperties === false) out.push(`${path}: unexpected property ${k}`);
      else if (typeof s.additionalProperties === "object") {
        out.push(...check(v, s.additionalProperties as Schema, resolve, `${path}.${k}`));
      }
    }
  }
  return out;
}

function isType(value: unknown, type: string): boolean {
  switch (type) {
    case "null":
      return value === null;
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    default:
      return typeof value === type;
  }
}
