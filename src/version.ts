import pkg from "../package.json" with { type: "json" };

// Replaced at build time by scripts/build.ts (`--define`); `bun run` leaves them undefined.
declare const HEARTH_COMMIT: string | undefined;
declare const HEARTH_TARGET: string | undefined;

export interface VersionInfo {
  version: string;
  commit: string;
  bun: string;
  target: string;
}

export function versionInfo(): VersionInfo {
  return {
    version: pkg.version,
    commit: typeof HEARTH_COMMIT === "string" ? HEARTH_COMMIT : "dev",
    bun: Bun.version,
    target:
      typeof HEARTH_TARGET === "string"
        ? HEARTH_TARGET
        : `bun-${process.platform}-${process.arch} (not compiled)`,
  };
}
