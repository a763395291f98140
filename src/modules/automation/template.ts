/**
 * The template language of automation rules: `{{ expr }}` inside strings, over the run's inputs
 * only (the trigger, the rule's variables, `repeat`, `wait`). A hand-written tokenizer, a recursive
 * descent parser and a tree-walking evaluator: no `eval`, no `Function`, no method calls, no access
 * to anything but own properties of plain inputs. Bounded: source length, nesting depth and
 * evaluation steps are limited, and so is the length of a string it builds.
 *
 *   expr    := or
 *   or      := and (("or" | "||") and)*
 *   and     := not (("and" | "&&") not)*
 *   not     := ("not" | "!") not | compare
 *   compare := sum (("==" | "!=" | "<" | "<=" | ">" | ">=") sum)?
 *   sum     := product (("+" | "-") product)*
 *   product := unary (("*" | "/" | "%") unary)*
 *   unary   := "-" unary | postfix
 *   postfix := primary ("." name | "[" expr "]")*
 *   primary := number | string | true | false | null | name | name "(" args ")" | "(" expr ")"
 */
import { HearthError } from "../../errors.ts";

export const TEMPLATE_LIMITS = Object.freeze({
  /** Characters in one `{{ … }}` expression. */
  maxExpressionLength: 1000,
  /** Characters in one templated string. */
  maxSourceLength: 10_000,
  /** Nesting of the parse tree. */
  maxDepth: 32,
  /** Nodes evaluated per render of one string. */
  maxSteps: 10_000,
  /** Characters in a string the evaluator builds. */
  maxStringLength: 10_000,
});

/** Names that never resolve, whatever the input holds. */
const FORBIDDEN = new Set([
  "__proto__",
  "prototype",
  "constructor",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "__lookupSetter__",
]);

type Node =
  | { k: "lit"; v: unknown }
  | { k: "name"; name: string }
  | { k: "member"; obj: Node; key: Node | string }
  | { k: "call"; fn: string; args: Node[] }
  | { k: "unary"; op: "-" | "not"; arg: Node }
  | { k: "bin"; op: string; a: Node; b: Node };

type Token =
  | { t: "num"; v: number }
  | { t: "str"; v: string }
  | { t: "id"; v: string }
  | { t: "op"; v: string };

function syntax(message: string, source: string): HearthError {
  return new HearthError("TEMPLATE_INVALID", `Template syntax: ${message} in "${clip(source)}"`, {
    data: { template: clip(source) },
  });
}

function limit(message: string, source: string): HearthError {
  return new HearthError("TEMPLATE_LIMIT_EXCEEDED", `Template limit: ${message}`, {
    data: { template: clip(source) },
  });
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

const OPS = [
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "<",
  ">",
  "+",
  "-",
  "*",
  "/",
  "%",
  "!",
  "(",
  ")",
  "[",
  "]",
  ".",
  ",",
];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    if (c >= "0" && c <= "9") {
      const m = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i)) as RegExpExecArray;
      out.push({ t: "num", v: Number(m[0]) });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let s = "";
      let j = i + 1;
      for (;;) {
        if (j >= src.length) throw syntax("unterminated string", src);
        const d = src[j] as string;
        if (d === c) break;
        if (d === "\\") {
          const e = src[j + 1];
          if (e === undefined) throw syntax("unterminated string", src);
          s += e === "n" ? "\n" : e === "t" ? "\t" : e;
          j += 2;
          continue;
        }
        s += d;
        j++;
      }
      out.push({ t: "str", v: s });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i)) as RegExpExecArray;
      out.push({ t: "id", v: m[0] });
      i += m[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op === undefined) throw syntax(`unexpected character "${c}"`, src);
    out.push({ t: "op", v: op });
    i += op.length;
  }
  return out;
}

/** Functions a template may call: pure, over numbers and strings. */
const FUNCTIONS: Readonly<Record<string, (...args: unknown[]) => unknown>> = Object.freeze({
  round: (x, n) => {
    const f = 10 ** Math.min(Math.max(Math.trunc(num(n ?? 0)), 0), 10);
    return Math.round(num(x) * f) / f;
  },
  floor: (x) => Math.floor(num(x)),
  ceil: (x) => Math.ceil(num(x)),
  abs: (x) => Math.abs(num(x)),
  min: (...xs) => Math.min(...xs.map(num)),
  max: (...xs) => Math.max(...xs.map(num)),
  int: (x) => {
    const n = typeof x === "string" ? Number.parseInt(x, 10) : Math.trunc(Number(x));
    return Number.isFinite(n) ? n : null;
  },
  float: (x) => {
    const n = typeof x === "string" ? Number.parseFloat(x) : Number(x);
    return Number.isFinite(n) ? n : null;
  },
  str: (x) => show(x),
  length: (x) => (typeof x === "string" || Array.isArray(x) ? x.length : null),
  default: (x, d) => (x === null || x === undefined ? d : x),
});

function num(x: unknown): number {
  if (typeof x === "number") return x;
  if (typeof x === "boolean") return x ? 1 : 0;
  if (x === null || x === undefined) return Number.NaN;
  const n = typeof x === "string" && x.trim() !== "" ? Number(x) : Number.NaN;
  return n;
}

class Parser {
  #i = 0;
  readonly #toks: Token[];
  readonly #src: string;
  constructor(src: string) {
    this.#src = src;
    this.#toks = tokenize(src);
  }

  parse(): Node {
    if (this.#toks.length === 0) throw syntax("empty expression", this.#src);
    const node = this.#or(0);
    const rest = this.#toks[this.#i];
    if (rest !== undefined) throw syntax(`unexpected "${rest.v}"`, this.#src);
    return node;
  }

  #peek(): Token | undefined {
    return this.#toks[this.#i];
  }
  #isOp(...ops: string[]): string | undefined {
    const t = this.#peek();
    return t?.t === "op" && ops.includes(t.v) ? t.v : undefined;
  }
  #isWord(...words: string[]): string | undefined {
    const t = this.#peek();
    return t?.t === "id" && words.includes(t.v) ? t.v : undefined;
  }
  #expect(op: string): void {
    if (this.#isOp(op) === undefined) {
      const t = this.#peek();
      throw syntax(
        t === undefined ? `expected "${op}" at the end` : `expected "${op}", found "${t.v}"`,
        this.#src,
      );
    }
    this.#i++;
  }
  #deep(d: number): number {
    if (d > TEMPLATE_LIMITS.maxDepth)
      throw limit(`nesting deeper than ${TEMPLATE_LIMITS.maxDepth}`, this.#src);
    return d + 1;
  }

  #or(d: number): Node {
    d = this.#deep(d);
    let a = this.#and(d);
    while (this.#isOp("||") ?? this.#isWord("or")) {
      this.#i++;
      a = { k: "bin", op: "or", a, b: this.#and(d) };
    }
    return a;
  }
  #and(d: number): Node {
    let a = this.#not(d);
    while (this.#isOp("&&") ?? this.#isWord("and")) {
      this.#i++;
      a = { k: "bin", op: "and", a, b: this.#not(d) };
    }
    return a;
  }
  #not(d: number): Node {
    if (this.#isOp("!") ?? this.#isWord("not")) {
      this.#i++;
      return { k: "unary", op: "not", arg: this.#not(this.#deep(d)) };
    }
    return this.#compare(d);
  }
  #compare(d: number): Node {
    const a = this.#sum(d);
    const op = this.#isOp("==", "!=", "<", "<=", ">", ">=");
    if (op === undefined) return a;
    this.#i++;
    return { k: "bin", op, a, b: this.#sum(d) };
  }
  #sum(d: number): Node {
    let a = this.#product(d);
    for (let op = this.#isOp("+", "-"); op !== undefined; op = this.#isOp("+", "-")) {
      this.#i++;
      a = { k: "bin", op, a, b: this.#product(d) };
    }
    return a;
  }
  #product(d: number): Node {
    let a = this.#unary(d);
    for (let op = this.#isOp("*", "/", "%"); op !== undefined; op = this.#isOp("*", "/", "%")) {
      this.#i++;
      a = { k: "bin", op, a, b: this.#unary(d) };
    }
    return a;
  }
  #unary(d: number): Node {
    if (this.#isOp("-")) {
      this.#i++;
      return { k: "unary", op: "-", arg: this.#unary(this.#deep(d)) };
    }
    return this.#postfix(d);
  }
  #postfix(d: number): Node {
    let node = this.#primary(d);
    for (;;) {
      if (this.#isOp(".")) {
        this.#i++;
        const t = this.#peek();
        if (t?.t !== "id") throw syntax('a name must follow "."', this.#src);
        this.#i++;
        node = { k: "member", obj: node, key: t.v };
      } else if (this.#isOp("[")) {
        this.#i++;
        const key = this.#or(this.#deep(d));
        this.#expect("]");
        node = { k: "member", obj: node, key };
      } else return node;
      d = this.#deep(d);
    }
  }
  #primary(d: number): Node {
    const t = this.#peek();
    if (t === undefined) throw syntax("unexpected end", this.#src);
    this.#i++;
    if (t.t === "num" || t.t === "str") return { k: "lit", v: t.v };
    if (t.t === "id") {
      if (t.v === "true") return { k: "lit", v: true };
      if (t.v === "false") return { k: "lit", v: false };
      if (t.v === "null" || t.v === "none") return { k: "lit", v: null };
      if (["and", "or", "not"].includes(t.v)) throw syntax(`unexpected "${t.v}"`, this.#src);
      if (this.#isOp("(")) {
        if (!Object.hasOwn(FUNCTIONS, t.v)) throw syntax(`unknown function "${t.v}"`, this.#src);
        this.#i++;
        const args: Node[] = [];
        if (!this.#isOp(")")) {
          for (;;) {
            args.push(this.#or(this.#deep(d)));
            if (!this.#isOp(",")) break;
            this.#i++;
          }
        }
        this.#expect(")");
        return { k: "call", fn: t.v, args };
      }
      return { k: "name", name: t.v };
    }
    if (t.v === "(") {
      const inner = this.#or(this.#deep(d));
      this.#expect(")");
      return inner;
    }
    throw syntax(`unexpected "${t.v}"`, this.#src);
  }
}

/** The values a template reads: nothing else is reachable. */
export type TemplateScope = Readonly<Record<string, unknown>>;

/** Own, non-forbidden property of a plain object or array, else null. Never a getter's result. */
function member(obj: unknown, key: unknown): unknown {
  if (obj === null || obj === undefined) return null;
  if (typeof key !== "string" && typeof key !== "number") return null;
  const k = String(key);
  if (FORBIDDEN.has(k)) return null;
  if (typeof obj === "string") {
    if (k === "length") return obj.length;
    const i = Number(k);
    return Number.isInteger(i) && i >= 0 && i < obj.length ? obj[i] : null;
  }
  if (typeof obj !== "object") return null;
  if (Array.isArray(obj)) {
    if (k === "length") return obj.length;
    const i = Number(k);
    return Number.isInteger(i) && i >= 0 && i < obj.length ? (obj[i] ?? null) : null;
  }
  const proto = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== null) return null;
  const desc = Object.getOwnPropertyDescriptor(obj, k);
  if (desc === undefined || !("value" in desc)) return null;
  return desc.value ?? null;
}

class Evaluator {
  #steps = 0;
  constructor(
    readonly scope: TemplateScope,
    readonly src: string,
  ) {}

  run(n: Node): unknown {
    if (++this.#steps > TEMPLATE_LIMITS.maxSteps) {
      throw limit(`more than ${TEMPLATE_LIMITS.maxSteps} evaluation steps`, this.src);
    }
    switch (n.k) {
      case "lit":
        return n.v;
      case "name":
        return member(this.scope, n.name);
      case "member":
        return member(this.run(n.obj), typeof n.key === "string" ? n.key : this.run(n.key));
      case "call": {
        const fn = FUNCTIONS[n.fn] as (...a: unknown[]) => unknown;
        return this.#str(fn(...n.args.map((a) => this.run(a))));
      }
      case "unary": {
        const v = this.run(n.arg);
        return n.op === "not" ? !truthy(v) : this.#number(-num(v));
      }
      case "bin":
        return this.#binary(n.op, n.a, n.b);
    }
  }

  #binary(op: string, an: Node, bn: Node): unknown {
    if (op === "and") return truthy(this.run(an)) ? truthy(this.run(bn)) : false;
    if (op === "or") return truthy(this.run(an)) ? true : truthy(this.run(bn));
    const a = this.run(an);
    const b = this.run(bn);
    switch (op) {
      case "==":
        return equal(a, b);
      case "!=":
        return !equal(a, b);
      case "<":
      case "<=":
      case ">":
      case ">=": {
        const [x, y] = typeof a === "string" && typeof b === "string" ? [a, b] : [num(a), num(b)];
        if (typeof x === "number" && (Number.isNaN(x) || Number.isNaN(y as number))) return false;
        return op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : x >= y;
      }
      case "+":
        if (typeof a === "string" || typeof b === "string") return this.#str(show(a) + show(b));
        return this.#number(num(a) + num(b));
      case "-":
        return this.#number(num(a) - num(b));
      case "*":
        return this.#number(num(a) * num(b));
      case "/":
        return this.#number(num(b) === 0 ? Number.NaN : num(a) / num(b));
      case "%":
        return this.#number(num(b) === 0 ? Number.NaN : num(a) % num(b));
    }
    throw new HearthError("TEMPLATE_EVAL_FAILED", `Unknown operator "${op}"`);
  }

  #number(n: number): number | null {
    return Number.isFinite(n) ? n : null;
  }
  #str<T>(v: T): T {
    if (typeof v === "string" && v.length > TEMPLATE_LIMITS.maxStringLength) {
      throw limit(`a string longer than ${TEMPLATE_LIMITS.maxStringLength} characters`, this.src);
    }
    return v;
  }
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return Boolean(v);
}

function equal(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === b) return true;
  if (typeof a === "object" && typeof b === "object" && a !== null && b !== null) {
    return JSON.stringify(a) === JSON.stringify(b);
  }
  return false;
}

function show(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return "";
  }
}

type Part = string | { node: Node; src: string };

/** A parsed templated string: `render` gives its value for a scope. */
export interface CompiledTemplate {
  readonly source: string;
  /** True when the string holds at least one `{{ … }}`. */
  readonly dynamic: boolean;
  render(scope: TemplateScope): unknown;
}

const cache = new Map<string, CompiledTemplate>();
const CACHE_MAX = 4096;

/**
 * Parses a string with `{{ … }}` parts. A string that is exactly one `{{ expr }}` renders to the
 * expression's value (a number stays a number); otherwise the parts are joined into a string.
 * Throws TEMPLATE_INVALID or TEMPLATE_LIMIT_EXCEEDED.
 */
export function compileTemplate(source: string): CompiledTemplate {
  const hit = cache.get(source);
  if (hit !== undefined) return hit;
  if (source.length > TEMPLATE_LIMITS.maxSourceLength) {
    throw limit(`a template longer than ${TEMPLATE_LIMITS.maxSourceLength} characters`, source);
  }
  const parts: Part[] = [];
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf("{{", i);
    if (open === -1) {
      parts.push(source.slice(i));
      break;
    }
    if (open > i) parts.push(source.slice(i, open));
    const close = source.indexOf("}}", open + 2);
    if (close === -1) throw syntax('"{{" without "}}"', source);
    const expr = source.slice(open + 2, close);
    if (expr.length > TEMPLATE_LIMITS.maxExpressionLength) {
      throw limit(`an expression longer than ${TEMPLATE_LIMITS.maxExpressionLength} characters`, source);
    }
    parts.push({ node: new Parser(expr).parse(), src: expr });
    i = close + 2;
  }
  const dynamic = parts.some((p) => typeof p !== "string");
  const whole = parts.length === 1 && typeof parts[0] !== "string" ? parts[0] : undefined;
  const compiled: CompiledTemplate = {
    source,
    dynamic,
    render(scope) {
      if (!dynamic) return source;
      const ev = new Evaluator(scope, source);
      if (whole !== undefined) return ev.run(whole.node);
      let out = "";
      for (const p of parts) {
        out += typeof p === "string" ? p : show(ev.run(p.node));
        if (out.length > TEMPLATE_LIMITS.maxStringLength) {
          throw limit(`a string longer than ${TEMPLATE_LIMITS.maxStringLength} characters`, source);
        }
      }
      return out;
    },
  };
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(source, compiled);
  return compiled;
}

/** Renders one templated string. */
export function renderTemplate(source: string, scope: TemplateScope): unknown {
  return compileTemplate(source).render(scope);
}

/** Whether a string holds a template (`{{`). */
export function isTemplate(value: unknown): value is string {
  return typeof value === "string" && value.includes("{{");
}

/** Renders every templated string inside a JSON value (objects and arrays walked, keys kept). */
export function renderDeep(value: unknown, scope: TemplateScope, depth = 0): unknown {
  if (depth > 32) throw limit("a value nested deeper than 32 levels", "");
  if (typeof value === "string") return isTemplate(value) ? renderTemplate(value, scope) : value;
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, scope, depth + 1));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (FORBIDDEN.has(k)) continue;
      out[k] = renderDeep(v, scope, depth + 1);
    }
    return out;
  }
  return value;
}

/** Compiles every templated string inside a JSON value; returns the path of the first one that fails. */
export function checkTemplates(
  value: unknown,
  path: (string | number)[] = [],
): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const walk = (v: unknown, p: (string | number)[]) => {
    if (typeof v === "string") {
      if (!isTemplate(v)) return;
      try {
        compileTemplate(v);
      } catch (err) {
        issues.push({ path: p, message: (err as Error).message });
      }
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) walk(v[i], [...p, i]);
    } else if (v !== null && typeof v === "object")
      for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
  };
  walk(value, path);
  return issues;
}

export { truthy as templateTruthy };
