/**
 * A real CoreRuntime on a temp data folder (no listener), with the admin app over its kernel and an
 * admin token, for integration tests that go through the HTTP API. Boot it again on the same `dir`
 * to test what survives a restart.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/kernel/config/index.ts";
import type { ModuleDefinition } from "../../src/kernel/modules/types.ts";
import { builtinSource } from "../../src/kernel/plugins/index.ts";
import type { PluginSource } from "../../src/kernel/plugins/types.ts";
import type { Clock } from "../../src/kernel/util/index.ts";
import { createTokenStore } from "../../src/modules/admin/auth/index.ts";
import { createAdminApp } from "../../src/modules/admin/index.ts";
import { CoreRuntime } from "../../src/runtime.ts";
import type { PluginDefinition } from "../../src/sdk/index.ts";
import { captureLog } from "./log.ts";

const dirs: string[] = [];

/** A fresh data folder, removed by `removeDataDirs()`. */
export function dataDir(prefix = "hearth-it-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Removes every folder `dataDir()` made (call in afterAll/afterEach, after stopping the runtimes). */
export function removeDataDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** An in-memory built-in plugin. */
export function plugin(
  name: string,
  definition: PluginDefinition<unknown> | (() => PluginDefinition<unknown>),
  manifest: Record<string, unknown> = {},
): PluginSource {
  return builtinSource({
    manifest: { name, version: "1.0.0", ...manifest },
    load: async () => ({ default: typeof definition === "function" ? definition() : definition }),
  });
}

export interface BootOptions {
  /** Reuse a data folder (a restart); default a new one. */
  dir?: string;
  plugins?: PluginSource[];
  modules?: ModuleDefinition[];
  /** Dot-path config overrides. */
  overrides?: Record<string, unknown>;
  /** Environment for the config loader (HEARTH_DATA_DIR is set for you). */
  env?: Record<string, string>;
  hookTimeoutMs?: number;
  /** The modules' clock (presence); default the real one. */
  clock?: Clock;
}

export type Booted = Awaited<ReturnType<typeof bootRuntime>>;

export async function bootRuntime(options: BootOptions = {}) {
  const dir = options.dir ?? dataDir();
  const { config } = loadConfig({
    env: { HEARTH_DATA_DIR: dir, ...options.env },
    cwd: dir,
    overrides: options.overrides ?? {},
  });
  const log = captureLog("debug");
  const runtime = new CoreRuntime({
    config,
    logger: log.logger,
    http: false,
    builtinPlugins: options.plugins ?? [],
    modules: options.modules ?? [],
    hookTimeoutMs: options.hookTimeoutMs ?? 1000,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  await runtime.start();
  const tokens = createTokenStore({ storage: runtime.kernel.storage, logger: log.logger });
  const app = createAdminApp({ kernel: runtime.kernel, logger: log.logger, tokens });
  const { token } = await tokens.create({ name: "it-admin", scopes: ["admin"] });
  const request = (path: string, init: RequestInit & { token?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    const bearer = init.token === undefined ? token : init.token;
    if (bearer !== null) headers.set("Authorization", `Bearer ${bearer}`);
    if (init.body !== undefined && !headers.has("content-type"))
      headers.set("Content-Type", "application/json");
    return app.request(path, { ...init, headers });
  };
  return {
    runtime,
    kernel: runtime.kernel,
    config,
    dir,
    app,
    tokens,
    token,
    log,
    /** `app.request` with the admin token (or `token`, or none with `token: null`). */
    request,
    /** The parsed JSON body of a request; throws on a non-2xx status, naming it. */
    async json<T = unknown>(path: string, init: RequestInit & { token?: string | null } = {}): Promise<T> {
      const res = await request(path, init);
      if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${await res.text()}`);
      return (res.status === 204 ? null : await res.json()) as T;
    },
    stop: () => runtime.stop(),
  };
}
