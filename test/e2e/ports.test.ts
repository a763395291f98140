/**
 * `hearth ports` in the compiled binary, against fake sysfs and tty trees (the hidden root flags).
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { addUsbStick } from "../helpers/fake-tty.ts";
import { createFakeSysfs, type FakeSysfs } from "../unit/hal/gpio/fake-sysfs.ts";
import { hearthBinary, runHearth, tempDir } from "./harness.ts";

describe("hearth ports (compiled binary)", () => {
  let bin: string;
  let root: string;
  let sysfs: FakeSysfs;
  beforeAll(async () => {
    bin = await hearthBinary();
    root = tempDir("ports");
    sysfs = createFakeSysfs();
    addUsbStick(root, {
      tty: "ttyACM0",
      vendor: "0451",
      product: "16a8",
      manufacturer: "Texas_Instruments",
      name: "TI CC2531 USB CDC",
      driver: "cdc_acm",
    });
  }, 180_000);
  afterAll(() => {
    sysfs.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  const flags = (sysfsRoot: string) => [
    "--root",
    root,
    "--sysfs-root",
    sysfsRoot,
    "--dev-dir",
    join(root, "none"),
  ];

  it("lists the serial stick and the GPIO chips as JSON", async () => {
    const r = await runHearth(bin, ["ports", "--json", ...flags(sysfs.root)]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.serial[0]).toMatchObject({ path: "/dev/ttyACM0", vendorId: "0451", productId: "16a8" });
    expect(report.serial[0].adapter.stack).toBe("zstack");
    expect(report.gpio.selection.driver).toBe("sysfs");
    expect(report.gpio.chips[0]).toMatchObject({ name: "gpiochip512", label: "pinctrl-bcm2711", lines: 58 });
  });

  it("says when nothing is found", async () => {
    const empty = tempDir("ports-empty");
    try {
      const r = await runHearth(bin, [
        "ports",
        "--root",
        empty,
        "--sysfs-root",
        join(empty, "gpio"),
        "--dev-dir",
        join(empty, "dev"),
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Serial ports: none found");
      expect(r.stdout).toContain("GPIO: none found");
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
