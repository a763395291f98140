/**
 * `<dataDir>/hearth.pid`: one running Hearth per data folder. The file holds the pid and the process
 * start time (from /proc), so a stale file left by `kill -9` or a power cut, or a pid since reused by
 * another program, is recognised and replaced instead of blocking the start.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { HearthError } from "../errors.ts";

export const PID_FILE = "hearth.pid";

/** Folders claimed by runtimes in this process (the pid alone cannot tell two of them apart). */
const claimed = new Set<string>();

/** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot; undefined if gone. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** The pid of a live Hearth that owns `dataDir`, or undefined. */
export function runningPid(dataDir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDir, PID_FILE), "utf8");
  } catch {
    return undefined;
  }
  const [pidText, started] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return startTime(pid) === started && started !== undefined ? pid : undefined;
}

/** Claims `dataDir` for this process; throws DATA_DIR_IN_USE when a live Hearth owns it. Returns a release function. */
export function acquirePidFile(dataDir: string): () => void {
  const key = resolve(dataDir);
  const other = runningPid(dataDir);
  if (claimed.has(key) || (other !== undefined && other !== process.pid)) {
    throw new HearthError(
      "DATA_DIR_IN_USE",
      `Hearth is already running on ${dataDir} (pid ${other ?? process.pid}); stop it first`,
      {
        data: { dataDir, pid: other ?? process.pid },
      },
    );
  }
  claimed.add(key);
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, PID_FILE);
  writeFileSync(path, `${process.pid} ${startTime(process.pid) ?? "0"}\n`);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    claimed.delete(key);
    // Only remove our own claim.
    if (runningPid(dataDir) === process.pid) rmSync(path, { force: true });
  };
}
