/**
 * A build plugin that keeps only zod's English messages in the binary. `zod` (v4 classic) re-exports
 * all 64 locales as `z.locales`, 264 KiB of the minified bundle that every start loads; Hearth
 * configures none of them (zod's default is `en`). Each locale name is kept, pointing at `en`, so
 * `z.locales.de()` still returns a working (English) error map instead of failing.
 */
import type { BunPlugin } from "bun";

const LOCALES_INDEX = /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/;

export const zodLocalesPlugin: BunPlugin = {
  name: "hearth-zod-english-only",
  setup(build) {
    build.onLoad({ filter: LOCALES_INDEX }, async ({ path }) => {
      const original = await Bun.file(path).text();
      const contents = original.replace(/from "\.\/[\w-]+\.js"/g, 'from "./en.js"');
      return { contents, loader: "js" };
    });
  },
};
