import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { ReadlineParser } from "@serialport/parser-readline";
import { SerialPortStream } from "@serialport/stream";
import { BunSerialBinding, openSerialPort } from "../../../../src/hal/serial/index.ts";
import type { SerialPort } from "../../../../src/hal/serial/types.ts";
import { hearthRejection } from "../../../helpers/errors.ts";
import { type PtyPair, startPtyPair } from "../../../helpers/socat.ts";
import { toolAvailable } from "../../../helpers/tools.ts";
import { readExactly } from "./serial-port.contract.ts";

function opened(stream: SerialPortStream): Promise<void> {
  return new Promise((resolve, reject) => stream.open((err) => (err ? reject(err) : resolve())));
}

describe.skipIf(!toolAvailable("socat"))("BunSerialBinding under @serialport/stream", () => {
  let pair: PtyPair;
  const cleanup: (() => Promise<unknown>)[] = [];

  beforeEach(async () => {
    pair = await startPtyPair();
  });
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
    await pair.dispose();
  });

  async function peer(): Promise<SerialPort> {
    const port = await openSerialPort({ path: pair.b, baudRate: 115200 });
    cleanup.push(() => port.close());
    return port;
  }

  async function stream(): Promise<SerialPortStream> {
    const s = new SerialPortStream({
      binding: BunSerialBinding,
      path: pair.a,
      baudRate: 115200,
      autoOpen: false,
    });
    await opened(s);
    cleanup.push(() => (s.isOpen ? new Promise((r) => s.close(r)) : Promise.resolve()));
    return s;
  }

  it("round-trips lines through SerialPortStream and ReadlineParser both ways", async () => {
    const b = await peer();
    const s = await stream();
    const lines = s.pipe(new ReadlineParser({ delimiter: "\n" }));
    const got: string[] = [];
    const two = new Promise<void>((resolve) =>
      lines.on("data", (line: string) => {
        got.push(line);
        if (got.length === 2) resolve();
      }),
    );
    await b.write("hello\nworld\n");
    await two;
    expect(got).toEqual(["hello", "world"]);

    await new Promise<void>((resolve, reject) =>
      s.write("from stream\n", (err) => (err ? reject(err) : resolve())),
    );
    await new Promise<void>((resolve, reject) => s.drain((err) => (err ? reject(err) : resolve())));
    expect(new TextDecoder().decode(await readExactly(b, 12))).toBe("from stream\n");
  });

  it("reports the open options with serialport's defaults and the kernel's baud rate", async () => {
    const port = await BunSerialBinding.open({ path: pair.a, baudRate: 230400 });
    cleanup.push(() => port.close());
    expect(port.isOpen).toBe(true);
    expect(port.openOptions).toEqual({
      path: pair.a,
      baudRate: 230400,
      dataBits: 8,
      lock: true,
      stopBits: 1,
      parity: "none",
      rtscts: false,
      xon: false,
      xoff: false,
      xany: false,
      hupcl: true,
    });
    expect(await port.getBaudRate()).toEqual({ baudRate: 230400 });
    await port.update({ baudRate: 57600 });
    expect(await port.getBaudRate()).toEqual({ baudRate: 57600 });
  });

  it("ignores options serialport callers add (autoOpen, highWaterMark) and refuses 1.5 stop bits", async () => {
    const port = await BunSerialBinding.open({ path: pair.a, baudRate: 9600, autoOpen: true } as never);
    await port.close();
    await hearthRejection(
      BunSerialBinding.open({ path: pair.a, baudRate: 9600, stopBits: 1.5 }),
      "SERIAL_CONFIG_INVALID",
    );
  });

  it("rejects a pending read with canceled: true on close, as the interface requires", async () => {
    const port = await BunSerialBinding.open({ path: pair.a, baudRate: 115200 });
    const pending = hearthRejection(port.read(Buffer.alloc(16), 0, 16), "SERIAL_PORT_CLOSED");
    await port.close();
    expect(port.isOpen).toBe(false);
    const err = await pending;
    expect((err as unknown as { canceled: boolean }).canceled).toBe(true);
  });

  it("reads at least one byte into the given offset", async () => {
    const b = await peer();
    const port = await BunSerialBinding.open({ path: pair.a, baudRate: 115200 });
    cleanup.push(() => port.close());
    await b.write("xyz");
    const buffer = Buffer.alloc(8, 0x2e);
    const { bytesRead } = await port.read(buffer, 2, 6);
    expect(bytesRead).toBeGreaterThanOrEqual(1);
    expect(buffer.subarray(2, 2 + bytesRead).toString()).toBe("xyz".slice(0, bytesRead));
    expect(buffer.subarray(0, 2).toString()).toBe("..");
  });

  it("turns an unplug into SerialPortStream's close event with a disconnected error", async () => {
    const s = await stream();
    s.on("data", () => {});
    const closed = new Promise<Error | null>((resolve) => s.on("close", resolve));
    await Bun.sleep(20); // the stream has a read pending
    await pair.unplug();
    const err = (await closed) as (Error & { disconnected?: boolean }) | null;
    expect(err?.disconnected).toBe(true);
    expect(s.isOpen).toBe(false);
  });

  it("passes modem-line failures on a pty to the caller instead of disconnecting", async () => {
    const s = await stream();
    const err = await new Promise<Error | null>((resolve) => s.set({ dtr: false }, resolve));
    expect((err as { code?: string } | null)?.code).toBe("SERIAL_UNSUPPORTED");
    expect(s.isOpen).toBe(true);
  });
});
