/**
 * Writes the served OpenAPI document (`GET /openapi.json`) of a runtime with the built-in plugins,
 * booted in-process on a temp data folder without a listener, for the OpenAPI linters and for people
 * who want the document without running Hearth. CI lints the one the compiled binary serves.
 *
 *   bun run scripts/openapi.ts [--out openapi.json]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { loadConfig } from "../src/kernel/config/index.ts";
import { silentLogger } from "../src/kernel/log/index.ts";
import { createAdminApp } from "../src/modules/admin/index.ts";
import { CoreRuntime } from "../src/runtime.ts";

const args = process.argv.slice(2);
const outIndex = args.indexOf("--out");
const out = outIndex >= 0 ? args[outIndex + 1] : undefined;

const dir = mkdtempSync(join(tmpdir(), "hearth-openapi-"));
try {
  const { config } = loadConfig({ env: { HEARTH_DATA_DIR: dir }, cwd: dir, overrides: {} });
  const runtime = new CoreRuntime({ config, logger: silentLogger(), http: false });
  await runtime.start();
  try {
    const app = createAdminApp({ kernel: runtime.kernel });
    const res = await app.request("/openapi.json");
    if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}`);
    const text = `${JSON.stringify(await res.json(), null, 2)}\n`;
    if (out === undefined) process.stdout.write(text);
    else {
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, text);
    }
  } finally {
    await runtime.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
