import { z } from "zod";
import { HearthError } from "../../errors.ts";
import type { PluginDefinition } from "../../sdk/types.ts";
import { summarize, toIssues } from "./issues.ts";
import type { PluginHookName } from "./types.ts";

export const HOOKS: readonly PluginHookName[] = ["onLoad", "onStart", "onStop", "onUnload"];
const KEYS = new Set<string>([...HOOKS, "configSchema"]);

/**
 * Checks what a plugin's code exported: a plain object with only hook functions and `configSchema`
 * (a zod schema, or a function of zod returning one). Anything else is PLUGIN_LOAD_FAILED.
 */
export function checkDefinition(value: unknown, plugin: string): PluginDefinition<unknown> {
  const fail = (why: string): never => {
    throw new HearthError(
      "PLUGIN_LOAD_FAILED",
      `Plugin "${plugin}" does not export a definePlugin() default: ${why}`,
      { data: { plugin } },
    );
  };
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return fail(
      `the default export is ${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value}`,
    );
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!KEYS.has(key)) fail(`unknown key "${key}" (expected ${[...KEYS].join(", ")})`);
  }
  for (const hook of HOOKS) {
    if (record[hook] !== undefined && typeof record[hook] !== "function") fail(`${hook} is not a function`);
  }
  const schema = record.configSchema;
  if (schema !== undefined && typeof schema !== "function" && !isZod(schema)) {
    fail("configSchema is neither a zod schema nor a function returning one");
  }
  return value as PluginDefinition<unknown>;
}

function isZod(value: unknown): value is z.ZodType {
  return (
    value !== null && typeof value === "object" && typeof (value as z.ZodType).safeParseAsync === "function"
  );
}

/**
 * Parses the plugin's config slice with its `configSchema` (none: the slice as-is). Throws
 * PLUGIN_CONFIG_INVALID with `data.issues` naming each path.
 */
export async function resolveConfig(
  definition: PluginDefinition<unknown>,
  slice: Record<string, unknown>,
  plugin: string,
): Promise<{ config: unknown; schema: z.ZodType | undefined }> {
  let schema: unknown = definition.configSchema;
  if (typeof schema === "function") {
    try {
      schema = (schema as (zod: typeof z) => unknown)(z);
    } catch (err) {
      throw new HearthError("PLUGIN_LOAD_FAILED", `configSchema of plugin "${plugin}" threw`, {
        data: { plugin },
        cause: err,
      });
    }
    if (!isZod(schema)) {
      throw new HearthError(
        "PLUGIN_LOAD_FAILED",
        `configSchema of plugin "${plugin}" did not return a zod schema`,
        {
          data: { plugin },
        },
      );
    }
  }
  if (schema === undefined) return { config: slice, schema: undefined };
  const zod = schema as z.ZodType;
  const parsed = await zod.safeParseAsync(slice);
  if (!parsed.success) {
    const issues = toIssues(parsed.error);
    throw new HearthError(
      "PLUGIN_CONFIG_INVALID",
      `Invalid config for plugin "${plugin}" (plugins.${plugin}.config): ${summarize(issues)}`,
      { data: { plugin, issues } },
    );
  }
  return { config: parsed.data, schema: zod };
}
