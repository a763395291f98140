import { afterEach } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HearthError } from "../../../../src/errors.ts";
import { createEventBus } from "../../../../src/kernel/bus/index.ts";
import type { BusEvent } from "../../../../src/kernel/bus/types.ts";
import { createHttpRegistry } from "../../../../src/kernel/http/index.ts";
import {
  createPluginManager,
  type IntegrationSink,
  type PluginKernel,
  type PluginManager,
  type PluginManagerOptions,
  type PluginManifest,
  type PluginSource,
} from "../../../../src/kernel/plugins/index.ts";
import { createServiceRegistry } from "../../../../src/kernel/services/index.ts";
import { createStateEngine } from "../../../../src/kernel/state/index.ts";
import { createMemoryStorage } from "../../../../src/kernel/storage/index.ts";
import type { StorageOps } from "../../../../src/kernel/storage/types.ts";
import type { PluginContext, PluginDefinition } from "../../../../src/sdk/index.ts";

/** Real kernel components (memory storage) for a manager under test. */
export function createKernel(storage: StorageOps = createMemoryStorage()): PluginKernel {
  return {
    bus: createEventBus(),
    services: createServiceRegistry(),
    state: createStateEngine(),
    storage,
    http: createHttpRegistry(),
  };
}

export interface Harness {
  kernel: PluginKernel;
  manager: PluginManager;
  /** Every `$plugin.*` event, in publish order, as `type name`. */
  events: string[];
}

/** A manager over a fresh kernel; `options` override the defaults (no plugins dir, 1 s hooks). */
export function harness(options: Partial<PluginManagerOptions> & { kernel?: PluginKernel } = {}): Harness {
  const kernel = options.kernel ?? createKernel();
  const events: string[] = [];
  kernel.bus.subscribe("$plugin.*", (e: BusEvent<{ name: string }>) => {
    events.push(`${e.type} ${e.payload.name}`);
  });
  const manager = createPluginManager({ hookTimeoutMs: 1000, ...options, kernel });
  return { kernel, manager, events };
}

/** An in-memory built-in plugin. */
export function builtin(
  name: string,
  definition: PluginDefinition | (() => PluginDefinition),
  manifest: Partial<PluginManifest> = {},
): PluginSource {
  return {
    manifest: { name, version: "1.0.0", ...manifest },
    origin: "builtin",
    dir: undefined,
    load: async () =>
      (typeof definition === "function" ? definition() : definition) as unknown as PluginDefinition<unknown>,
  };
}

/** A built-in that hands out its context, so a test can act as the plugin. */
export function probe(
  name: string,
  manifest: Partial<PluginManifest> = {},
): { source: PluginSource; ctx: () => PluginContext<unknown> } {
  let ctx: PluginContext<unknown> | undefined;
  const source = builtin(
    name,
    {
      onLoad(c) {
        ctx = c as PluginContext<unknown>;
      },
    },
    manifest,
  );
  return {
    source,
    ctx: () => {
      if (ctx === undefined) throw new Error(`plugin ${name} was never loaded`);
      return ctx;
    },
  };
}

/** Hooks that append `<plugin>.<hook>` to `log` (and fail where asked). */
export function recorder(
  name: string,
  log: string[],
  fail: Partial<Record<"onLoad" | "onStart" | "onStop" | "onUnload", boolean>> = {},
): PluginDefinition {
  const hook = (h: "onLoad" | "onStart" | "onStop" | "onUnload") => () => {
    log.push(`${name}.${h}`);
    if (fail[h] === true) throw new Error(`${h} broke`);
  };
  return {
    onLoad: hook("onLoad"),
    onStart: hook("onStart"),
    onStop: hook("onStop"),
    onUnload: hook("onUnload"),
  };
}

/** An integration sink that records its calls as strings. */
export function recordingSink(): IntegrationSink & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    declare(info) {
      calls.push(`declare ${info.name}`);
    },
    setStatus(name, status) {
      calls.push(`${status} ${name}`);
    },
  };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temp folder removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "hearth-plugins-"));
  dirs.push(dir);
  return dir;
}

/** Writes `<root>/<folder>/plugin.json` (an object, or raw text) and the given files. */
export function writePlugin(
  root: string,
  folder: string,
  manifest: Record<string, unknown> | string,
  files: Record<string, string> = {},
): string {
  const dir = join(root, folder);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "plugin.json"), typeof manifest === "string" ? manifest : JSON.stringify(manifest));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, ".."), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

/** The HearthError code a promise rejects with (fails the test if it resolves or throws something else). */
export async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof HearthError) return err.code;
    throw new Error(`expected a HearthError, got ${String(err)}`);
  }
  throw new Error("expected a rejection");
}

/** The HearthError code `fn` throws synchronously. */
export function thrownCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof HearthError) return err.code;
    throw new Error(`expected a HearthError, got ${String(err)}`);
  }
  throw new Error("expected a throw");
}

/** Polls until `cond` holds; false after `limitMs`, so a bug fails instead of hanging. */
export async function waitFor(cond: () => boolean, limitMs = 2000): Promise<boolean> {
  const end = performance.now() + limitMs;
  while (!cond()) {
    if (performance.now() > end) return false;
    await Bun.sleep(5);
  }
  return true;
}
