/**
 * `ctx.hardware.serial` over real socat ptys: ports are the plugin's, closed when its load ends,
 * and a device one plugin holds is refused to another with SERIAL_PORT_BUSY naming the holder.
 */
import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { SerialPortStream } from "@serialport/stream";
import { fdsReferring, type PtyPair, startPtyPair } from "../../../helpers/socat.ts";
import { toolAvailable } from "../../../helpers/tools.ts";
import { builtin, harness, probe, rejectionCode } from "./helpers.ts";

/** socat makes the pty pairs; without it (outside CI) the file is skipped with a visible reason. */
const HAS_SOCAT = toolAvailable("socat");
let pty: PtyPair;
beforeEach(async () => {
  if (HAS_SOCAT) pty = await startPtyPair();
});
afterEach(async () => {
  await pty?.dispose();
});

async function twoPlugins() {
  const one = probe("one");
  const two = probe("two");
  const h = harness({ builtins: [one.source, two.source] });
  await h.manager.startAll();
  return { h, one: one.ctx(), two: two.ctx() };
}

describe.skipIf(!HAS_SOCAT)("ctx.hardware.serial", () => {
  it("opens a port that talks to the other end", async () => {
    const { h, one } = await twoPlugins();
    const port = await one.hardware.serial.open({ path: pty.a, baudRate: 115200 });
    await port.write("hi");
    const { openSerialPort } = await import("../../../../src/hal/serial/index.ts");
    const peer = await openSerialPort({ path: pty.b });
    await peer.write("yo");
    expect(new TextDecoder().decode(await port.read())).toBe("yo");
    await peer.close();
    await h.manager.stopAll();
  });

  it("refuses a device held by another plugin, naming the holder", async () => {
    const { h, one, two } = await twoPlugins();
    await one.hardware.serial.open({ path: pty.a });
    let message = "";
    const code = await rejectionCode(
      two.hardware.serial.open({ path: pty.a }).catch((err: Error) => {
        message = err.message;
        throw err;
      }),
    );
    expect(code).toBe("SERIAL_PORT_BUSY");
    expect(message).toContain('"one"');
    await h.manager.stopAll();
  });

  it("closes the plugin's ports when it stops, and frees the device for another plugin", async () => {
    const { h, one, two } = await twoPlugins();
    const port = await one.hardware.serial.open({ path: pty.a });
    expect(fdsReferring(pty.a)).toBeGreaterThan(0);
    await h.manager.disable("one");
    const payload = await port.closed;
    expect(payload.disconnected).toBe(false);
    const again = await two.hardware.serial.open({ path: pty.a });
    expect(again.isOpen).toBe(true);
    await h.manager.stopAll();
    await again.closed;
    expect(fdsReferring(pty.a)).toBe(0);
  });

  it("lets the next load of a plugin (a reload) open the device its last load held", async () => {
    let opened = 0;
    const h = harness({
      builtins: [
        builtin("stick", {
          async onStart(ctx) {
            await ctx.hardware.serial.open({ path: pty.a });
            opened++;
          },
        }),
      ],
    });
    await h.manager.startAll();
    for (let i = 0; i < 3; i++) {
      const info = await h.manager.reload("stick");
      expect(info.error).toBeUndefined();
      expect(info.state).toBe("started");
    }
    expect(opened).toBe(4);
    await h.manager.stopAll();
    expect(fdsReferring(pty.a)).toBe(0);
  });

  it("gives a serialport binding whose ports are the plugin's too", async () => {
    const { h, one, two } = await twoPlugins();
    const stream = new SerialPortStream({
      binding: one.hardware.serial.binding,
      path: pty.a,
      baudRate: 115200,
    });
    await new Promise<void>((resolve, reject) => stream.once("open", resolve).once("error", reject));
    expect(await rejectionCode(two.hardware.serial.open({ path: pty.a }))).toBe("SERIAL_PORT_BUSY");
    await h.manager.stopAll();
    await Bun.sleep(50);
    expect(fdsReferring(pty.a)).toBe(0);
  });

  it("lists serial devices", async () => {
    const { h, one } = await twoPlugins();
    expect(Array.isArray(await one.hardware.serial.list())).toBe(true);
    await h.manager.stopAll();
  });
});
