/**
 * Hostile plugin folders: entries that leave the folder (text and symlinks), missing entries, bad
 * names, reserved names, malformed and huge manifests, dependency cycles and holes, duplicates.
 * Every case is written next to a good `canary` plugin, which must start whatever the case does.
 *
 * Placeholders, filled in when a case is written: `$DIR` the case's (first) folder, `$PLUGINS` the
 * plugins folder, `$OUTSIDE` a folder outside it holding code that must never be imported.
 */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface PluginFolder {
  folder: string;
  /** plugin.json: an object (serialised), raw text/bytes, or a folder/symlink in its place. */
  manifest?: Record<string, unknown> | { raw: string | Uint8Array } | { dir: true } | { link: string };
  /** Files besides plugin.json (default: a working index.ts). */
  files?: Record<string, string>;
  /** Symlinks: path inside the folder → target (placeholders allowed). */
  links?: Record<string, string>;
}

export interface Refusal {
  /** Any of these must appear where the refusal is reported (the folder, or the plugin's name). */
  who: string[];
  code: string;
  /** Text the error must also contain: the offending key, the file, the dependency. */
  mentions: string[];
  /** The plugin's name, when it has a usable one: it must not be running. */
  name?: string;
}

export interface ManifestCase {
  id: string;
  label: string;
  folders: PluginFolder[];
  refused: Refusal[];
  /** Names that must start besides the canary and the built-in demo. */
  starts?: string[];
}

const GOOD_CODE =
  'export default { onStart(ctx) { ctx.log.info({ plugin: ctx.name }, "hostile-config plugin started"); } };\n';

/** Code that leaves a marker when imported: outside files, which must never be. */
export function escapeCode(marker: string): string {
  return [
    'import { writeFileSync } from "node:fs";',
    `writeFileSync(${JSON.stringify(marker)}, "imported");`,
    'export default { onStart(ctx) { ctx.log.warn("an escaped plugin entry started"); } };',
    "",
  ].join("\n");
}

const manifest = (name: unknown, extra: Record<string, unknown> = {}) => ({
  name,
  version: "1.0.0",
  ...extra,
});

/**
 * A folder whose manifest fails validation at `key` (the message starts with the first offending
 * field: `Invalid plugin manifest (<folder>): <key>: …`); `"unknown"` names an unknown key instead.
 */
const invalid = (id: string, label: string, m: Record<string, unknown>, key: string, extra: string[] = []) =>
  ({
    id,
    label,
    folders: [{ folder: id, manifest: m }],
    refused: [{ who: ["$DIR"], code: "PLUGIN_MANIFEST_INVALID", mentions: [`): ${key}`, ...extra] }],
  }) satisfies ManifestCase;

/** A folder whose plugin.json is over the manifest size limit (64 KiB). */
const tooLarge = (id: string, label: string, raw: string | Record<string, unknown>) =>
  ({
    id,
    label,
    folders: [{ folder: id, manifest: typeof raw === "string" ? { raw } : raw }],
    refused: [{ who: ["$DIR"], code: "PLUGIN_MANIFEST_INVALID", mentions: ["is larger than 65536 bytes"] }],
  }) satisfies ManifestCase;

/** A folder whose plugin.json is not a JSON object. */
const notJson = (id: string, label: string, raw: string | Uint8Array, mention = "plugin.json") =>
  ({
    id,
    label,
    folders: [{ folder: id, manifest: { raw } }],
    refused: [{ who: ["$DIR"], code: "PLUGIN_MANIFEST_INVALID", mentions: [mention] }],
  }) satisfies ManifestCase;

/** An entry whose text leaves the folder: refused from the manifest alone. */
const escapeText = (id: string, label: string, entry: string) =>
  invalid(id, label, manifest(id, { entry }), "entry", ["relative path inside the plugin folder"]);

/** An entry that a symlink inside the folder leads out of it. */
const escapeLink = (
  id: string,
  label: string,
  links: Record<string, string>,
  entry?: string,
): ManifestCase => ({
  id,
  label,
  folders: [{ folder: id, manifest: manifest(id, entry ? { entry } : {}), files: {}, links }],
  refused: [{ who: [id], code: "PLUGIN_MANIFEST_INVALID", mentions: ["resolves outside", "$DIR"], name: id }],
});

const BOM = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(JSON.stringify(manifest("bom")))]);
const GARBAGE = new Uint8Array(Array.from({ length: 777 }, (_, i) => (i * 197 + 3) % 256));

export function manifestCorpus(): ManifestCase[] {
  return [
    // --- entries whose text leaves the folder
    escapeText("m-dotdot", "entry climbs out with ..", "../../../outside/m-dotdot.ts"),
    escapeText("m-etc", "entry climbs to /etc/passwd", "../../../../../../../../../../etc/passwd"),
    escapeText("m-abs", "entry is an absolute path to real code", "$OUTSIDE/m-abs.ts"),
    escapeText("m-abs-etc", "entry is /etc/passwd", "/etc/passwd"),
    escapeText(
      "m-mid-dotdot",
      "entry climbs out through a subfolder",
      "lib/../../../../outside/m-mid-dotdot.ts",
    ),
    escapeText("m-sibling", "entry points into another plugin's folder", "./../canary/index.ts"),
    escapeText("m-backslash", "entry climbs out with backslashes", "..\\..\\..\\outside\\m-backslash.ts"),
    escapeText("m-nul", "entry holds a NUL byte", "index.ts\u0000../../../outside/m-nul.ts"),
    escapeText("m-drive", "entry is a Windows drive path", "C:/outside/m-drive.ts"),
    escapeText("m-empty-entry", "entry is empty", ""),
    escapeText("m-dot-entry", "entry is the folder itself", "."),
    invalid(
      "m-long-entry",
      "entry longer than 255 characters",
      manifest("m-long-entry", { entry: `${"a/".repeat(150)}x.ts` }),
      "entry",
    ),
    // --- entries that a symlink leads out of the folder
    escapeLink("m-link-abs", "index.ts is an absolute symlink to outside code", {
      "index.ts": "$OUTSIDE/m-link-abs.ts",
    }),
    escapeLink("m-link-rel", "index.ts is a relative symlink to outside code", {
      "index.ts": "../../../outside/m-link-rel.ts",
    }),
    escapeLink(
      "m-link-dir",
      "entry lies in a symlinked subfolder outside",
      { lib: "$OUTSIDE" },
      "lib/m-link-dir.ts",
    ),
    escapeLink("m-link-chain", "index.ts is a chain of symlinks ending outside", {
      "index.ts": "hop.ts",
      "hop.ts": "$OUTSIDE/m-link-chain.ts",
    }),
    escapeLink("m-link-sibling", "index.ts is a symlink into another plugin's folder", {
      "index.ts": "$PLUGINS/canary/index.ts",
    }),
    escapeLink("m-link-root", "index.ts is a symlink to /", { "index.ts": "/" }),
    // --- missing entries
    {
      id: "m-dangling",
      label: "index.ts is a dangling symlink",
      folders: [
        {
          folder: "m-dangling",
          manifest: manifest("m-dangling"),
          files: {},
          links: { "index.ts": "$OUTSIDE/nothing-here.ts" },
        },
      ],
      refused: [
        {
          who: ["m-dangling"],
          code: "PLUGIN_MANIFEST_INVALID",
          mentions: ["index.ts", "not found"],
          name: "m-dangling",
        },
      ],
    },
    {
      id: "m-no-index",
      label: "the default entry index.ts is missing",
      folders: [{ folder: "m-no-index", manifest: manifest("m-no-index"), files: { "main.ts": GOOD_CODE } }],
      refused: [
        {
          who: ["m-no-index"],
          code: "PLUGIN_MANIFEST_INVALID",
          mentions: ["index.ts", "not found"],
          name: "m-no-index",
        },
      ],
    },
    {
      id: "m-no-entry",
      label: "the declared entry is missing",
      folders: [{ folder: "m-no-entry", manifest: manifest("m-no-entry", { entry: "main.ts" }) }],
      refused: [
        {
          who: ["m-no-entry"],
          code: "PLUGIN_MANIFEST_INVALID",
          mentions: ["main.ts", "not found"],
          name: "m-no-entry",
        },
      ],
    },
    // --- names
    invalid("m-name-caps", "name with capitals", manifest("Bad-Name"), "name"),
    invalid("m-name-digit", "name starting with a digit", manifest("1plugin"), "name"),
    invalid("m-name-underscore", "name with an underscore", manifest("bad_name"), "name"),
    invalid("m-name-space", "name with a space", manifest("bad name"), "name"),
    invalid("m-name-unicode", "name with non-ASCII letters", manifest("plügin"), "name"),
    invalid("m-name-empty", "empty name", manifest(""), "name"),
    invalid("m-name-long", "name of 65 characters", manifest(`a${"b".repeat(64)}`), "name"),
    invalid("m-name-number", "name that is a number", manifest(42), "name"),
    invalid("m-name-missing", "no name at all", { version: "1.0.0" }, "name"),
    ...["admin", "storage", "kernel", "hearth"].map(
      (name): ManifestCase => ({
        id: `m-reserved-${name}`,
        label: `the reserved name "${name}"`,
        folders: [{ folder: `m-reserved-${name}`, manifest: manifest(name) }],
        refused: [{ who: ["$DIR", name], code: "PLUGIN_MANIFEST_INVALID", mentions: ["reserved", name] }],
      }),
    ),
    // --- other fields
    invalid("m-version-short", "version 1.0", { name: "m-version-short", version: "1.0" }, "version"),
    invalid("m-version-v", "version v1.0.0", { name: "m-version-v", version: "v1.0.0" }, "version"),
    invalid("m-version-missing", "no version", { name: "m-version-missing" }, "version"),
    invalid(
      "m-version-number",
      "version that is a number",
      { name: "m-version-number", version: 1 },
      "version",
    ),
    invalid(
      "m-unknown-key",
      "an unknown key (main)",
      manifest("m-unknown-key", { main: "index.js" }),
      "Unrecognized key",
      ['"main"'],
    ),
    invalid(
      "m-deps-string",
      "dependencies as a string",
      manifest("m-deps-string", { dependencies: "demo" }),
      "dependencies",
    ),
    invalid(
      "m-deps-number",
      "a dependency that is a number",
      manifest("m-deps-number", { dependencies: [42] }),
      "dependencies",
    ),
    invalid(
      "m-deps-twice",
      "a dependency listed twice",
      manifest("m-deps-twice", { dependencies: ["demo", "demo"] }),
      "dependencies",
    ),
    invalid(
      "m-deps-badname",
      "a dependency with an invalid name",
      manifest("m-deps-badname", { dependencies: ["Demo"] }),
      "dependencies",
    ),
    invalid(
      "m-integration-string",
      "isIntegration as a string",
      manifest("m-integration-string", { isIntegration: "yes" }),
      "isIntegration",
    ),
    invalid(
      "m-description-number",
      "description as a number",
      manifest("m-description-number", { description: 42 }),
      "description",
    ),
    invalid("m-config-array", "config as an array", manifest("m-config-array", { config: [] }), "config"),
    // --- not a JSON object
    notJson("m-json-truncated", "truncated JSON", '{"name": "m-json-truncated", "version": '),
    notJson("m-json-empty", "an empty file", ""),
    notJson(
      "m-json-comment",
      "JSON with a comment",
      '// plugin\n{"name": "m-json-comment", "version": "1.0.0"}',
    ),
    notJson("m-json-comma", "JSON with a trailing comma", '{"name": "m-json-comma", "version": "1.0.0",}'),
    notJson("m-json-bom", "JSON behind a byte-order mark", BOM),
    notJson("m-json-garbage", "binary garbage", GARBAGE),
    notJson("m-json-null", "null", "null", "expected object"),
    notJson("m-json-array", "an array", "[]", "expected object"),
    notJson("m-json-number", "a number", "42", "expected object"),
    notJson("m-json-string", "a string", '"plugin"', "expected object"),
    {
      id: "m-json-dir",
      label: "plugin.json is a folder",
      folders: [{ folder: "m-json-dir", manifest: { dir: true } }],
      refused: [{ who: ["$DIR"], code: "PLUGIN_MANIFEST_INVALID", mentions: ["is not a regular file"] }],
    },
    {
      id: "m-json-passwd",
      label: "plugin.json is a symlink to /etc/passwd",
      folders: [{ folder: "m-json-passwd", manifest: { link: "/etc/passwd" } }],
      // Refused before it is read: nothing of the target's text may reach the log or the API.
      refused: [{ who: ["$DIR"], code: "PLUGIN_MANIFEST_INVALID", mentions: ["outside the plugin folder"] }],
    },
    // --- huge
    // Huge manifests are refused on their size, before they are read or parsed.
    tooLarge(
      "m-huge-description",
      "a 16 MiB description",
      manifest("m-huge-description", { description: "d".repeat(16 * 1024 * 1024) }),
    ),
    tooLarge(
      "m-huge-key",
      "an 8 MiB unknown key",
      manifest("m-huge-key", { padding: "p".repeat(8 * 1024 * 1024) }),
    ),
    tooLarge(
      "m-huge-deep",
      "an unknown key nested 100 000 deep",
      `{"name":"m-huge-deep","version":"1.0.0","deep":${"[".repeat(100_000)}${"]".repeat(100_000)}}`,
    ),
    tooLarge(
      "m-huge-deps",
      "20 000 dependencies, none installed",
      manifest("m-huge-deps", { dependencies: Array.from({ length: 20_000 }, (_, i) => `dep-${i}`) }),
    ),
    {
      id: "m-many-deps",
      label: "2 000 dependencies (under the size limit), none installed",
      folders: [
        {
          folder: "m-many-deps",
          manifest: manifest("m-many-deps", {
            dependencies: Array.from({ length: 2_000 }, (_, i) => `dep-${i}`),
          }),
        },
      ],
      refused: [
        { who: ["m-many-deps"], code: "PLUGIN_DEPENDENCY_MISSING", mentions: ["dep-"], name: "m-many-deps" },
      ],
    },
    // --- dependencies
    {
      id: "m-cycle",
      label: "two plugins depending on each other",
      folders: [
        { folder: "m-cycle-a", manifest: manifest("m-cycle-a", { dependencies: ["m-cycle-b"] }) },
        { folder: "m-cycle-b", manifest: manifest("m-cycle-b", { dependencies: ["m-cycle-a"] }) },
      ],
      refused: ["m-cycle-a", "m-cycle-b"].map((name) => ({
        who: [name],
        code: "PLUGIN_DEPENDENCY_CYCLE",
        mentions: ["cycle", "m-cycle-a", "m-cycle-b"],
        name,
      })),
    },
    {
      id: "m-self",
      label: "a plugin depending on itself",
      folders: [{ folder: "m-self", manifest: manifest("m-self", { dependencies: ["m-self"] }) }],
      refused: [{ who: ["m-self"], code: "PLUGIN_DEPENDENCY_CYCLE", mentions: ["cycle"], name: "m-self" }],
    },
    {
      id: "m-ring",
      label: "a three-plugin ring and a plugin hanging off it; a plugin beside it still starts",
      folders: [
        { folder: "m-ring-a", manifest: manifest("m-ring-a", { dependencies: ["m-ring-c"] }) },
        { folder: "m-ring-b", manifest: manifest("m-ring-b", { dependencies: ["m-ring-a"] }) },
        { folder: "m-ring-c", manifest: manifest("m-ring-c", { dependencies: ["m-ring-b"] }) },
        { folder: "m-ring-d", manifest: manifest("m-ring-d", { dependencies: ["m-ring-a"] }) },
        { folder: "m-ring-ok", manifest: manifest("m-ring-ok", { dependencies: ["canary", "demo"] }) },
      ],
      refused: ["m-ring-a", "m-ring-b", "m-ring-c", "m-ring-d"].map((name) => ({
        who: [name],
        code: "PLUGIN_DEPENDENCY_CYCLE",
        mentions: ["cycle", "m-ring-a", "m-ring-b", "m-ring-c"],
        name,
      })),
      starts: ["m-ring-ok"],
    },
    {
      id: "m-missing-dep",
      label: "a dependency that is not installed",
      folders: [
        { folder: "m-missing-dep", manifest: manifest("m-missing-dep", { dependencies: ["nowhere"] }) },
      ],
      refused: [
        {
          who: ["m-missing-dep"],
          code: "PLUGIN_DEPENDENCY_MISSING",
          mentions: ["nowhere"],
          name: "m-missing-dep",
        },
      ],
    },
    {
      id: "m-bad-dep",
      label: "a dependency whose own manifest is refused",
      folders: [
        { folder: "m-bad-dep", manifest: manifest("m-bad-dep", { dependencies: ["m-bad-dep-base"] }) },
        { folder: "m-bad-dep-base", manifest: manifest("m-bad-dep-base", { entry: "gone.ts" }) },
      ],
      refused: [
        {
          who: ["m-bad-dep"],
          code: "PLUGIN_DEPENDENCY_MISSING",
          mentions: ["m-bad-dep-base", "invalid manifest"],
          name: "m-bad-dep",
        },
        {
          who: ["m-bad-dep-base"],
          code: "PLUGIN_MANIFEST_INVALID",
          mentions: ["gone.ts"],
          name: "m-bad-dep-base",
        },
      ],
    },
    // --- duplicates
    {
      id: "m-dup",
      label: "two folders declaring the same name (the first in folder order is kept)",
      folders: [
        { folder: "m-dup-1", manifest: manifest("m-dup") },
        { folder: "m-dup-2", manifest: manifest("m-dup") },
      ],
      refused: [{ who: ["$PLUGINS/m-dup-2"], code: "PLUGIN_DUPLICATE", mentions: ["$PLUGINS/m-dup-1"] }],
      starts: ["m-dup"],
    },
    {
      id: "m-dup-builtin",
      label: "an external plugin named like the built-in demo",
      folders: [{ folder: "m-dup-builtin", manifest: manifest("demo") }],
      refused: [{ who: ["$DIR"], code: "PLUGIN_DUPLICATE", mentions: ["builtin:demo"] }],
    },
  ];
}

/** Outside code (and markers) an escaping case may point at, keyed by file name in `$OUTSIDE`. */
export function outsideFiles(cases: readonly ManifestCase[], markerDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of cases) out[`${c.id}.ts`] = escapeCode(join(markerDir, `ESCAPED-${c.id}`));
  return out;
}

export interface Places {
  plugins: string;
  outside: string;
}

export function fill(text: string, c: ManifestCase, places: Places): string {
  const first = c.folders[0]?.folder ?? c.id;
  return text
    .replaceAll("$DIR", join(places.plugins, first))
    .replaceAll("$PLUGINS", places.plugins)
    .replaceAll("$OUTSIDE", places.outside);
}

/** Writes the good `canary` plugin every case sits next to. */
export function writeCanary(plugins: string): void {
  mkdirSync(join(plugins, "canary"), { recursive: true });
  writeFileSync(join(plugins, "canary", "plugin.json"), JSON.stringify(manifest("canary")));
  writeFileSync(join(plugins, "canary", "index.ts"), GOOD_CODE);
}

/** Writes a case's folders under `places.plugins`. */
export function writeCase(c: ManifestCase, places: Places): void {
  for (const f of c.folders) {
    const dir = join(places.plugins, f.folder);
    mkdirSync(dir, { recursive: true });
    const m = f.manifest;
    const target = join(dir, "plugin.json");
    if (m === undefined) {
      // no manifest
    } else if ("raw" in m) writeFileSync(target, m.raw as string | Uint8Array);
    else if ("dir" in m) mkdirSync(target);
    else if ("link" in m) symlinkSync(fill(String(m.link), c, places), target);
    else writeFileSync(target, fill(JSON.stringify(m), c, places));
    for (const [rel, body] of Object.entries(f.files ?? { "index.ts": GOOD_CODE })) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), body);
    }
    for (const [rel, to] of Object.entries(f.links ?? {})) symlinkSync(fill(to, c, places), join(dir, rel));
  }
}
