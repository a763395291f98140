import { mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage, HearthError } from "../../../errors.ts";
import type { BootstrapOptions } from "./types.ts";

export const BOOTSTRAP_TOKEN_FILE = "admin.token";

/**
 * On a first start (no token at all) creates an admin token named "bootstrap" and writes it to
 * `<dataDir>/admin.token`, created with mode 0600. Logs the file's path, never the token. When any
 * token exists, does nothing (the file is left as it is).
 *
 * @example
 * const { created, path } = await ensureBootstrapToken({ store, dataDir: config.dataDir, logger });
 */
export async function ensureBootstrapToken(
  options: BootstrapOptions,
): Promise<{ created: boolean; path: string }> {
  const { store, dataDir } = options;
  const log = options.logger.child({ component: "auth" });
  const path = join(dataDir, BOOTSTRAP_TOKEN_FILE);
  if ((await store.count()) > 0) return { created: false, path };

  await mkdir(dataDir, { recursive: true });
  const { token, info } = await store.create({ name: "bootstrap", scopes: ["admin"] });
  // Written beside the target and renamed over it: the file is 0600 from its first byte (no chmod
  // window) and a crash never leaves a half-written token behind.
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await rm(tmp, { force: true });
    const file = await open(tmp, "wx", 0o600);
    try {
      await file.writeFile(`${token}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    // Nobody could ever read this token; drop it so the next start tries again.
    await store.revoke(info.id);
    throw new HearthError(
      "AUTH_BOOTSTRAP_FAILED",
      `Cannot write the bootstrap token file ${path}: ${errorMessage(err)}`,
      {
        data: { path },
        cause: err,
      },
    );
  }
  log.info({ path, id: info.id }, "bootstrap admin token written; read it from this file (mode 0600)");
  return { created: true, path };
}
