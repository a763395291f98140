/** Running many short `hearth` processes side by side, and watching a port while one runs. */
import { tmpdir } from "node:os";

export interface ProcResult {
  /** Exit code, or `undefined` when the process was killed at the deadline. */
  code: number | undefined;
  stdout: string;
  stderr: string;
  /** Successful TCP connections to the watched port while the process ran. */
  connects: number;
}

export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Kill the process (SIGKILL) after this long; `code` is then `undefined`. */
  deadlineMs?: number;
  /** A loopback port to try to connect to, over and over, until the process exits. */
  watchPort?: number;
}

async function connects(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
}

/** Spawns `bin args…` with only PATH and `env` in its environment, and collects everything. */
export async function spawnHearth(
  bin: string,
  args: string[],
  options: SpawnOptions = {},
): Promise<ProcResult> {
  const proc = Bun.spawn([bin, ...args], {
    cwd: options.cwd ?? tmpdir(),
    env: { PATH: process.env.PATH ?? "", ...options.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let killed = false;
  const timer =
    options.deadlineMs === undefined
      ? undefined
      : setTimeout(() => {
          killed = true;
          proc.kill("SIGKILL");
        }, options.deadlineMs);
  let done = false;
  let connected = 0;
  const watcher = (async () => {
    if (options.watchPort === undefined) return;
    while (!done) {
      if (await connects(options.watchPort)) connected++;
      await Bun.sleep(5);
    }
  })();
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  done = true;
  await watcher;
  if (timer) clearTimeout(timer);
  return { code: killed ? undefined : code, stdout, stderr, connects: connected };
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order of the results. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A loopback port nobody listens on right now. */
export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = server;
  server.stop(true);
  return port;
}

/** A message that is a crash rather than an error Hearth meant to report. */
export function crashSigns(text: string): string[] {
  const signs: string[] = [];
  if (text.includes("unexpected error")) signs.push("'unexpected error'");
  if (/^\s+at .+:\d+:\d+\)?$/m.test(text)) signs.push("a stack frame");
  if (/\b(RangeError|TypeError|ReferenceError|SyntaxError)\b/.test(text)) signs.push("a JS error class");
  return signs;
}
