/**
 * Drives the real `hearth` executable: the compiled binary (built once per test process into a temp
 * folder, or taken from $HEARTH_BINARY), spawned with its own data dir, talking over loopback.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");
let built: Promise<string> | undefined;

/** Path of a compiled `hearth` for this machine. */
export function hearthBinary(): Promise<string> {
  const given = process.env.HEARTH_BINARY;
  if (given) return Promise.resolve(given);
  built ??= (async () => {
    const outdir = mkdtempSync(join(tmpdir(), "hearth-bin-"));
    process.on("exit", () => rmSync(outdir, { recursive: true, force: true }));
    const proc = Bun.spawn([process.execPath, "run", join(ROOT, "scripts/build.ts"), "--outdir", outdir], {
      cwd: ROOT,
      stdout: "pipe",
      stderr: "pipe",
    });
    const [code, out, err] = await Promise.all([
      proc.exited,
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
    ]);
    if (code !== 0) throw new Error(`build failed (${code}):\n${out}\n${err}`);
    const arch = process.arch === "arm64" ? "arm64" : "x64";
    return join(outdir, `hearth-linux-${arch}`);
  })();
  return built;
}

export interface Running {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  /** Parsed JSON log lines so far. */
  logs: Record<string, unknown>[];
  /** Non-JSON stdout/stderr text so far. */
  text: () => string;
  port: number;
  url: (path: string) => string;
  /** Resolves with the exit code. */
  exited: Promise<number>;
}

export interface StartOptions {
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Wait for this log message before resolving (default: "runtime started"). */
  readyMessage?: string;
  timeoutMs?: number;
}

/** Spawns `hearth run …` and resolves once it listens (or rejects with its output if it exits first). */
export async function startHearth(bin: string, options: StartOptions = {}): Promise<Running> {
  const proc = Bun.spawn([bin, "run", ...(options.args ?? [])], {
    cwd: options.cwd ?? tmpdir(),
    env: {
      PATH: process.env.PATH ?? "",
      HEARTH_HTTP_HOST: "127.0.0.1",
      HEARTH_HTTP_PORT: "0",
      ...options.env,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const logs: Record<string, unknown>[] = [];
  let raw = "";
  const ready = options.readyMessage ?? "runtime started";
  let port = 0;
  let resolveReady: () => void = () => {};
  const readyP = new Promise<void>((r) => {
    resolveReady = r;
  });
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of stream) {
      buf += decoder.decode(chunk, { stream: true });
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        raw += `${line}\n`;
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (entry.msg === "admin API listening" && typeof entry.port === "number") port = entry.port;
          if (entry.msg === ready) resolveReady();
        } catch {
          // plain text (CLI errors on stderr)
        }
        nl = buf.indexOf("\n");
      }
    }
  };
  const pumps = Promise.all([pump(proc.stdout), pump(proc.stderr)]);
  const exited = proc.exited.then(async (code) => {
    await pumps;
    return code;
  });
  const timeoutMs = options.timeoutMs ?? 15_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      readyP,
      exited.then((code) => {
        throw new Error(`hearth exited (${code}) before "${ready}":\n${raw}`);
      }),
      // Cleared once ready: a process that started in time must not be killed later by this timer.
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          proc.kill("SIGKILL");
          reject(new Error(`hearth did not log "${ready}" within ${timeoutMs} ms:\n${raw}`));
        }, timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
  return { proc, logs, text: () => raw, port, url: (p) => `http://127.0.0.1:${port}${p}`, exited };
}

/** Runs a hearth command to completion and returns its exit code and output. */
export async function runHearth(
  bin: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
) {
  const proc = Bun.spawn([bin, ...args], {
    cwd: options.cwd ?? tmpdir(),
    env: { PATH: process.env.PATH ?? "", ...options.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  return { code, stdout, stderr };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `hearth-${prefix}-`));
}
