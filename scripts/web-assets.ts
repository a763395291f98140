/**
 * The web page's assets as `bun build --compile` embeds them (src/web/index.html bundled and minified),
 * with their sizes raw and gzipped, and the budget they must stay under. Used by `scripts/build.ts` to
 * report the figures and by a test to hold the budget.
 *
 *   bun run scripts/web-assets.ts        # prints the table
 */

import { join } from "node:path";
import { gzipSync } from "node:zlib";

const ROOT = join(import.meta.dir, "..");
/** The page's assets in all, gzipped (issue 17): well under what a phone on a weak Wi-Fi loads quickly. */
export const WEB_BUDGET_GZIP_BYTES = 150 * 1024;

export interface WebAsset {
  path: string;
  bytes: number;
  gzipBytes: number;
}

export async function measureWebAssets(): Promise<{
  assets: WebAsset[];
  totalBytes: number;
  totalGzipBytes: number;
}> {
  const result = await Bun.build({
    entrypoints: [join(ROOT, "src/web/index.html")],
    minify: true,
    target: "browser",
  });
  if (!result.success) throw new AggregateError(result.logs, "web: bundling src/web/index.html failed");
  const assets: WebAsset[] = [];
  for (const out of result.outputs) {
    const bytes = new Uint8Array(await out.arrayBuffer());
    assets.push({
      path: out.path.replace(/^\.\//, ""),
      bytes: bytes.length,
      gzipBytes: gzipSync(bytes, { level: 9 }).length,
    });
  }
  return {
    assets,
    totalBytes: assets.reduce((n, a) => n + a.bytes, 0),
    totalGzipBytes: assets.reduce((n, a) => n + a.gzipBytes, 0),
  };
}

/** One line per asset and the total against the budget. */
export function formatWebAssets(m: Awaited<ReturnType<typeof measureWebAssets>>): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  const lines = m.assets.map(
    (a) => `web: ${a.path.padEnd(28)} ${kb(a.bytes).padStart(9)}  ${kb(a.gzipBytes).padStart(9)} gzip`,
  );
  lines.push(
    `web: total ${kb(m.totalBytes)}, ${kb(m.totalGzipBytes)} gzip (budget ${kb(WEB_BUDGET_GZIP_BYTES)} gzip)`,
  );
  return lines.join("\n");
}

if (import.meta.main) {
  const m = await measureWebAssets();
  console.log(formatWebAssets(m));
  if (m.totalGzipBytes > WEB_BUDGET_GZIP_BYTES) process.exit(1);
}
