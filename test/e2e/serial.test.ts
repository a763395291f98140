/**
 * The serial driver inside a `bun build --compile` binary: bun:ffi, the lazily imported libc
 * binding and the serialport binding must all be bundled and work with no node_modules around.
 * One build per run; the binary talks to a socat pty pair.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type PtyPair, startPtyPair } from "../helpers/socat.ts";
import { toolAvailable } from "../helpers/tools.ts";

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
console.log(JSON.stringify({ received, reply, baudRate }));
`;

describe.skipIf(!toolAvailable("socat"))("serial in the compiled binary", () => {
  let dir: string;
  let binary: string;
  let pair: PtyPair;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hearth-serial-bin-"));
    writeFileSync(join(dir, "entry.ts"), ENTRY);
    binary = join(dir, "serial-echo");
    const build = Bun.spawn(
      [
        process.execPath,
        "build",
        "--compile",
        "--no-compile-autoload-dotenv",
        join(dir, "entry.ts"),
        "--outfile",
        binary,
      ],
      { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
    );
    const [code, err] = await Promise.all([build.exited, new Response(build.stderr).text()]);
    if (code !== 0) throw new Error(`bun build --compile failed (${code}): ${err}`);
    rmSync(join(dir, "entry.ts"));
    pair = await startPtyPair();
  }, 120_000);

  afterAll(async () => {
    await pair?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("round-trips over a pty with the driver and SerialPortStream, then exits by itself", async () => {
    const proc = Bun.spawn([binary, pair.a, pair.b], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
    const [code, out, err] = await Promise.all([
      proc.exited,
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
    ]);
    clearTimeout(timer);
    expect(err).toBe("");
    expect(proc.signalCode).toBeNull();
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({
      received: "ping from the driver",
      reply: "pong from the stream",
      baudRate: 460800,
    });
  }, 30_000);
});
