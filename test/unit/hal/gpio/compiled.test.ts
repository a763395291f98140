/**
 * The GPIO port inside a `bun build --compile` binary, and its start-up cost: importing the port must
 * not load bun:ffi (only the gpiochip driver does, on demand). One small entry is compiled once; the
 * whole Hearth binary is not built here.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { createFakeSysfs, type FakeSysfs } from "./fake-sysfs.ts";

const ROOT = join(import.meta.dir, "../../../..");
const GPIO_DIR = join(ROOT, "src/hal/gpio");
const ENTRY = join(import.meta.dir, "fixtures/gpio-entry.ts");
const EXPECTED = {
  sim: { edges: ["rising"], read: 0 },
  sysfs: { driver: "sysfs", chips: ["gpiochip512", "gpiochip570"], edges: ["rising"] },
  gpiochip: { code: "GPIO_IO_FAILED", errnoName: "ENOTTY" },
  auto: "GPIO_UNAVAILABLE",
};

let work: string;
let fake: FakeSysfs;
let devDir: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "hearth-gpio-bin-"));
  fake = createFakeSysfs();
  fake.preExport(512 + 17);
  fake.stopKernel();
  devDir = join(work, "dev");
  mkdirSync(devDir);
  symlinkSync("/dev/null", join(devDir, "gpiochip0"));
});

afterAll(() => {
  fake.cleanup();
  rmSync(work, { recursive: true, force: true });
});

async function run(cmd: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([...cmd, fake.root, devDir], {
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "" },
  });
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  return { code, stdout, stderr };
}

/** Relative imports a file makes statically (`import … from`, `export … from`). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?from\s+["']([^"']+)["']/g)].map(
    (m) => m[1] as string,
  );
}

describe("GPIO port start-up", () => {
  it("reaches neither the gpiochip driver nor bun:ffi through static imports of its index", () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of staticImports(file)) {
        expect(spec).not.toBe("bun:ffi");
        if (spec.startsWith(".")) visit(join(file, "..", spec));
      }
    };
    visit(join(GPIO_DIR, "index.ts"));
    const reached = [...seen].map((f) => relative(GPIO_DIR, f));
    expect(reached).toContain("sysfs-gpio.ts");
    expect(reached).not.toContain("gpiochip.ts");
    expect(reached).not.toContain("libc.ts");
  });

  it("keeps bun:ffi a dynamic import in the bundle a compiled binary is made from", async () => {
    const result = await Bun.build({ entrypoints: [join(GPIO_DIR, "index.ts")], target: "bun" });
    expect(result.success).toBe(true);
    const text = await (result.outputs[0] as Blob).text();
    expect(text).toContain('import("bun:ffi")');
    expect(text).not.toMatch(/from\s*["']bun:ffi["']/);
    expect(text).not.toMatch(/require\(["']bun:ffi["']\)/);
  });
});

describe("GPIO port as a program", () => {
  it("runs sim, sysfs and gpiochip (bun:ffi) under bun, then exits by itself", async () => {
    const { code, stdout, stderr } = await run([process.execPath, ENTRY]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(EXPECTED);
  });

  it("does the same inside a bun build --compile binary", async () => {
    const outfile = join(work, "gpio-entry");
    const build = Bun.spawn([process.execPath, "build", "--compile", ENTRY, "--outfile", outfile], {
      cwd: ROOT,
      stdout: "pipe",
      stderr: "pipe",
    });
    const [built, buildErr] = await Promise.all([build.exited, new Response(build.stderr).text()]);
    expect(buildErr).not.toContain("error");
    expect(built).toBe(0);
    const { code, stdout, stderr } = await run([outfile]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(EXPECTED);
  }, 60_000);
});
