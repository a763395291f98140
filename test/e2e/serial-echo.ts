/**
 * A tiny compiled binary that does the serial suite's round trip over a socat pty pair: the driver
 * writes a line that `SerialPortStream` (over `BunSerialBinding`) reads through a `ReadlineParser`,
 * the stream answers and the driver reads it back, then both close and the process must exit by
 * itself. Built for this machine by `serial.test.ts`, and for the Pi (`bun-linux-arm64`, the Bun
 * runtime from npm as `scripts/bun-runtime.ts` fetches it) and run under qemu-user by
 * `serial.test.ts` and by `.ci/run`'s qemu section:
 *
 *   bun test/e2e/serial-echo.ts --target bun-linux-arm64 --cpu cortex-a53   # exit 0 = passed
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { HOST_TARGET, runtimeFor } from "../../scripts/bun-runtime.ts";
import { type PtyPair, startPtyPair } from "../helpers/socat.ts";

const ROOT = join(import.meta.dir, "../..");

// The entry lives in a temp folder: its imports are absolute, resolved from the repository.
const ENTRY = `
import { SerialPortStream } from ${JSON.stringify(Bun.resolveSync("@serialport/stream", ROOT))};
import { ReadlineParser } from ${JSON.stringify(Bun.resolveSync("@serialport/parser-readline", ROOT))};
import { BunSerialBinding, openSerialPort } from ${JSON.stringify(join(ROOT, "src/hal/serial/index.ts"))};

const [pathA, pathB] = process.argv.slice(-2);
const a = await openSerialPort({ path: pathA, baudRate: 460800 });
const b = new SerialPortStream({ binding: BunSerialBinding, path: pathB, baudRate: 460800, autoOpen: false });
await new Promise((resolve, reject) => b.open((err) => (err ? reject(err) : resolve())));
const line = new Promise((resolve) => b.pipe(new ReadlineParser()).once("data", resolve));
await a.write("ping from the driver\\n");
const received = await line;
b.write("pong from the stream");
let reply = "";
while (reply.length < 20) reply += new TextDecoder().decode(await a.read());
const baudRate = await a.getBaudRate();
await a.close();
await new Promise((resolve) => b.close(resolve));
console.log(JSON.stringify({ received, reply, baudRate, arch: process.arch }));
`;

/** What the binary prints on success (plus `arch`, the architecture it ran as). */
export const EXPECTED = { received: "ping from the driver", reply: "pong from the stream", baudRate: 460800 };

/** The qemu-user emulator for arm64 and the root of the arm64 glibc it needs (Debian's cross libc). */
export const QEMU = "qemu-aarch64-static";
export const ARM64_SYSROOT = "/usr/aarch64-linux-gnu";

/**
 * `bun build --compile` of the entry into `<dir>/serial-echo-<target>`. A foreign target gets its
 * runtime from npm (the pinned package, cached under dist/.runtimes), so the build itself downloads
 * nothing.
 */
export async function buildSerialEcho(dir: string, target: string = HOST_TARGET): Promise<string> {
  const src = mkdtempSync(join(tmpdir(), "hearth-serial-entry-"));
  try {
    writeFileSync(join(src, "entry.ts"), ENTRY);
    const outfile = join(dir, `serial-echo-${target.replace(/^bun-/, "")}`);
    const runtime = runtimeFor(target);
    const build = Bun.spawn(
      [
        process.execPath,
        "build",
        "--compile",
        "--no-compile-autoload-dotenv",
        `--target=${target}`,
        ...(runtime ? [`--compile-executable-path=${runtime}`] : []),
        join(src, "entry.ts"),
        "--outfile",
        outfile,
      ],
      { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
    );
    const [code, err] = await Promise.all([build.exited, new Response(build.stderr).text()]);
    if (code !== 0) throw new Error(`bun build --compile --target=${target} failed (${code}): ${err}`);
    return outfile;
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
}

/**
 * The command prefix that runs an arm64 binary here: `qemu-aarch64-static -L /usr/aarch64-linux-gnu`
 * (`-L` also serves the binary's `dlopen("libc.so.6")` from bun:ffi: qemu maps the loader's search of
 * /lib and /usr/lib into the sysroot). `-L` is passed explicitly, so a QEMU_LD_PREFIX in the
 * environment cannot point it elsewhere. Empty on an arm64 host.
 */
export function arm64Runner(cpu?: string): string[] {
  if (process.arch === "arm64") return [];
  return [QEMU, "-L", ARM64_SYSROOT, ...(cpu ? ["-cpu", cpu] : [])];
}

/** Whether arm64 binaries can run here (natively, or qemu-user plus the arm64 glibc). */
export function arm64Missing(): string | undefined {
  if (process.arch === "arm64") return undefined;
  if (Bun.which(QEMU) === null) return `${QEMU} is not installed (Debian: qemu-user-static)`;
  if (!existsSync(join(ARM64_SYSROOT, "lib", "libc.so.6"))) {
    return `no arm64 glibc in ${ARM64_SYSROOT} (Debian: libc6-arm64-cross)`;
  }
  return undefined;
}

export interface EchoRun {
  code: number;
  signal: NodeJS.Signals | number | null;
  out: string;
  err: string;
}

/** Runs `[...prefix, binary, a, b]` against a pty pair, killing it after `timeoutMs`. */
export async function runSerialEcho(
  prefix: string[],
  binary: string,
  pair: PtyPair,
  timeoutMs = 15_000,
): Promise<EchoRun> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "" };
  const proc = Bun.spawn([...prefix, binary, pair.a, pair.b], {
    cwd: tmpdir(),
    env,
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [code, out, err] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  clearTimeout(timer);
  return { code, signal: proc.signalCode, out, err };
}

/** Why a run did not pass, or undefined when it did. */
export function verdict(run: EchoRun, arch: string): string | undefined {
  if (run.signal !== null || run.code !== 0 || run.err !== "") {
    return `exit ${run.code}, signal ${run.signal}\nstdout: ${run.out}\nstderr: ${run.err}`;
  }
  try {
    const got = JSON.parse(run.out) as Record<string, unknown>;
    const want = { ...EXPECTED, arch };
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      return `printed ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`;
    }
  } catch {
    return `stdout is not JSON: ${run.out}`;
  }
  return undefined;
}

// `.ci/run`: build for a target, run the round trip (under qemu for arm64 on another host), exit 0/1.
if (import.meta.main) {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: { target: { type: "string", default: HOST_TARGET }, cpu: { type: "string" } },
    strict: true,
  });
  const arm = values.target === "bun-linux-arm64";
  const missing = arm ? arm64Missing() : undefined;
  if (missing) {
    console.error(`serial-echo: ${missing}`);
    process.exit(1);
  }
  const dir = mkdtempSync(join(tmpdir(), "hearth-serial-bin-"));
  let pair: PtyPair | undefined;
  let failure: string | undefined;
  try {
    const binary = await buildSerialEcho(dir, values.target);
    pair = await startPtyPair();
    const t0 = performance.now();
    const run = await runSerialEcho(arm ? arm64Runner(values.cpu) : [], binary, pair, 60_000);
    failure = verdict(run, arm ? "arm64" : "x64");
    const where =
      arm && process.arch !== "arm64" ? ` under qemu${values.cpu ? ` -cpu ${values.cpu}` : ""}` : "";
    console.log(
      failure
        ? `serial-echo ${values.target}${where}: FAILED\n${failure}`
        : `serial-echo ${values.target}${where}: ${run.out.trim()} in ${Math.round(performance.now() - t0)} ms`,
    );
  } catch (e) {
    failure = String(e);
    console.error(`serial-echo: ${failure}`);
  } finally {
    await pair?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(failure ? 1 : 0);
}
