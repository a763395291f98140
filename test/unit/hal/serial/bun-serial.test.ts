import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { openSerialPort } from "../../../../src/hal/serial/index.ts";
import { type PtyPair, startPtyPair } from "../../../helpers/socat.ts";
import { toolAvailable } from "../../../helpers/tools.ts";
import { serialPortContract } from "./serial-port.contract.ts";

serialPortContract("bun-serial", openSerialPort);

const INDEX = join(import.meta.dir, "../../../../src/hal/serial/index.ts");

/** Runs a script in a child bun; kills it after 10 s so a process that does not exit fails the test. */
async function runChild(source: string, args: string[] = []) {
  const proc = Bun.spawn([process.execPath, "-e", source, ...args], { stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  clearTimeout(timer);
  return { code, signal: proc.signalCode, stdout, stderr };
}

describe("bun-serial driver", () => {
  it("does not load bun:ffi or libc when src/hal/serial is imported", async () => {
    const source = `
      const serial = await import(${JSON.stringify(INDEX)});
      const loaded = () => Object.keys(require.cache).filter((k) => k.endsWith("/hal/serial/libc.ts") || k === "bun:ffi");
      const before = loaded();
      await serial.openSerialPort({ path: "/nonexistent/tty" }).catch(() => {});
      console.log(JSON.stringify({ before, after: loaded() }));`;
    const { code, stdout, stderr } = await runChild(source);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const { before, after } = JSON.parse(stdout);
    expect(before).toEqual([]);
    expect(after.some((k: string) => k.endsWith("/hal/serial/libc.ts"))).toBe(true);
  });

  describe.skipIf(!toolAvailable("socat"))("in a child process", () => {
    let pair: PtyPair;
    beforeEach(async () => {
      pair = await startPtyPair();
    });
    afterEach(async () => {
      await pair.dispose();
    });

    it("exits by itself after opening, using and closing ports (no dangling readers or timers)", async () => {
      const source = `
        const { openSerialPort } = await import(${JSON.stringify(INDEX)});
        const [a, b] = await Promise.all(process.argv.slice(-2).map((path) => openSerialPort({ path, baudRate: 115200 })));
        await a.write("hello");
        let text = "";
        while (text.length < 5) text += new TextDecoder().decode(await b.read());
        const pending = b.read().catch((e) => e.canceled);
        await a.drain();
        await a.close();
        await b.close();
        console.log(text, await pending);`;
      const { code, signal, stdout, stderr } = await runChild(source, [pair.a, pair.b]);
      expect(stderr).toBe("");
      expect(signal).toBeNull();
      expect(code).toBe(0);
      expect(stdout.trim()).toBe("hello true");
    });
  });
});
