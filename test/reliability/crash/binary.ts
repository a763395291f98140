/**
 * Crash tests against the compiled binary: an external plugin whose service writes what it is given,
 * and client workers that call it over the admin API and remember every 200 as acknowledged.
 */
import { Database } from "bun:sqlite";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Running } from "../../e2e/harness.ts";
import { capped } from "./verify.ts";

export const PLUGIN = "crashy";

/** `crashy.write {mode, key, value}`: one set (durable or deferred), or a transaction over a/ and b/. */
const PLUGIN_CODE = `export default {
  onStart(ctx) {
    ctx.services.register("write", async (p) => {
      if (p.mode === "tx") {
        await ctx.storage.transaction(async (tx) => {
          await tx.set("${PLUGIN}", "a/" + p.key, p.value);
          // Keep the transaction open a moment, so kills land inside it.
          await new Promise((resolve) => setTimeout(resolve, 1));
          await tx.set("${PLUGIN}", "b/" + p.key, p.value);
        });
      } else {
        await ctx.storage.set("${PLUGIN}", p.key, p.value, p.mode === "deferred" ? { deferred: true } : undefined);
      }
      return { key: p.key };
    });
  },
};
`;

export function installPlugin(dataDir: string): void {
  const dir = join(dataDir, "plugins", PLUGIN);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "plugin.json"), JSON.stringify({ name: PLUGIN, version: "1.0.0" }));
  writeFileSync(join(dir, "index.ts"), PLUGIN_CODE);
}

export type Mode = "set" | "deferred" | "tx";

/** Everything sent (key → JSON text) and what of it was acknowledged with a 200. */
export interface HttpLedger {
  sent: Map<string, string>;
  acked: Set<string>;
  ackedDeferred: number;
}

export function newLedger(): HttpLedger {
  return { sent: new Map(), acked: new Set(), ackedDeferred: 0 };
}

/**
 * Calls `crashy.write` in a loop per mode (one sequential worker each) until a call fails (the
 * process died or is stopping) or `stop()` is called. Resolves once every worker has stopped.
 */
export function load(
  h: Running,
  token: string,
  gen: number,
  modes: Mode[],
  ledger: HttpLedger,
): { stop: () => void; done: Promise<void> } {
  let stopped = false;
  const worker = async (w: number, mode: Mode) => {
    for (let n = 1; !stopped; n++) {
      const key = `h/${gen}/${w}/${n}`;
      const value = { gen, w, n, mode, pad: "y".repeat((n * 53) % 800) };
      const ids = mode === "tx" ? [`a/${key}`, `b/${key}`] : [key];
      for (const id of ids) ledger.sent.set(id, JSON.stringify(value));
      let res: Response;
      try {
        res = await fetch(h.url(`/api/v1/services/${PLUGIN}.write/call`), {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ mode, key, value }),
        });
        await res.arrayBuffer();
      } catch {
        return; // connection refused or reset: the process is gone
      }
      if (res.status !== 200) return;
      for (const id of ids) ledger.acked.add(id);
      if (mode === "deferred") ledger.ackedDeferred++;
    }
  };
  const done = Promise.all(modes.map((mode, w) => worker(w, mode))).then(() => {});
  return {
    stop: () => {
      stopped = true;
    },
    done,
  };
}

export function readToken(dataDir: string): string {
  return readFileSync(join(dataDir, "admin.token"), "utf8").trim();
}

/** Problems in the plugin's namespace: acknowledged keys missing, wrong values, half transactions. */
export function checkPluginDocs(dbPath: string, ledger: HttpLedger): string[] {
  const db = new Database(dbPath, { readonly: true });
  const problems: string[] = [];
  try {
    const docs = new Map<string, string>();
    for (const r of db
      .query<{ key: string; value: string }, [string]>("SELECT key, value FROM documents WHERE namespace = ?")
      .all(PLUGIN))
      docs.set(r.key, r.value);
    for (const id of ledger.acked) if (!docs.has(id)) problems.push(`acknowledged ${id} is missing`);
    for (const [id, json] of docs) {
      const sent = ledger.sent.get(id);
      if (sent === undefined || JSON.stringify(JSON.parse(json)) !== sent) {
        problems.push(`${id} is not what was sent`);
      }
      const pair = id.startsWith("a/") ? `b/${id.slice(2)}` : id.startsWith("b/") ? `a/${id.slice(2)}` : "";
      if (pair && !docs.has(pair)) problems.push(`transaction half-applied: ${id} without ${pair}`);
    }
  } finally {
    db.close(false);
  }
  return capped(problems);
}
