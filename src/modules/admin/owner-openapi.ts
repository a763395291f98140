/**
 * The OpenAPI part of owner endpoints, generated from their zod schemas with zod's own JSON Schema
 * export (draft 2020-12, which OpenAPI 3.1 uses), one tag per owner.
 */
import { z } from "zod";
import type { RegisteredEndpoint } from "../../kernel/http/types.ts";
import {
  API_SECURITY,
  AUTH_ERRORS,
  bodyErrors,
  ERROR_DESCRIPTIONS,
  ERROR_HEADERS,
  SERVICE_ERRORS,
} from "./openapi.ts";

type JsonSchema = Record<string, unknown>;
type Operation = Record<string, unknown>;
export type PathItems = Record<string, Record<string, Operation>>;

const ERROR_REF = { $ref: "#/components/schemas/Error" };
const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

/** The error statuses of one endpoint: auth, the service's own, and what its method's body can cause. */
function errorStatuses(method: string): number[] {
  const media = BODY_METHODS.has(method) ? [415] : [];
  return [...new Set([...AUTH_ERRORS, ...SERVICE_ERRORS, ...bodyErrors(method), ...media])].sort();
}

/** Path items and tags for the endpoints, ready to merge into the document. */
export function ownerPaths(endpoints: readonly RegisteredEndpoint[]): {
  paths: PathItems;
  tags: { name: string; description: string }[];
} {
  const paths: PathItems = {};
  const owners = new Set<string>();
  const ids = new Set<string>();
  // Sorted by path and method, so a suffix that keeps an id unique is the same on every call.
  const sorted = [...endpoints].sort((a, b) =>
    a.fullPath === b.fullPath ? cmp(a.method, b.method) : cmp(a.fullPath, b.fullPath),
  );
  for (const e of sorted) {
    owners.add(e.owner);
    const { path, pathParams } = openApiPath(e.fullPath);
    const base = operationId(e);
    let id = base;
    for (let n = 2; ids.has(id); n++) id = `${base}_${n}`;
    ids.add(id);
    paths[path] = { ...paths[path], [e.method.toLowerCase()]: operation(e, pathParams, id) };
  }
  const tags = [...owners].sort().map((name) => ({ name, description: `Endpoints of \`${name}\`` }));
  return { paths, tags };
}

/** Hono's `/:id{[0-9]+}` and `*` become OpenAPI's `/{id}` and `/{wildcard}`. */
function openApiPath(fullPath: string): { path: string; pathParams: string[] } {
  const pathParams: string[] = [];
  let wildcards = 0;
  const segments = fullPath.split("/").map((s) => {
    if (s.startsWith(":")) {
      const name = /^:([A-Za-z_][A-Za-z0-9_]*)/.exec(s)?.[1] ?? "param";
      pathParams.push(name);
      return `{${name}}`;
    }
    if (s === "*") {
      const name = wildcards++ === 0 ? "wildcard" : `wildcard${wildcards}`;
      pathParams.push(name);
      return `{${name}}`;
    }
    return s;
  });
  return { path: segments.join("/"), pathParams };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function operation(e: RegisteredEndpoint, pathParams: string[], id: string): Operation {
  const params = toSchema(e.params, "input");
  const query = toSchema(e.query, "input");
  const parameters: Record<string, unknown>[] = pathParams.map((name) => ({
    name,
    in: "path",
    required: true,
    schema: propertyOf(params, name) ?? { type: "string" },
  }));
  const queryProps = (query?.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((query?.required ?? []) as string[]);
  for (const [name, schema] of Object.entries(queryProps)) {
    parameters.push({ name, in: "query", required: required.has(name), schema });
  }
  const op: Operation = {
    tags: [e.owner],
    summary: e.summary,
    description: `Calls the service \`${e.service}\` with path parameters, query and body merged as its params.\n\nScope: \`${e.scope}\`.`,
    operationId: id,
    security: API_SECURITY,
    "x-scope": e.scope,
    "x-service": e.service,
    parameters,
    responses: {
      [e.status]:
        e.status === 204
          ? { description: "Done (no body)" }
          : {
              description:
                e.status === 201 ? "Created: what the service returned" : "What the service returned",
              content: { "application/json": { schema: toSchema(e.response, "output") ?? {} } },
            },
      ...Object.fromEntries(
        errorStatuses(e.method).map((s) => {
          const headers = ERROR_HEADERS[s];
          return [
            s,
            {
              description: ERROR_DESCRIPTIONS[s] ?? "Error",
              ...(headers === undefined ? {} : { headers }),
              content: { "application/json": { schema: ERROR_REF } },
            },
          ];
        }),
      ),
    },
  };
  if (BODY_METHODS.has(e.method)) {
    op.requestBody = {
      required: bodyRequired(e.body),
      content: { "application/json": { schema: toSchema(e.body, "input") ?? {} } },
    };
  }
  return op;
}

/** `<method>_<path>` (`post_probe_items_id`): never clashes with a built-in id, which has no `_`. */
function operationId(e: RegisteredEndpoint): string {
  const path = e.fullPath
    .replace(/^\/api\/v1\//, "")
    .replace(/\{[^}]*\}/g, "")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_|_$/g, "");
  return `${e.method.toLowerCase()}_${path}`;
}

function toSchema(schema: z.ZodType | undefined, io: "input" | "output"): JsonSchema | undefined {
  if (schema === undefined) return undefined;
  try {
    const out = z.toJSONSchema(schema, {
      target: "draft-2020-12",
      unrepresentable: "any",
      // A `$ref` into local `$defs` would point nowhere once embedded in the document.
      cycles: "throw",
      io,
    }) as JsonSchema;
    delete out.$schema;
    return out;
  } catch {
    // Cycles or exotic types: document "any JSON" rather than fail the whole document.
    return {};
  }
}

function propertyOf(schema: JsonSchema | undefined, name: string): JsonSchema | undefined {
  const props = schema?.properties as Record<string, JsonSchema> | undefined;
  return props?.[name];
}

function bodyRequired(schema: z.ZodType | undefined): boolean {
  if (schema === undefined) return false;
  try {
    return !schema.safeParse(undefined).success;
  } catch {
    return true;
  }
}
