/**
 * A Bun plugin that resolves `@serialport/bindings-cpp` to Hearth's shim. Registered at run time
 * (`Bun.plugin`, by the CLI entry and the test preload) and at build time (`Bun.build({ plugins })`
 * in scripts/build.ts), so the native addon is never loaded — nor its build-machine path baked into
 * the binary.
 */
import type { BunPlugin } from "bun";

const SHIM = new URL("./bindings-cpp-shim.ts", import.meta.url).pathname;

export const serialportShimPlugin: BunPlugin = {
  name: "hearth-serialport-bindings-cpp",
  setup(build) {
    build.onResolve({ filter: /^@serialport\/bindings-cpp$/ }, () => ({ path: SHIM }));
  },
};

let installed = false;

/** Registers the plugin with the running Bun once (idempotent; no import of any serial code). */
export function installSerialportShim(): void {
  if (installed) return;
  installed = true;
  Bun.plugin(serialportShimPlugin);
}
