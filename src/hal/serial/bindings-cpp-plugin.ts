/**
 * A Bun plugin that replaces `@serialport/bindings-cpp` with Hearth's shim. At build time
 * (`Bun.build({ plugins })` in scripts/build.ts) the package name resolves to the shim, so the native
 * addon is never bundled — nor its build-machine path baked into the binary. At run time (`Bun.plugin`,
 * by the CLI entry and the test preload) a runtime plugin's `onResolve` is not consulted for a
 * `require()` from a CommonJS file in node_modules (herdsman's case: it silently loads the addon, which
 * then aborts the process in `uv_poll_init`), so the package's entry file is replaced on load instead.
 */
import type { BunPlugin } from "bun";

const SHIM = new URL("./bindings-cpp-shim.ts", import.meta.url).pathname;
const PACKAGE = /^@serialport\/bindings-cpp$/;
/** The package's CommonJS entry, wherever node_modules is. */
const ENTRY = /[\\/]node_modules[\\/]@serialport[\\/]bindings-cpp[\\/]dist[\\/]index\.js$/;

export const serialportShimPlugin: BunPlugin = {
  name: "hearth-serialport-bindings-cpp",
  setup(build) {
    build.onResolve({ filter: PACKAGE }, () => ({ path: SHIM }));
    build.onLoad({ filter: ENTRY }, () => ({
      contents: `export { autoDetect } from ${JSON.stringify(SHIM)};`,
      loader: "js",
    }));
  },
};

let installed = false;

/** Registers the plugin with the running Bun once (idempotent; no import of any serial code). */
export function installSerialportShim(): void {
  if (installed) return;
  installed = true;
  Bun.plugin(serialportShimPlugin);
}
