import { isAbsolute, relative, resolve, sep } from "node:path";
import { z } from "zod";
import { HearthError } from "../../errors.ts";
import { NAME, NAME_RULE } from "../names/index.ts";
import { summarize, toIssues } from "./issues.ts";
import type { PluginManifest } from "./types.ts";

// major.minor.patch with optional pre-release and build parts, as semver writes them.
const VERSION = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

export const DEFAULT_ENTRY = "index.ts";

const pluginName = z.string().regex(NAME, `a plugin name: ${NAME_RULE}`);

/**
 * Whether `entry` is a relative path that stays inside its folder. Checked on the text alone (no
 * folder needed): absolute paths (POSIX or Windows), any `..` segment, backslashes and NUL are refused.
 */
export function isSafeEntry(entry: string): boolean {
  if (entry.length === 0 || entry.includes("\0") || entry.includes("\\")) return false;
  if (isAbsolute(entry) || /^[A-Za-z]:/.test(entry)) return false;
  if (entry.split("/").some((segment) => segment === "..")) return false;
  // Belt and braces: whatever the rules above missed, the resolved path must stay below the folder.
  const root = resolve("/plugin-root");
  const rel = relative(root, resolve(root, entry));
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
}

const manifestSchema = z
  .strictObject({
    name: pluginName,
    version: z.string().regex(VERSION, "a semantic version such as 1.2.3"),
    description: z.string().max(1000).optional(),
    author: z.string().max(200).optional(),
    dependencies: z
      .array(pluginName)
      .refine((deps) => new Set(deps).size === deps.length, "each dependency may be listed once")
      .optional(),
    isIntegration: z.boolean().optional(),
    enabledByDefault: z.boolean().optional(),
    entry: z
      .string()
      .max(255)
      .refine(isSafeEntry, "a relative path inside the plugin folder (no absolute path, no '..')")
      .optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    secretNamespaces: z
      .array(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "a storage namespace of [A-Za-z0-9_.-], 1-64 chars"))
      .max(16)
      .optional(),
  })
  .superRefine((m, ctx) => {
    m.secretNamespaces?.forEach((ns, i) => {
      if (ns !== m.name && !ns.startsWith(`${m.name}.`)) {
        ctx.addIssue({
          code: "custom",
          path: ["secretNamespaces", i],
          message: `a namespace of the plugin's own: "${m.name}" or "${m.name}.<name>"`,
        });
      }
    });
  });

/**
 * Validates a parsed `plugin.json`. Throws PLUGIN_MANIFEST_INVALID with `data: { source, issues }`,
 * the message naming the first offending field.
 */
export function parseManifest(raw: unknown, source: string): PluginManifest {
  // Once per plugin per discovery: not worth building zod's compiled fast path for.
  const parsed = manifestSchema.safeParse(raw, { jitless: true });
  if (parsed.success) return parsed.data;
  const issues = toIssues(parsed.error);
  throw new HearthError(
    "PLUGIN_MANIFEST_INVALID",
    `Invalid plugin manifest (${source}): ${summarize(issues)}`,
    {
      data: { source, issues },
    },
  );
}
