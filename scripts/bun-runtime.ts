/**
 * The Bun runtime for a foreign compile target, so `bun build --compile` never downloads one itself:
 * the npm package @oven/bun-linux-<arch> of exactly this Bun's version (`npm pack`, cached under
 * dist/.runtimes), passed as `--compile-executable-path` / `compile.executablePath`. A version
 * mismatch cannot happen (it would fail at run time with BunSectionNotFound).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");

/** This machine's compile target (`bun-linux-x64` here). */
export const HOST_TARGET = `bun-${process.platform}-${process.arch === "arm64" ? "arm64" : "x64"}`;

/** The compile targets Hearth ships. */
export const TARGETS = ["bun-linux-x64", "bun-linux-arm64"] as const;

/** Path of the Bun executable for `target`, or undefined for the host (the running Bun is used). */
export function runtimeFor(target: string): string | undefined {
  if (target === HOST_TARGET) return undefined;
  const pkg = target === "bun-linux-arm64" ? "@oven/bun-linux-aarch64" : "@oven/bun-linux-x64";
  const dir = join(ROOT, "dist", ".runtimes", `${pkg.replace("/", "__")}-${Bun.version}`);
  const bin = join(dir, "package", "bin", "bun");
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const pack = Bun.spawnSync(["npm", "pack", `${pkg}@${Bun.version}`, "--silent"], {
    cwd: dir,
    stderr: "inherit",
  });
  const tgz = pack.stdout.toString().trim().split("\n").pop();
  if (pack.exitCode !== 0 || !tgz) throw new Error(`npm pack ${pkg}@${Bun.version} failed`);
  const untar = Bun.spawnSync(["tar", "xzf", tgz], { cwd: dir, stderr: "inherit" });
  if (untar.exitCode !== 0 || !existsSync(bin)) throw new Error(`could not unpack ${tgz}`);
  return bin;
}
