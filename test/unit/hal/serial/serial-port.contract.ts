/**
 * The serial port contract every driver passes, against real pseudo-terminal pairs from socat.
 * Run it from a driver's test: `serialPortContract("bun-serial", openSerialPort)`.
 */
import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { reconnecting } from "../../../../src/hal/serial/index.ts";
import type { SerialOpenOptions, SerialPort } from "../../../../src/hal/serial/types.ts";
import { hearthRejection } from "../../../helpers/errors.ts";
import { fdsReferring, type PtyPair, startPtyPair } from "../../../helpers/socat.ts";
import { toolAvailable } from "../../../helpers/tools.ts";

type Open = (options: SerialOpenOptions) => Promise<SerialPort>;

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Reads until `length` bytes arrived (or the port fails). */
export async function readExactly(port: SerialPort, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const chunk = await port.read(length - got);
    expect(chunk.byteLength).toBeGreaterThan(0);
    out.set(chunk, got);
    got += chunk.byteLength;
  }
  return out;
}

function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

export function serialPortContract(driver: string, open: Open): void {
  describe.skipIf(!toolAvailable("socat"))(`serial port contract: ${driver} over socat ptys`, () => {
    let pair: PtyPair;
    const opened: SerialPort[] = [];
    const openPort = async (path: string, options: Omit<SerialOpenOptions, "path"> = {}) => {
      const port = await open({ path, baudRate: 115200, ...options });
      opened.push(port);
      return port;
    };

    beforeEach(async () => {
      pair = await startPtyPair();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((p) => p.close()));
      await pair.dispose();
    });

    it("carries bytes from a to b and from b to a", async () => {
      const a = await openPort(pair.a);
      const b = await openPort(pair.b);
      await a.write("ping");
      expect(decode(await readExactly(b, 4))).toBe("ping");
      await b.write(encode("pong"));
      expect(decode(await readExactly(a, 4))).toBe("pong");
    });

    it("resolves a read with at least one and at most maxBytes bytes", async () => {
      const a = await openPort(pair.a);
      const b = await openPort(pair.b);
      await b.write("abcdef");
      const first = await a.read(2);
      expect(first.byteLength).toBeGreaterThanOrEqual(1);
      expect(first.byteLength).toBeLessThanOrEqual(2);
      const rest = await readExactly(a, 6 - first.byteLength);
      expect(decode(first) + decode(rest)).toBe("abcdef");
    });

    it("transfers 1 MiB intact", async () => {
      const a = await openPort(pair.a);
      const b = await openPort(pair.b);
      const data = randomBytes(1024 * 1024);
      const [, received] = await Promise.all([a.write(data), readExactly(b, data.byteLength)]);
      expect(Bun.hash(received)).toBe(Bun.hash(data));
    });

    it("does not deadlock when both ends write large buffers at once", async () => {
      const a = await openPort(pair.a);
      const b = await openPort(pair.b);
      const ab = randomBytes(512 * 1024);
      const ba = randomBytes(512 * 1024);
      const [, , atB, atA] = await Promise.all([
        a.write(ab),
        b.write(ba),
        readExactly(b, ab.byteLength),
        readExactly(a, ba.byteLength),
      ]);
      expect(Bun.hash(atB)).toBe(Bun.hash(ab));
      expect(Bun.hash(atA)).toBe(Bun.hash(ba));
    });

    it("keeps concurrent writes in call order", async () => {
      const a = await openPort(pair.a);
      const b = await openPort(pair.b);
      const big = new Uint8Array(100_000).fill(0x61);
      const [got] = await Promise.all([
        readExactly(b, big.byteLength + 3),
        a.write(big),
        a.write("END"),
        a.drain(),
      ]);
      expect(decode(got.subarray(big.byteLength))).toBe("END");
    });

    it("applies and reports the baud rate, and changes it with update", async () => {
      const a = await openPort(pair.a, { baudRate: 460800, stopBits: 2, rtscts: true });
      expect(await a.getBaudRate()).toBe(460800);
      expect(a.options).toMatchObject({
        baudRate: 460800,
        dataBits: 8,
        parity: "none",
        stopBits: 2,
        rtscts: true,
      });
      await a.update({ baudRate: 9600 });
      expect(await a.getBaudRate()).toBe(9600);
      expect(a.options.baudRate).toBe(9600);
      await hearthRejection(a.update({ baudRate: 12345 }), "SERIAL_CONFIG_INVALID");
    });

    it("refuses settings the device silently dropped (a pty forces 8 data bits, no parity)", async () => {
      const err = await hearthRejection(
        openPort(pair.a, { dataBits: 7, parity: "even" }),
        "SERIAL_OPEN_FAILED",
      );
      expect(err.data).toMatchObject({
        mismatched: ["dataBits", "parity"],
        actual: { dataBits: 8, parity: "none" },
      });
      const again = await openPort(pair.a); // the failed open released the device
      expect(again.isOpen).toBe(true);
    });

    it("refuses a second open of a held device with SERIAL_PORT_BUSY, and allows it after close", async () => {
      const a = await openPort(pair.a);
      await hearthRejection(openPort(pair.a), "SERIAL_PORT_BUSY");
      await a.close();
      const again = await openPort(pair.a);
      expect(again.isOpen).toBe(true);
    });

    it("reports a missing device as SERIAL_PORT_NOT_FOUND and a non-tty as SERIAL_OPEN_FAILED", async () => {
      await hearthRejection(openPort(join(pair.dir, "nope")), "SERIAL_PORT_NOT_FOUND");
      const file = join(pair.dir, "plain");
      writeFileSync(file, "x");
      const err = await hearthRejection(openPort(file), "SERIAL_OPEN_FAILED");
      expect(err.data).toMatchObject({ errno: "ENOTTY" });
    });

    it("rejects invalid options with SERIAL_CONFIG_INVALID before touching the device", async () => {
      const err = await hearthRejection(
        openPort(pair.a, { baudRate: 12345, stopBits: 1.5 as 1 }),
        "SERIAL_CONFIG_INVALID",
      );
      expect((err.data as { issues: { path: string }[] }).issues.map((i) => i.path).sort()).toEqual([
        "baudRate",
        "stopBits",
      ]);
    });

    it("rejects a pending read with canceled: true on close", async () => {
      const a = await openPort(pair.a);
      const pending = hearthRejection(a.read(), "SERIAL_PORT_CLOSED");
      await a.close();
      const err = await pending;
      expect((err as unknown as { canceled: boolean }).canceled).toBe(true);
      expect(await a.closed).toEqual({ disconnected: false });
    });

    it("rejects a write stuck on a full buffer with canceled: true on close", async () => {
      const a = await openPort(pair.a);
      await openPort(pair.b); // held open, never read: the pty buffers fill up
      const pending = [a.write(new Uint8Array(4 * 1024 * 1024)), a.drain()].map((p) =>
        hearthRejection(p, "SERIAL_PORT_CLOSED"),
      );
      await Bun.sleep(50);
      await a.close();
      for (const err of await Promise.all(pending)) {
        expect((err as unknown as { canceled: boolean }).canceled).toBe(true);
      }
    });

    it("rejects every operation after close with SERIAL_PORT_CLOSED, and closes idempotently", async () => {
      const a = await openPort(pair.a);
      await a.close();
      await a.close();
      expect(a.isOpen).toBe(false);
      for (const p of [
        a.read(),
        a.write("x"),
        a.drain(),
        a.flush(),
        a.getBaudRate(),
        a.update({ baudRate: 9600 }),
      ]) {
        await hearthRejection(p, "SERIAL_PORT_CLOSED");
      }
    });

    it("releases its descriptors on close (the device is no longer open in this process)", async () => {
      expect(fdsReferring(pair.a) + fdsReferring(pair.b)).toBe(0);
      for (let round = 0; round < 3; round++) {
        const a = await open({ path: pair.a, baudRate: 115200 });
        const b = await open({ path: pair.b, baudRate: 115200 });
        await a.write("x");
        await readExactly(b, 1);
        expect(fdsReferring(pair.a)).toBeGreaterThan(0);
        await a.close();
        await b.close();
        expect(fdsReferring(pair.a) + fdsReferring(pair.b)).toBe(0);
      }
    });

    it("drains and discards unread input with flush", async () => {
      const a = await openPort(pair.a);
      const b = await openPort(pair.b);
      await b.write("stale");
      await b.drain();
      await Bun.sleep(200); // let socat move the bytes into a's input queue
      await a.flush("input");
      await b.write("fresh");
      expect(decode(await readExactly(a, 5))).toBe("fresh");
    });

    it("says plainly that a pty has no modem lines", async () => {
      const a = await openPort(pair.a);
      const set = await hearthRejection(a.setSignals({ dtr: true, rts: false }), "SERIAL_UNSUPPORTED");
      expect(set.data).toMatchObject({ errno: "ENOTTY", operation: "setSignals" });
      await hearthRejection(a.getSignals(), "SERIAL_UNSUPPORTED");
      expect(a.isOpen).toBe(true);
    });

    it("ends async iteration when the port closes", async () => {
      const a = await openPort(pair.a);
      const b = await openPort(pair.b);
      await b.write("one");
      const seen: string[] = [];
      for await (const chunk of a) {
        seen.push(decode(chunk));
        if (seen.join("") === "one") await a.close();
      }
      expect(seen.join("")).toBe("one");
    });

    it("detects an unplug during a read: the read fails, the port closes with disconnected: true", async () => {
      const a = await openPort(pair.a);
      const events: unknown[] = [];
      a.on("close", (payload) => events.push(payload));
      const pending = hearthRejection(a.read(), "SERIAL_DISCONNECTED");
      await pair.unplug();
      const err = await pending;
      expect((err as unknown as { canceled: boolean }).canceled).toBe(false);
      expect(await a.closed).toEqual({ disconnected: true, code: "EOF" });
      expect(events).toEqual([{ disconnected: true, code: "EOF" }]);
      expect(a.isOpen).toBe(false);
    });

    it("detects an unplug on write (EIO) when no read is pending", async () => {
      const a = await openPort(pair.a);
      await pair.unplug();
      const err = await hearthRejection(a.write("late"), "SERIAL_DISCONNECTED");
      expect(err.data).toMatchObject({ errno: "EIO" });
      expect(await a.closed).toEqual({ disconnected: true, code: "EIO" });
    });

    it("reconnects after a replug and stops on abort", async () => {
      const abort = new AbortController();
      const retries: number[] = [];
      const ports = reconnecting(pair.a, {
        baudRate: 115200,
        signal: abort.signal,
        initialDelayMs: 20,
        maxDelayMs: 80,
        open,
        onRetry: ({ delayMs }) => retries.push(delayMs),
      });
      const first = await ports.next();
      const port1 = first.value as SerialPort;
      const b1 = await openPort(pair.b);
      await b1.write("before");
      expect(decode(await readExactly(port1, 6))).toBe("before");

      const reading = port1.read().catch(() => undefined); // a pending read notices the unplug
      await pair.unplug();
      await reading;
      const nextPort = ports.next();
      await Bun.sleep(150); // a few failed attempts while the device is away
      await pair.replug();
      const port2 = (await nextPort).value as SerialPort;
      expect(port2).not.toBe(port1);
      // Failures at about 0, 20, 60 and 140 ms: the delay doubles and stays at the cap.
      expect(retries.slice(0, 3)).toEqual([20, 40, 80]);
      expect(Math.max(...retries)).toBe(80);

      const b2 = await openPort(pair.b);
      await b2.write("after");
      expect(decode(await readExactly(port2, 5))).toBe("after");

      const ended = ports.next();
      abort.abort();
      expect((await ended).done).toBe(true);
      expect(port2.isOpen).toBe(false);
      expect(await port2.closed).toEqual({ disconnected: false });
    });
  });
}
