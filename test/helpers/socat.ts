/**
 * Pseudo-terminal pairs from socat: two linked ptys (`a`, `b`) that behave like the two ends of a
 * null-modem cable. Stopping socat looks like an unplug to whoever holds an end open; starting it
 * again with the same links is a replug.
 */
import { existsSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PtyPair {
  dir: string;
  a: string;
  b: string;
  /** Whether socat is running. */
  readonly running: boolean;
  /** Stops socat (SIGTERM) and waits until it exited and removed its links: an unplug. */
  unplug(): Promise<void>;
  /** Starts socat again with the same links: a replug. */
  replug(): Promise<void>;
  /** Stops socat and removes the folder. */
  dispose(): Promise<void>;
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/** Starts `socat -d -d pty,raw,echo=0,link=<dir>/a pty,raw,echo=0,link=<dir>/b` and waits for both links. */
export async function startPtyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), "hearth-pty-"));
  const a = join(dir, "a");
  const b = join(dir, "b");
  let proc: Bun.Subprocess | undefined;

  const start = async () => {
    const child = Bun.spawn(["socat", "-d", "-d", `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
      stdin: "ignore",
      stdout: "ignore",
      stderr: "ignore",
    });
    proc = child;
    await waitFor(() => child.exitCode !== null || (existsSync(a) && existsSync(b)), "socat's links");
    if (child.exitCode !== null) throw new Error(`socat exited with ${child.exitCode}`);
  };
  const stop = async () => {
    const child = proc;
    proc = undefined;
    if (!child) return;
    child.kill("SIGTERM");
    await child.exited;
    await waitFor(() => !existsSync(a) && !existsSync(b), "socat to remove its links");
  };

  await start();
  return {
    dir,
    a,
    b,
    get running() {
      return proc !== undefined;
    },
    unplug: stop,
    replug: start,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** How many descriptors of this process refer to `path` (a pty link is followed to its /dev/pts node). */
export function fdsReferring(path: string): number {
  const target = realpathSync(path);
  let count = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === target) count++;
    } catch {
      // Closed between listing and reading (the listing's own descriptor, for one).
    }
  }
  return count;
}
