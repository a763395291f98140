/**
 * One run of the secrets suite against the compiled binary at one log level: plants every kind of
 * secret (tokens from the API and the CLI, revoked ones included; secret-namespace values written
 * through the API, a plugin and from outside; plugin config secrets; wrong tokens; secrets in
 * requests that fail), then captures every surface they could leak through: the whole process output,
 * every GET route of /openapi.json with real parameter values, every state key, /metrics, the SSE
 * stream, the CLI's output, and the data dir with a `hearth backup` copy.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { openStorage } from "../../../src/kernel/storage/index.ts";
import { type Running, runHearth, startHearth, tempDir } from "../../e2e/harness.ts";
import { type Instance, startInstance } from "../http/instance.ts";
import { type Phase, type Reply, readEverything } from "./get-routes.ts";
import { Markers, randomMarker, type Surface, type SurfaceKind } from "./markers.ts";

export type Level = "debug" | "info";

export interface Run {
  level: Level;
  markers: Markers;
  surfaces: Surface[];
  /** Status (or CLI exit code) of each labelled request. */
  status: Record<string, number>;
  /** Every GET route read while the first process ran, and again after a restart. */
  phases: { live: Phase; restarted: Phase };
  /** Live (not revoked) tokens, for the hashed-storage control. */
  liveTokens: string[];
  /** Secret markers found as they are in the data dir: secret namespaces are stored unencrypted. */
  atRest: string[];
}

const FIXTURE = join(import.meta.dir, "vault-plugin");
const PROBE = join(import.meta.dir, "../http/probe-plugin");
/** Namespaces the config marks secret, besides the built-in `auth` and `secrets`. */
export const CONFIGURED_SECRET = ["vault.secrets", "keyring"];
/**
 * Failed authentications before an address is blocked. Wrong tokens come from X-Forwarded-For
 * addresses (trusted here), so the test's own address is never blocked.
 */
const MAX_FAILURES = 3;

function installPlugins(dir: string): void {
  const manifests = [
    { name: "vault" },
    { name: "keyring", isIntegration: true },
    { name: "vault-bad", description: "Same code; its config fails validation" },
  ];
  for (const m of manifests) {
    mkdirSync(join(dir, m.name), { recursive: true });
    cpSync(join(FIXTURE, "index.ts"), join(dir, m.name, "index.ts"));
    writeFileSync(
      join(dir, m.name, "plugin.json"),
      JSON.stringify({ version: "1.0.0", entry: "index.ts", ...m }),
    );
  }
  cpSync(PROBE, join(dir, "probe"), { recursive: true });
}

/** Reads an SSE stream into memory until stopped. */
async function captureSse(url: string, token: string) {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` }, signal: abort.signal });
  let text = "";
  const reading = (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body ?? []) text += decoder.decode(chunk, { stream: true });
    } catch {
      // aborted
    }
  })();
  return {
    status: res.status,
    async stop(): Promise<string> {
      await Bun.sleep(100); // let the last events through
      abort.abort();
      await reading;
      return text;
    },
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

export async function exercise(level: Level): Promise<Run> {
  const m = new Markers();
  const surfaces: Surface[] = [];
  const status: Record<string, number> = {};
  const surface = (name: string, kind: SurfaceKind, text: string, extra: Partial<Surface> = {}) =>
    surfaces.push({ name: `${level} ${name}`, kind, text, ...extra });

  // Plugin config: secrets in the slices of `vault` and `keyring`, and in one that fails validation.
  const plugins = tempDir("secrets-plugins");
  installPlugins(plugins);
  const vault = {
    networkKey: m.secret("config.vault.networkKey", "config"),
    // Characters that URL and form encoding change, so those forms differ from the raw one.
    password: m.secret("config.vault.password", "config", `${randomMarker("SECRET")}/p@ss w0rd&x=1`),
    label: m.control("vault.label"),
    secretNamespace: "vault.secrets",
  };
  const keyring = {
    networkKey: m.secret("config.keyring.networkKey", "config"),
    password: m.secret("config.keyring.password", "config"),
    label: m.control("keyring.label"),
    secretNamespace: "keyring",
    stateCopy: true,
  };
  const bad = {
    networkKey: m.secret("config.bad.networkKey", "config"),
    password: m.secret("config.bad.password", "config", `${randomMarker("SECRET")}${"-".repeat(40)}`),
    label: m.control("bad.label"),
    secretNamespace: "vault-bad.secrets",
    extra: m.secret("config.bad.extra", "config"),
  };
  const inst: Instance = await startInstance(
    {
      logLevel: level,
      pluginsDir: plugins,
      http: { trustProxy: true, authMaxFailures: MAX_FAILURES, authWindowMs: 600_000, maxBodyBytes: 65_536 },
      storage: { secretNamespaces: CONFIGURED_SECRET, maxValueBytes: 8192 },
      plugins: { vault: { config: vault }, keyring: { config: keyring }, "vault-bad": { config: bad } },
    },
    { probe: false },
  ).catch((err) => {
    rmSync(plugins, { recursive: true, force: true });
    throw err;
  });
  let url = inst.url;
  let second: Running | undefined;
  const outputs: string[] = [];
  const cli = ["--config", join(inst.data, "hearth.json"), "--data-dir", inst.data];
  const hearth = async (label: string, args: string[]) => {
    const r = await runHearth(inst.bin, [...args, ...cli]);
    status[label] = r.code;
    return r;
  };
  const send = async (
    label: string,
    method: string,
    path: string,
    o: { token?: string | null; json?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<Reply> => {
    const headers: Record<string, string> = { ...o.headers };
    const token = o.token === undefined ? inst.token : o.token;
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    let body: string | undefined = o.raw;
    if (o.json !== undefined) body = JSON.stringify(o.json);
    if (body !== undefined) headers["Content-Type"] ??= "application/json";
    const res = await fetch(url(path), { method, headers, body, redirect: "manual" });
    const reply = { status: res.status, text: await res.text() };
    status[label] = reply.status;
    return reply;
  };
  /** A request whose reply must not hold any secret (own URL input excepted when `echo`). */
  const probe = async (
    label: string,
    method: string,
    path: string,
    o: Parameters<typeof send>[3] & { echo?: string } = {},
  ) => {
    const reply = await send(label, method, path, o);
    surface(`reply: ${label}`, "error", reply.text, o.echo ? { allow: [o.echo] } : {});
    return reply;
  };

  try {
    m.secret("token.bootstrap", "token", inst.token);
    const sse = await captureSse(url("/api/v1/events/stream?pattern=*"), inst.token);
    status["sse open"] = sse.status;

    // Tokens: through the API and the CLI; one of each revoked by the other path.
    const apiRead = await inst.createToken(m.control("name.api-read"), ["read"]);
    const apiAdmin = await inst.createToken(m.control("name.api-admin"), ["admin"]);
    const apiRevoked = await inst.createToken(m.control("name.api-revoked"), ["control"]);
    m.secret("token.api-read", "token", apiRead.token);
    m.secret("token.api-admin", "token", apiAdmin.token);
    m.secret("token.api-revoked", "token", apiRevoked.token);
    const cliRead = await hearth("cli create", [
      "token",
      "create",
      "--name",
      m.control("name.cli-read"),
      "--scope",
      "read",
    ]);
    const cliReadToken = cliRead.stdout.trim();
    m.secret("token.cli-read", "token", cliReadToken);
    surface("cli token create (stderr)", "cli", cliRead.stderr);
    const cliJson = await hearth("cli create --json", [
      "token",
      "create",
      "--json",
      "--name",
      m.control("name.cli-revoked"),
      "--scope",
      "admin",
    ]);
    const cliRevoked = JSON.parse(cliJson.stdout) as { token: string; id: string };
    m.secret("token.cli-revoked", "token", cliRevoked.token);
    surface("cli token create --json (stderr)", "cli", cliJson.stderr);

    for (const [name, token] of [
      ["api-read", apiRead.token],
      ["api-admin", apiAdmin.token],
      ["api-revoked", apiRevoked.token],
      ["cli-read", cliReadToken],
      ["cli-revoked", cliRevoked.token],
    ] as const) {
      await send(`use ${name}`, "GET", "/api/v1/runtime", { token });
    }
    const revokedByCli = await hearth("cli revoke", ["token", "revoke", apiRevoked.id]);
    surface("cli token revoke", "cli", revokedByCli.stdout + revokedByCli.stderr);
    await send("api revoke", "DELETE", `/api/v1/tokens/${cliRevoked.id}`);
    // Revoked tokens come back, from an address of their own so nothing here gets blocked.
    for (const [name, token] of [
      ["api-revoked", apiRevoked.token],
      ["cli-revoked", cliRevoked.token],
    ] as const) {
      await probe(`revoked ${name}`, "GET", "/api/v1/runtime", {
        token,
        headers: { "X-Forwarded-For": "10.9.8.1" },
      });
    }
    for (const args of [
      ["token", "list"],
      ["token", "list", "--json"],
    ]) {
      const r = await hearth(`cli ${args.join(" ")}`, args);
      surface(`cli ${args.join(" ")}`, "cli", r.stdout + r.stderr);
    }

    // Secret-namespace values: through the plugin's endpoints, the generic service call, and from
    // outside the process (nothing in Hearth writes `secrets`; a plugin may not touch `auth`).
    const put = (ns: string, key: string, value: string) =>
      send(`put ${ns}/${key}`, "POST", `/api/v1/${ns}/secrets/${key}`, { json: { value } });
    await put("vault", "api", m.secret("storage.vault.http", "storage"));
    await put("keyring", "api", m.secret("storage.keyring.http", "storage"));
    await send("service put_secret", "POST", "/api/v1/services/vault.put_secret/call", {
      json: { key: "svc", value: m.secret("storage.vault.service", "storage") },
    });
    await send("put note", "POST", "/api/v1/vault/notes/n1", { json: { value: m.control("vault.note") } });
    await send("put keyring note", "POST", "/api/v1/keyring/notes/n1", {
      json: { value: m.control("keyring.note") },
    });
    await send("probe item", "POST", "/api/v1/probe/items/p1?ttlMs=60000", {
      json: { n: 1, label: m.control("probe.label") },
    });
    const outside = await openStorage({ path: join(inst.data, "hearth.db") });
    try {
      await outside.set("secrets", "smtp", {
        apiKey: m.secret("storage.secrets.apiKey", "storage"),
        password: m.secret("storage.secrets.password", "storage"),
      });
      await outside.set("auth", "oauth:client", { clientSecret: m.secret("storage.auth.oauth", "storage") });
      await outside.set("planted", "doc", { value: m.control("planted.public") });
    } finally {
      await outside.close();
    }

    // Wrong tokens in Authorization, each from its own address; the first until it is blocked.
    const wellFormed = m.secret(
      "attempt.well-formed",
      "attempt",
      `hth_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}`,
    );
    const last = inst.token.at(-1) === "A" ? "B" : "A";
    const nearMiss = m.secret("attempt.near-miss", "attempt", `${inst.token.slice(0, -1)}${last}`);
    const wrong: [string, string, string][] = [
      ["well-formed 1", "10.9.9.1", `Bearer ${wellFormed}`],
      ["well-formed 2", "10.9.9.1", `Bearer ${wellFormed}`],
      ["well-formed 3", "10.9.9.1", `Bearer ${wellFormed}`],
      ["well-formed 4", "10.9.9.1", `Bearer ${wellFormed}`],
      ["near-miss", "10.9.9.2", `Bearer ${nearMiss}`],
      ["malformed", "10.9.9.3", `Bearer ${m.secret("attempt.malformed", "attempt")} trailing`],
      [
        "basic",
        "10.9.9.4",
        `Basic ${Buffer.from(`admin:${m.secret("attempt.basic", "attempt")}`).toString("base64")}`,
      ],
      ["no scheme", "10.9.9.5", m.secret("attempt.no-scheme", "attempt")],
      ["lowercase", "10.9.9.6", `bearer ${m.secret("attempt.lowercase", "attempt")}`],
    ];
    for (const [label, address, header] of wrong) {
      await probe(`wrong ${label}`, "GET", "/api/v1/state?pattern=**", {
        token: null,
        headers: { Authorization: header, "X-Forwarded-For": address },
      });
    }
    await probe("wrong on owner route", "GET", "/api/v1/vault/secrets/wifi", {
      token: null,
      headers: { Authorization: `Bearer ${wellFormed}`, "X-Forwarded-For": "10.9.9.7" },
    });
    await probe("wrong on SSE", "GET", "/api/v1/events/stream", {
      token: null,
      headers: { Authorization: `Bearer ${nearMiss}`, "X-Forwarded-For": "10.9.9.8" },
    });

    // A token in the query string is not a credential anywhere.
    for (const path of ["/api/v1/runtime", "/api/v1/events/stream", "/metrics", "/api/v1/vault/notes/n1"]) {
      const q = `access_token=${encodeURIComponent(apiRead.token)}&token=${encodeURIComponent(apiAdmin.token)}`;
      await probe(`query token ${path}`, "GET", `${path}?${q}`, { token: null });
    }

    // Requests that fail while carrying a secret: body and header input must not come back, URL
    // input may (a 404 names what it did not find, to the client that asked); none may be logged.
    const input = (name: string) => m.secret(`input.${name}`, "input");
    await probe("invalid JSON", "POST", "/api/v1/tokens", {
      raw: `{"name":"${input("invalid-json")}","scopes":[`,
    });
    await probe("bad scope", "POST", "/api/v1/tokens", { json: { name: "x", scopes: [input("bad-scope")] } });
    await probe("control char in name", "POST", "/api/v1/tokens", {
      json: { name: `${input("control-char")}\u0001`, scopes: ["read"] },
    });
    await probe("secret fails endpoint schema", "POST", "/api/v1/vault/secrets/bad", {
      json: { value: `${input("endpoint-schema")}!!` },
    });
    await probe("secret too large for storage", "POST", "/api/v1/vault/secrets/big", {
      json: { value: input("value-too-large"), pad: 9000 },
    });
    await probe("secret fails service schema", "POST", "/api/v1/services/vault.put_secret/call", {
      json: { key: "svc2", value: "fine", password: input("service-schema") },
    });
    await probe("service throws", "POST", "/api/v1/services/vault.fail/call", {
      json: { password: input("service-throws") },
    });
    await probe("no such service", "POST", "/api/v1/services/nope.none/call", {
      json: { secret: input("no-service") },
    });
    await probe("body too large", "POST", "/api/v1/vault/secrets/huge", {
      json: { value: input("body-too-large"), pad: 0, filler: "x".repeat(70_000) },
    });
    const inPath = input("path");
    await probe("404 path", "GET", `/api/v1/nothing-here/${inPath}`, { echo: "input.path" });
    const inKey = input("state-key");
    await probe("404 state key", "GET", `/api/v1/state/${inKey}`, { echo: "input.state-key" });
    const inNs = input("namespace");
    await probe("404 namespace", "GET", `/api/v1/storage/${inNs}`, { echo: "input.namespace" });
    const inPattern = input("pattern");
    await probe("bad pattern", "GET", `/api/v1/state?pattern=${inPattern}%20!`, { echo: "input.pattern" });
    await probe("owner param fails schema", "GET", `/api/v1/vault/secrets/${input("owner-param")}`);

    // Reloads run the hooks again; the kernel publishes plugin events, the failed one with its error.
    await probe("reload vault", "POST", "/api/v1/plugins/vault/reload");
    await probe("reload vault-bad", "POST", "/api/v1/plugins/vault-bad/reload");

    // Every GET route, live; then again after a restart, when the state mirror is rebuilt from storage.
    const live = await readEverything("live", inst.url, send, surface, {
      revokedIds: [apiRevoked.id, cliRevoked.id],
    });
    surface("SSE /api/v1/events/stream?pattern=*", "events", await sse.stop());
    inst.h.proc.kill("SIGTERM");
    status["exit live"] = await inst.h.exited;
    outputs.push(inst.h.text());
    second = await restart(inst);
    url = second.url;
    const restarted = await readEverything("restarted", second.url, send, surface, {
      revokedIds: [apiRevoked.id, cliRevoked.id],
    });

    // The CLI's other read-outs, and a backup taken while running.
    for (const args of [["plugins", "--json"], ["plugins"], ["check"]]) {
      const r = await hearth(`cli ${args.join(" ")}`, args);
      surface(`cli ${args.join(" ")}`, "cli", r.stdout + r.stderr);
    }
    const backupFile = join(inst.data, "backup-secrets.db");
    const backup = await hearth("cli backup", ["backup", backupFile]);
    surface("cli backup", "cli", backup.stdout + backup.stderr);
    second.proc.kill("SIGTERM");
    status["exit restarted"] = await second.exited;
    outputs.push(second.text());
    surface("process output (both starts)", "log", outputs.join("\n"));

    // At rest: tokens only as hashes; nothing from failed requests or wrong tokens. Secret-namespace
    // values are stored as they are (the database is not encrypted), so they are reported, not scanned.
    const atRest = new Set<string>();
    for (const file of filesUnder(inst.data)) {
      const name = relative(inst.data, file);
      if (name === "admin.token" || name === "hearth.json") continue; // the token file; the config
      const text = readFileSync(file).toString("latin1");
      surface(`data dir ${name}`, "datadir", text, {
        allowHashes: true,
        only: ["token", "attempt", "input"],
      });
      for (const mk of m.secrets) if (text.includes(mk.value)) atRest.add(mk.name);
    }
    return {
      level,
      markers: m,
      surfaces,
      status,
      phases: { live, restarted },
      liveTokens: [inst.token, apiRead.token, apiAdmin.token, cliReadToken],
      atRest: [...atRest].sort(),
    };
  } finally {
    for (const h of [inst.h, second]) {
      if (h !== undefined && h.proc.exitCode === null && h.proc.signalCode === null) {
        h.proc.kill("SIGKILL");
        await h.exited;
      }
    }
    rmSync(inst.data, { recursive: true, force: true });
    rmSync(plugins, { recursive: true, force: true });
  }
}

/** Starts the binary again on the same data dir and config (the bootstrap token file stays valid). */
async function restart(inst: Instance): Promise<Running> {
  const args = ["--config", join(inst.data, "hearth.json"), "--data-dir", inst.data];
  // startHearth SIGKILLs when its own timeout fires, even after a good start: bound the start here.
  return Promise.race([
    startHearth(inst.bin, { args, timeoutMs: 86_400_000 }),
    Bun.sleep(30_000).then((): never => {
      throw new Error("hearth did not start again within 30 s");
    }),
  ]);
}
