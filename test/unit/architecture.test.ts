/**
 * The layering the code relies on, checked on the source text: the kernel knows nothing of its
 * modules, plugins reach Hearth only through the SDK, and every catalogued error code is used.
 */
import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ERROR_CODES } from "../../src/errors.ts";
import { RESERVED_NAMES } from "../../src/kernel/names/index.ts";

const ROOT = join(import.meta.dir, "../..");

function files(dir: string, pattern = "**/*.ts"): string[] {
  return [...new Bun.Glob(pattern).scanSync({ cwd: join(ROOT, dir), absolute: true })].sort();
}

/** Every module specifier a file imports or re-exports (static and dynamic). */
function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?from\s+["']([^"']+)["']/g)) {
    out.push(m[1] as string);
  }
  for (const m of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) out.push(m[1] as string);
  return out;
}

/** The files of `dir` importing something (relative) that resolves under one of `forbidden`. */
function offenders(dir: string, forbidden: string[]): string[] {
  const out: string[] = [];
  for (const file of files(dir)) {
    for (const spec of imports(file)) {
      if (!spec.startsWith(".")) continue;
      const target = relative(ROOT, join(file, "..", spec));
      if (forbidden.some((f) => target === f || target.startsWith(`${f}/`))) {
        out.push(`${relative(ROOT, file)} imports ${spec}`);
      }
    }
  }
  return out;
}

describe("layering", () => {
  it("keeps the kernel free of imports from the modules, the CLI and the runtime", () => {
    expect(offenders("src/kernel", ["src/modules", "src/cli", "src/runtime.ts", "src/main.ts"])).toEqual([]);
  });

  it("lets plugins import only the SDK", () => {
    const out: string[] = [];
    for (const file of files("plugins")) {
      for (const spec of imports(file)) {
        if (!spec.startsWith(".")) continue;
        const target = relative(ROOT, join(file, "..", spec));
        const ownFolder = relative(ROOT, join(file, "..")).split("/").slice(0, 2).join("/");
        if (target.startsWith(`${ownFolder}/`) || target === "src/sdk/index.ts" || target === "src/sdk")
          continue;
        out.push(`${relative(ROOT, file)} imports ${spec}`);
      }
    }
    expect(out).toEqual([]);
  });

  it("sees the checks above fail on an offending import (the detector works)", () => {
    const sample = join(ROOT, "src/kernel/types.ts");
    expect(imports(sample).length).toBeGreaterThan(0);
    expect(offenders("src/kernel", ["src/kernel/bus"]).length).toBeGreaterThan(0);
  });
});

describe("error catalogue in use", () => {
  it("throws every catalogued code somewhere in src (a dead code is removed, not kept)", () => {
    const text = files("src")
      .filter((f) => !f.endsWith("/src/errors.ts"))
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
    const unused = Object.keys(ERROR_CODES).filter((code) => !text.includes(`"${code}"`));
    expect(unused).toEqual([]);
  });

  it("creates no plain Error in src outside documented sentinels", () => {
    const plain: string[] = [];
    for (const file of files("src")) {
      const lines = readFileSync(file, "utf8").split("\n");
      lines.forEach((line, i) => {
        if (!/\bnew Error\(/.test(line)) return;
        // A sentinel compared by identity or a value wrapped for a log line says so on the line above.
        if (/sentinel|not thrown to callers/i.test(lines[i - 1] ?? "")) return;
        plain.push(`${relative(ROOT, file)}:${i + 1}`);
      });
    }
    expect(plain).toEqual([]);
  });
});

describe("one list of reserved names", () => {
  it("is the list the README gives plugin authors", () => {
    const readme = readFileSync(join(import.meta.dir, "../../README.md"), "utf8");
    const sentence = /not a reserved name: ([^(]+)\(/.exec(readme.replace(/\s+/g, " "))?.[1] ?? "";
    const listed = [...sentence.matchAll(/`([a-z-]+)`/g)].map((m) => m[1]);
    expect(listed).toEqual(Object.keys(RESERVED_NAMES).sort());
  });
});
