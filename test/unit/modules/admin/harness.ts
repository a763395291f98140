/**
 * A started CoreRuntime (no listener) with the admin app over it and one token per scope, for
 * `app.request()` tests.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../../../src/kernel/config/index.ts";
import type { HearthConfig } from "../../../../src/kernel/config/types.ts";
import { builtinSource } from "../../../../src/kernel/plugins/index.ts";
import type { PluginSource } from "../../../../src/kernel/plugins/types.ts";
import { createTokenStore } from "../../../../src/modules/admin/auth/index.ts";
import { createAdminApp } from "../../../../src/modules/admin/index.ts";
import type { AdminAppOptions } from "../../../../src/modules/admin/types.ts";
import { CoreRuntime } from "../../../../src/runtime.ts";
import type { PluginDefinition } from "../../../../src/sdk/index.ts";
import { captureLog } from "../../../helpers/log.ts";

export type ScopeName = "read" | "control" | "admin";

export interface HarnessOptions {
  plugins?: PluginSource[];
  /** Dot-path config overrides (`http.maxBodyBytes`). */
  overrides?: Record<string, unknown>;
  app?: Partial<AdminAppOptions>;
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

const dirs: string[] = [];

/** Removes every data dir made so far (call in afterAll/afterEach). */
export function cleanupDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function plugin(
  name: string,
  definition: PluginDefinition<unknown>,
  manifest: Record<string, unknown> = {},
): PluginSource {
  return builtinSource({
    manifest: { name, version: "1.0.0", ...manifest },
    load: async () => ({ default: definition }),
  });
}

export async function startHarness(options: HarnessOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), "hearth-admin-"));
  dirs.push(dir);
  const { config } = loadConfig({
    env: { HEARTH_DATA_DIR: dir },
    cwd: dir,
    overrides: options.overrides ?? {},
  });
  const log = captureLog("debug");
  const runtime = new CoreRuntime({
    config,
    logger: log.logger,
    http: false,
    builtinPlugins: options.plugins ?? [],
    hookTimeoutMs: 500,
  });
  await runtime.start();
  const tokens = createTokenStore({ storage: runtime.kernel.storage });
  const app = createAdminApp({ kernel: runtime.kernel, logger: log.logger, tokens, ...options.app });
  const secrets = {} as Record<ScopeName, string>;
  for (const scope of ["read", "control", "admin"] as const) {
    secrets[scope] = (await tokens.create({ name: `${scope}-token`, scopes: [scope] })).token;
  }
  const request = (path: string, init: RequestInit & { as?: ScopeName } = {}) => {
    const headers = new Headers(init.headers);
    if (init.as) headers.set("Authorization", `Bearer ${secrets[init.as]}`);
    return app.request(path, { ...init, headers });
  };
  return {
    runtime,
    app,
    tokens,
    secrets,
    log,
    config: config as HearthConfig,
    dir,
    /** `app.request` with `as: "read" | "control" | "admin"` adding that token. */
    request,
    /** POST with a JSON body. */
    postJson: (path: string, body: unknown, as?: ScopeName) =>
      request(path, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        as,
      }),
    stop: () => runtime.stop(),
  };
}

/** A response body whose shape the test checks with expect(), not with types. */
// biome-ignore lint/suspicious/noExplicitAny: test bodies are checked by expect(), not by the type system
export type Json = any;

/** The parsed JSON body. */
export async function json(res: Response): Promise<Json> {
  return res.json();
}

/** Asserts nothing; returns the parsed `{ error }` body for shape checks. */
export async function errorBody(
  res: Response,
): Promise<{ error: { code: string; message: string; data?: unknown } }> {
  return (await res.json()) as { error: { code: string; message: string; data?: unknown } };
}
