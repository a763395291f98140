/**
 * Reads every GET route of the served /openapi.json with every path parameter value that exists
 * (plugins, storage namespaces, state keys, token ids, the fixture endpoints' keys), plus the places
 * secrets live asked for by name, and hands each reply to the scan as a surface.
 */
import { type OpenApiDoc, operations } from "../http/corpus.ts";
import type { SurfaceKind } from "./markers.ts";

export interface Reply {
  status: number;
  text: string;
}

/** What one pass over every GET route saw. */
export interface Phase {
  /** GET templates of /openapi.json requested, and how many requests that made. */
  templates: string[];
  requests: number;
  namespaces: { namespace: string; keys: number; secret: boolean }[];
  stateKeys: string[];
}

/** Where secrets live, asked for by name although no listing shows them. */
export const HIDDEN_KEYS = [
  "vault.secrets/wifi",
  "vault.secrets/api",
  "keyring/wifi",
  "secrets/smtp",
  "auth/oauth:client",
];
/** Other spellings of where secrets live (case, escapes, dots, slashes), sent as they are. */
export const OTHER_SPELLINGS = [
  "/api/v1/storage/AUTH",
  "/api/v1/storage/Auth",
  "/api/v1/storage/SECRETS",
  "/api/v1/storage/Vault.Secrets",
  "/api/v1/storage/KEYRING",
  "/api/v1/storage/%61uth",
  "/api/v1/storage/auth%00",
  "/api/v1/storage/auth%20",
  "/api/v1/storage/auth/",
  "/api/v1/storage/auth?prefix=token:",
  "/api/v1/storage/vault%2Esecrets",
  "/api/v1/storage/vault.secrets.",
  "/api/v1/state/KEYRING/wifi",
  "/api/v1/state/keyring%2fwifi",
  "/api/v1/state/%6Beyring/wifi",
  "/api/v1/state/./keyring/wifi",
  "/api/v1/state/keyring//wifi",
  "/api/v1/state/keyring/wifi/",
  "/api/v1/state/vault.secrets/wifi?x=1",
  "/api/v1/state?pattern=keyring/**",
  "/api/v1/state?pattern=vault.secrets/*",
  "/api/v1/state?pattern=*/wifi",
];

/** Query values for GET routes that need one. */
const REQUIRED_QUERY: Record<string, string> = { "/api/v1/state": "pattern=**" };
export type Send = (label: string, method: string, path: string) => Promise<Reply>;
export type AddSurface = (name: string, kind: SurfaceKind, text: string) => void;

/** One pass over every GET route; `phase` prefixes each label (`live`, `restarted`). */
export async function readEverything(
  phase: string,
  url: (path: string) => string,
  send: Send,
  surface: AddSurface,
  known: { revokedIds: string[] },
): Promise<Phase> {
  const get = async (path: string, kind: SurfaceKind = "get") => {
    const reply = await send(`${phase} GET ${path}`, "GET", path);
    surface(`${phase} GET ${path}`, kind, reply.text);
    return reply;
  };
  const json = async <T>(path: string, kind?: SurfaceKind) => JSON.parse((await get(path, kind)).text) as T;
  const doc = (await (await fetch(url("/openapi.json"))).json()) as OpenApiDoc;
  const plugins = (await json<{ plugins: { name: string }[] }>("/api/v1/plugins")).plugins.map((p) => p.name);
  const { namespaces } = await json<{ namespaces: Phase["namespaces"] }>("/api/v1/storage");
  const { keys: stateKeys } = await json<{ keys: string[] }>("/api/v1/state?pattern=**", "state");
  const { tokens } = await json<{ tokens: { id: string }[] }>("/api/v1/tokens");
  const devices = (await json<{ devices: { id: string }[] }>("/api/v1/devices")).devices.map((d) => d.id);
  const automations = (await json<{ automations: { id: string }[] }>("/api/v1/automations")).automations.map(
    (a) => a.id,
  );
  const people = (await json<{ people: { id: string }[] }>("/api/v1/people")).people.map((p) => p.id);
  const tokenIds = [...tokens.map((t) => t.id), ...known.revokedIds];
  const stateValues = [...new Set([...stateKeys, ...HIDDEN_KEYS])];
  const values = (template: string, param: string): string[] => {
    if (template === "/api/v1/state/{key}") return stateValues;
    if (param === "namespace") return namespaces.map((n) => n.namespace);
    if (param === "name") return plugins;
    if (param === "id" && template.startsWith("/api/v1/tokens/")) return tokenIds;
    if (/^\/api\/v1\/(vault|keyring)\/secrets\/\{key\}$/.test(template)) return ["wifi", "api", "svc"];
    if (/^\/api\/v1\/(vault|keyring)\/notes\/\{key\}$/.test(template)) return ["n1"];
    if (template === "/api/v1/probe/items/{id}") return ["p1"];
    if (template === "/api/v1/devices/{id}") return devices;
    if (template === "/api/v1/people/{id}") return people;
    if (template.startsWith("/api/v1/automations/{id}")) return automations;
    throw new Error(`no values for {${param}} of GET ${template}: teach the secrets suite about it`);
  };
  const templates: string[] = [];
  let requests = 0;
  for (const op of operations(doc).filter((o) => o.method === "GET")) {
    if (op.template === "/api/v1/events/stream") continue; // read as a stream for the whole run
    templates.push(op.template);
    const query = REQUIRED_QUERY[op.template];
    const required = op.params.filter((p) => p.in === "query" && p.required);
    if (required.length > 0 && query === undefined) {
      throw new Error(`required query ${required.map((p) => p.name)} of GET ${op.template}`);
    }
    let paths = [op.template];
    for (const p of op.params.filter((q) => q.in === "path")) {
      paths = paths.flatMap((t) =>
        values(op.template, p.name).map((v) => t.replace(`{${p.name}}`, encodeURIComponent(v))),
      );
    }
    for (const path of paths) {
      const kind = path === "/metrics" ? "metrics" : path.startsWith("/api/v1/state") ? "state" : "get";
      await get(query === undefined ? path : `${path}?${query}`, kind);
      requests++;
    }
  }
  // State keys once more with their slashes as they are (the other documented spelling).
  for (const key of stateValues) {
    await get(`/api/v1/state/${key}`, "state");
    requests++;
  }
  for (const path of OTHER_SPELLINGS) {
    await get(path, path.startsWith("/api/v1/state") ? "state" : "get");
    requests++;
  }
  return { templates, requests, namespaces, stateKeys };
}
