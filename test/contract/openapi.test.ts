/**
 * The served OpenAPI document as a contract, checked against the server (issue 11). For every
 * operation, inputs are generated from the document itself: valid ones from the schemas (the smallest,
 * plus a seeded random variant), and invalid ones that break one constraint at a time (wrong type,
 * over maxLength, under minLength, pattern, enum, bounds, a missing required field or body). Each is
 * sent with a token of exactly the operation's scope. Checked:
 * - valid input is accepted: 2xx, or a documented domain refusal (404 for what does not exist, 409);
 *   never a 400 or 422, which would mean the schema lets through what the server refuses;
 * - invalid input gets a documented 4xx (never a 2xx, never 401/403: the token is right);
 * - every response's status is documented for its operation, and its body matches the documented
 *   schema of that status (JSON) or has the documented media type;
 * - `links` lead somewhere: a created token is revoked through the link's parameter expression.
 * In-process (app.request), about a second; the seed is HEARTH_CONTRACT_SEED (default 11).
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { PluginDefinition } from "../../src/sdk/index.ts";
import { type Booted, bootRuntime, plugin, removeDataDirs } from "../helpers/runtime.ts";
import probe from "../reliability/http/probe-plugin/index.ts";
import {
  boundaryValue,
  check,
  type Resolve,
  resolver,
  type Schema,
  seeded,
  validValue,
  violations,
} from "./schema.ts";

const SEED = Number(process.env.HEARTH_CONTRACT_SEED ?? 11);
/** What a valid input may meet besides a 2xx: the entity does not exist, or conflicts. */
const DOMAIN_REFUSALS = new Set([404, 409]);

interface Param {
  name: string;
  in: "path" | "query";
  required: boolean;
  schema: Schema;
}
interface Response {
  description: string;
  content?: Record<string, { schema?: Schema }>;
  links?: Record<string, { operationId: string; parameters?: Record<string, string> }>;
}
interface Op {
  method: string;
  template: string;
  id: string;
  scope: string;
  params: Param[];
  body: { required: boolean; schema: Schema } | undefined;
  responses: Record<string, Response>;
}
interface Doc {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components?: { schemas?: Record<string, Schema> };
}

/** One request: parameter values by name, and the body (MISSING: none at all). */
interface Input {
  label: string;
  valid: boolean;
  values: Record<string, unknown>;
  body: unknown;
}
const MISSING = Symbol("missing");

interface Sent {
  op: Op;
  input: Input;
  status: number;
  contentType: string;
  body: unknown;
}

let b: Booted;
let doc: Doc;
let resolve: Resolve;
let ops: Op[];
const tokens: Record<string, string> = {};
const results: Sent[] = [];

beforeAll(async () => {
  // The reliability fixture: owner endpoints with path, query and body schemas, in-process.
  b = await bootRuntime({ plugins: [plugin("probe", probe as PluginDefinition<unknown>)] });
  tokens.admin = b.token;
  for (const scope of ["read", "control"]) {
    tokens[scope] = (await b.tokens.create({ name: `contract-${scope}`, scopes: [scope as "read"] })).token;
  }
  doc = await b.json<Doc>("/openapi.json");
  resolve = resolver(doc);
  ops = operationsOf(doc);
  const rand = seeded(SEED);
  for (const op of ops) {
    for (const input of inputsFor(op, rand)) results.push(await send(op, input));
  }
});
afterAll(async () => {
  await b.stop();
  removeDataDirs();
});

function operationsOf(d: Doc): Op[] {
  const out: Op[] = [];
  for (const [template, item] of Object.entries(d.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      const rb = raw.requestBody as { required?: boolean; content?: Record<string, { schema?: Schema }> };
      const json = rb?.content?.["application/json"];
      out.push({
        method: method.toUpperCase(),
        template,
        id: String(raw.operationId),
        scope: String(raw["x-scope"] ?? "public"),
        params: ((raw.parameters ?? []) as Param[]).map((p) => ({ ...p, required: p.required === true })),
        body: json === undefined ? undefined : { required: rb.required === true, schema: json.schema ?? {} },
        responses: raw.responses as Record<string, Response>,
      });
    }
  }
  return out;
}

/** The valid inputs (smallest, seeded variant) and one per broken constraint. */
function inputsFor(op: Op, rand: () => number): Input[] {
  const base = (make: (s: Schema) => unknown) => {
    const values: Record<string, unknown> = {};
    for (const p of op.params) values[p.name] = make(p.schema);
    const body = op.body === undefined ? MISSING : make(op.body.schema);
    return { values, body };
  };
  const valid = base((s) => validValue(s, resolve));
  const out: Input[] = [
    { label: "valid", valid: true, ...valid },
    { label: `valid (seed ${SEED})`, valid: true, ...base((s) => validValue(s, resolve, rand)) },
    { label: "valid at the upper bounds", valid: true, ...base((s) => boundaryValue(s, resolve)) },
  ];
  for (const p of op.params) {
    for (const v of violations(p.schema, resolve, { url: true })) {
      // An empty path segment is another route, not a broken parameter.
      if (p.in === "path" && v.value === "") continue;
      out.push({
        label: `${p.in} ${p.name}: ${v.what}`,
        valid: false,
        values: { ...valid.values, [p.name]: v.value },
        body: valid.body,
      });
    }
    if (p.in === "query" && p.required) {
      const values = { ...valid.values };
      delete values[p.name];
      out.push({ label: `query ${p.name}: missing`, valid: false, values, body: valid.body });
    }
  }
  if (op.body !== undefined) {
    const schema = resolve(op.body.schema);
    if (op.body.required) {
      out.push({ label: "body: missing", valid: false, values: valid.values, body: MISSING });
    }
    for (const v of violations(schema, resolve)) {
      out.push({ label: `body: ${v.what}`, valid: false, values: valid.values, body: v.value });
    }
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    const required = new Set((schema.required ?? []) as string[]);
    const obj = (valid.body ?? {}) as Record<string, unknown>;
    for (const [name, s] of Object.entries(props)) {
      for (const v of violations(s, resolve)) {
        out.push({
          label: `body.${name}: ${v.what}`,
          valid: false,
          values: valid.values,
          body: { ...obj, [name]: v.value },
        });
      }
      if (required.has(name)) {
        const { [name]: _dropped, ...rest } = obj;
        out.push({ label: `body.${name}: missing`, valid: false, values: valid.values, body: rest });
      }
    }
  }
  return out;
}

async function send(op: Op, input: Input): Promise<Sent> {
  let path = op.template;
  const query = new URLSearchParams();
  for (const p of op.params) {
    if (!(p.name in input.values) || input.values[p.name] === undefined) continue;
    const value = String(input.values[p.name]);
    if (p.in === "path") path = path.replace(`{${p.name}}`, encodeURIComponent(value));
    else query.set(p.name, value);
  }
  const target = query.size > 0 ? `${path}?${query}` : path;
  const init: RequestInit & { token?: string | null } = {
    method: op.method,
    token: op.scope === "public" ? null : tokens[op.scope],
  };
  if (input.body !== MISSING) init.body = JSON.stringify(input.body);
  const res = await b.request(target, init);
  const contentType = res.headers.get("content-type") ?? "";
  let body: unknown;
  if (contentType.includes("text/event-stream")) await res.body?.cancel();
  else {
    const text = await res.text();
    body = contentType.includes("application/json") && text !== "" ? JSON.parse(text) : text;
  }
  return { op, input, status: res.status, contentType, body };
}

const where = (s: Sent) => `${s.op.method} ${s.op.template} [${s.input.label}] → ${s.status}`;

/** Problems of one response against the operation's documented responses. */
function responseProblems(s: Sent): string[] {
  const documented = s.op.responses[String(s.status)];
  if (documented === undefined) {
    return [`${where(s)}: status not documented (${JSON.stringify(s.body).slice(0, 160)})`];
  }
  if (documented.content === undefined) {
    return s.body === "" || s.body === undefined ? [] : [`${where(s)}: a body where none is documented`];
  }
  const media = Object.keys(documented.content).find((m) => s.contentType.startsWith(m));
  if (media === undefined) return [`${where(s)}: content-type ${s.contentType} not documented`];
  const schema = documented.content[media]?.schema;
  if (media !== "application/json" || schema === undefined) return [];
  return check(s.body, schema, resolve).map((p) => `${where(s)}: ${p}`);
}

describe("the OpenAPI document against the server", () => {
  it("generates a valid input and at least one invalid one for the operations that take input", () => {
    for (const op of ops) {
      const mine = results.filter((r) => r.op === op);
      expect([op.id, mine.some((r) => r.input.valid)]).toEqual([op.id, true]);
      if (op.params.length > 0 || op.body !== undefined) {
        const invalid = mine.filter((r) => !r.input.valid).length;
        // The generic service call and the echo endpoint take any JSON: nothing to break there.
        if (op.params.length > 0) expect([op.id, invalid > 0]).toEqual([op.id, true]);
      }
    }
    console.log(`[contract] ${ops.length} operations, ${results.length} requests, seed ${SEED}`);
  });

  it("accepts every valid input (2xx, or a documented 404/409 for what does not exist)", () => {
    const refused = results
      .filter((r) => r.input.valid)
      .filter((r) => !(r.status >= 200 && r.status < 300) && !DOMAIN_REFUSALS.has(r.status))
      .map((r) => `${where(r)} ${JSON.stringify(r.body).slice(0, 200)}`);
    expect(refused).toEqual([]);
  });

  it("refuses every invalid input with a documented 4xx other than 401 and 403", () => {
    const wrong = results
      .filter((r) => !r.input.valid)
      .filter((r) => r.status < 400 || r.status >= 500 || r.status === 401 || r.status === 403)
      .map((r) => `${where(r)} ${JSON.stringify(r.body).slice(0, 200)}`);
    expect(wrong).toEqual([]);
  });

  it("answers only documented statuses, with bodies that match the documented schema", () => {
    expect(results.flatMap(responseProblems)).toEqual([]);
  });

  it("follows the links of a created token: its revokeToken link revokes it", async () => {
    const create = ops.find((o) => o.id === "createToken") as Op;
    const created = await send(create, {
      label: "link source",
      valid: true,
      values: {},
      body: { name: "linked", scopes: ["read"] },
    });
    expect(created.status).toBe(201);
    const links = create.responses["201"]?.links ?? {};
    expect(Object.keys(links).length).toBeGreaterThan(0);
    for (const link of Object.values(links)) {
      const target = ops.find((o) => o.id === link.operationId) as Op;
      expect(target).toBeDefined();
      const values: Record<string, unknown> = {};
      for (const [name, expr] of Object.entries(link.parameters ?? {})) {
        values[name] = pointer(created.body, expr.replace(/^\$response\.body#/, ""));
      }
      const followed = await send(target, { label: "link", valid: true, values, body: MISSING });
      expect(responseProblems(followed)).toEqual([]);
      expect(followed.status).toBe(204);
    }
    const secret = (created.body as { token: string }).token;
    expect((await b.request("/api/v1/runtime", { token: secret })).status).toBe(401);
  });
});

/** A JSON Pointer (RFC 6901) into `value`. */
function pointer(value: unknown, ptr: string): unknown {
  let at = value;
  for (const raw of ptr.split("/").slice(1)) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    at = (at as Record<string, unknown> | undefined)?.[key];
  }
  return at;
}
