/**
 * A compiled Hearth for the reliability suites: its own data dir, a config file, the `probe` fixture
 * plugin installed as an external plugin, and the bootstrap admin token.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hearthBinary, type Running, startHearth, tempDir } from "../../e2e/harness.ts";

const DAY_MS = 86_400_000;
const START_TIMEOUT_MS = 30_000;
const TAIL_LINES = 200;

export interface Instance {
  h: Running;
  data: string;
  bin: string;
  /** The bootstrap admin token. */
  token: string;
  pid: number;
  url: (path: string) => string;
  /** Bearer headers for `token` (default: the admin token). */
  auth: (token?: string) => Record<string, string>;
  /** Creates a token through the API; returns its secret and id. */
  createToken: (name: string, scopes: string[]) => Promise<{ token: string; id: string }>;
  /** SIGTERM, wait, delete the data dir; resolves with the exit code. */
  stop: () => Promise<number>;
  /** Undefined while the process runs; else its exit code and the end of its output. */
  crash: () => string | undefined;
}

export interface InstanceOptions {
  /** Install the probe plugin (default true). */
  probe?: boolean;
  /**
   * Keep only the log lines that are not access-log lines, and the last 200 lines of output, instead
   * of everything (startHearth keeps every line: too much for a 30-minute soak).
   */
  lean?: boolean;
}

/** Starts the binary with `config` written to `<dataDir>/hearth.json`. */
export async function startInstance(
  config: Record<string, unknown>,
  options: InstanceOptions = {},
): Promise<Instance> {
  const bin = await hearthBinary();
  const data = tempDir("reliability");
  if (options.probe ?? true) {
    const dir = join(data, "plugins", "probe");
    mkdirSync(dir, { recursive: true });
    cpSync(join(import.meta.dir, "probe-plugin"), dir, { recursive: true });
  }
  const file = join(data, "hearth.json");
  writeFileSync(file, JSON.stringify(config));
  const args = ["--config", file, "--data-dir", data];
  // startHearth's own start-up timeout is never cleared and SIGKILLs the process when it fires, even
  // after a successful start (test/e2e/harness.ts): give it a day and bound the start here instead.
  const started = options.lean ? startLean(bin, args) : startHearth(bin, { args, timeoutMs: DAY_MS });
  const h = await Promise.race([
    started,
    Bun.sleep(START_TIMEOUT_MS).then(() => {
      throw new Error(`hearth did not start within ${START_TIMEOUT_MS} ms`);
    }),
  ]);
  const token = readFileSync(join(data, "admin.token"), "utf8").trim();
  const auth = (t = token) => ({ Authorization: `Bearer ${t}` });
  return {
    h,
    data,
    bin,
    token,
    pid: h.proc.pid,
    url: h.url,
    auth,
    async createToken(name, scopes) {
      const res = await fetch(h.url("/api/v1/tokens"), {
        method: "POST",
        headers: { ...auth(), "Content-Type": "application/json" },
        body: JSON.stringify({ name, scopes }),
      });
      if (res.status !== 201) throw new Error(`token create: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { token: string; info: { id: string } };
      return { token: body.token, id: body.info.id };
    },
    crash() {
      const code = h.proc.exitCode ?? h.proc.signalCode;
      if (code === null) return undefined;
      return `exited with ${code}; last output:\n${h.text().split("\n").slice(-40).join("\n")}`;
    },
    async stop() {
      h.proc.kill("SIGTERM");
      const code = await h.exited;
      rmSync(data, { recursive: true, force: true });
      return code;
    },
  };
}

/** Like startHearth, but keeps only non-access-log lines and a bounded tail of the output. */
async function startLean(bin: string, args: string[]): Promise<Running> {
  const proc = Bun.spawn([bin, "run", ...args], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? "", HEARTH_HTTP_HOST: "127.0.0.1", HEARTH_HTTP_PORT: "0" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const logs: Record<string, unknown>[] = [];
  const tail: string[] = [];
  let port = 0;
  let ready: () => void = () => {};
  const readyP = new Promise<void>((r) => {
    ready = r;
  });
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of stream) {
      buf += decoder.decode(chunk, { stream: true });
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const line of lines) {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          if (entry.msg === "http request") continue;
          logs.push(entry);
          if (entry.msg === "admin API listening" && typeof entry.port === "number") port = entry.port;
          if (entry.msg === "runtime started") ready();
        } catch {
          // plain text (Bun's own warnings)
        }
      }
    }
  };
  const pumps = Promise.all([pump(proc.stdout), pump(proc.stderr)]);
  const exited = proc.exited.then(async (code) => {
    await pumps;
    return code;
  });
  await Promise.race([
    readyP,
    exited.then((code) => {
      throw new Error(`hearth exited (${code}) before it started:\n${tail.join("\n")}`);
    }),
  ]);
  return {
    proc,
    logs,
    text: () => tail.join("\n"),
    port,
    url: (p) => `http://127.0.0.1:${port}${p}`,
    exited,
  };
}
