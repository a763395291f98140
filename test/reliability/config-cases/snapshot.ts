/**
 * A directory tree as data (every entry's type, size, mode, mtime, and a content hash or link
 * target), so a test can prove that a command wrote nothing: same snapshot before and after.
 */
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";

/** Relative path ("" for the root itself) → one line describing the entry; `undefined` when the root is absent. */
export type TreeSnapshot = Map<string, string> | undefined;

function describeEntry(path: string): string {
  const st = lstatSync(path);
  const common = `mode=${(st.mode & 0o7777).toString(8)} mtime=${st.mtimeMs}`;
  if (st.isSymbolicLink()) return `link -> ${readlinkSync(path)} ${common}`;
  if (st.isDirectory()) return `dir size=${st.size} ${common}`;
  if (st.isFile()) {
    const hash = createHash("sha256").update(readFileSync(path)).digest("hex").slice(0, 16);
    return `file size=${st.size} sha256=${hash} ${common}`;
  }
  // FIFOs, sockets, devices: never opened (a FIFO would block).
  return `special size=${st.size} ${common}`;
}

/** Walks `root` without following symlinks. */
export function snapshotTree(root: string): TreeSnapshot {
  try {
    lstatSync(root);
  } catch {
    return undefined;
  }
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    const abs = rel === "" ? root : join(root, rel);
    const line = describeEntry(abs);
    out.set(rel, line);
    if (!line.startsWith("dir ")) return;
    for (const name of readdirSync(abs).sort()) walk(rel === "" ? name : `${rel}/${name}`);
  };
  walk("");
  return out;
}

/** What changed between two snapshots, one line per entry; empty when nothing did. */
export function diffTrees(before: TreeSnapshot, after: TreeSnapshot): string[] {
  if (before === undefined && after === undefined) return [];
  if (before === undefined) return [`created (${after?.size ?? 0} entries)`];
  if (after === undefined) return ["removed"];
  const out: string[] = [];
  for (const [path, line] of after) {
    const was = before.get(path);
    if (was === undefined) out.push(`+ ${path || "."}: ${line}`);
    else if (was !== line) out.push(`~ ${path || "."}: ${was} => ${line}`);
  }
  for (const path of before.keys()) if (!after.has(path)) out.push(`- ${path || "."}`);
  return out;
}
