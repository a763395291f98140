import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT, runCli } from "../../../src/cli/commands.ts";
import { addUsbStick } from "../../helpers/fake-tty.ts";
import { createFakeSysfs, type FakeSysfs } from "../hal/gpio/fake-sysfs.ts";

let root: string;
let sysfs: FakeSysfs | undefined;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "hearth-ports-"));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  sysfs?.cleanup();
  sysfs = undefined;
});

async function cli(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

const SONOFF = {
  tty: "ttyUSB0",
  vendor: "10C4",
  product: "EA60",
  manufacturer: "ITead",
  name: "Sonoff Zigbee 3.0 USB Dongle Plus",
  driver: "cp210x",
};

/** Flags that point every tree into the temp folder (nothing of the real machine is read). */
const trees = (sysfsRoot: string) => [
  "--root",
  root,
  "--sysfs-root",
  sysfsRoot,
  "--dev-dir",
  join(root, "no-dev"),
];

describe("hearth ports", () => {
  it("says so when there are no serial ports and no GPIO", async () => {
    const r = await cli("ports", ...trees(join(root, "no-gpio")));
    expect(r.code).toBe(EXIT.OK);
    expect(r.out).toContain("Serial ports: none found");
    expect(r.out).toContain("GPIO: none found (No GPIO here");
  });

  it("lists a USB stick with its by-id link, ids and known adapter, and the GPIO chips and lines", async () => {
    addUsbStick(root, SONOFF);
    sysfs = createFakeSysfs();
    sysfs.preExport(512 + 17);
    const r = await cli("ports", ...trees(sysfs.root));
    expect(r.code).toBe(EXIT.OK);
    expect(r.out).toContain("/dev/ttyUSB0  10c4:ea60  ITead Sonoff Zigbee 3.0 USB Dongle Plus  (cp210x)");
    expect(r.out).toContain(
      "by-id: /dev/serial/by-id/usb-ITead_Sonoff_Zigbee_3.0_USB_Dongle_Plus-if00-port0",
    );
    expect(r.out).toMatch(/known adapter: .*zigbee zstack/);
    expect(r.out).toContain("GPIO (driver sysfs:");
    expect(r.out).toContain("gpiochip512  label pinctrl-bcm2711  58 lines, sysfs base 512");
    expect(r.out).toContain("gpiochip570  label raspberrypi-exp-gpio  8 lines, sysfs base 570");
    expect(r.out).toMatch(/^\s+17\s+-\s+pin 11\s+used by sysfs \(input\)$/m);
    expect(r.out).toMatch(/^\s+4\s+-\s+pin 7\s+free$/m);
  });

  it("prints the same as JSON with --json", async () => {
    addUsbStick(root, SONOFF);
    sysfs = createFakeSysfs();
    const r = await cli("ports", "--json", ...trees(sysfs.root));
    expect(r.code).toBe(EXIT.OK);
    const report = JSON.parse(r.out);
    expect(report.serial).toEqual([
      expect.objectContaining({
        path: "/dev/ttyUSB0",
        byId: "/dev/serial/by-id/usb-ITead_Sonoff_Zigbee_3.0_USB_Dongle_Plus-if00-port0",
        vendorId: "10c4",
        productId: "ea60",
        adapter: expect.objectContaining({ protocol: "zigbee" }),
      }),
    ]);
    expect(report.gpio.selection).toMatchObject({ driver: "sysfs", requested: "auto" });
    expect(report.gpio.chips.map((c: { label: string }) => c.label)).toEqual([
      "pinctrl-bcm2711",
      "raspberrypi-exp-gpio",
    ]);
    expect(report.gpio.chips[0].lineInfo[17]).toMatchObject({ offset: 17, headerPin: 11, used: false });
  });

  it("reports no GPIO in JSON as `unavailable`", async () => {
    const r = await cli("ports", "--json", ...trees(join(root, "no-gpio")));
    const report = JSON.parse(r.out);
    expect(report).toMatchObject({ serial: [], gpio: { chips: [] } });
    expect(report.gpio.unavailable).toContain("No GPIO here");
  });

  it("prints its usage with --help and refuses unknown flags", async () => {
    const help = await cli("ports", "--help");
    expect(help.code).toBe(EXIT.OK);
    expect(help.out).toContain("Usage: hearth ports [--json]");
    const bad = await cli("ports", "--nope");
    expect(bad.code).toBe(EXIT.USAGE);
  });

  it("is listed in the top-level help", async () => {
    const r = await cli("--help");
    expect(r.out).toMatch(/^ {2}ports\s+List serial ports/m);
  });
});
