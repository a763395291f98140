import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import {
  createBunSerialBinding,
  findKnownAdapter,
  listSerialPorts,
} from "../../../../src/hal/serial/index.ts";

let root: string;

function file(path: string, text: string) {
  mkdirSync(join(root, path, ".."), { recursive: true });
  writeFileSync(join(root, path), `${text}\n`);
}
function link(path: string, target: string) {
  mkdirSync(join(root, path, ".."), { recursive: true });
  // Relative to where the link really lives (its parent may itself be reached through a link).
  const parent = realpathSync(join(root, path, ".."));
  symlinkSync(relative(parent, join(realpathSync(root), target)), join(parent, basename(path)));
}

/** A USB serial stick as sysfs shows it: USB device → interface → tty, with a driver link. */
function usbStick(
  tty: string,
  usb: string,
  ids: { vendor: string; product: string; manufacturer?: string; product_?: string; serial?: string },
  driver: string,
  viaPort: boolean,
) {
  const dev = `sys/devices/pci0000:00/0000:00:14.0/usb1/${usb}`;
  file(`${dev}/idVendor`, ids.vendor);
  file(`${dev}/idProduct`, ids.product);
  if (ids.manufacturer) file(`${dev}/manufacturer`, ids.manufacturer);
  if (ids.product_) file(`${dev}/product`, ids.product_);
  if (ids.serial) file(`${dev}/serial`, ids.serial);
  const iface = `${dev}/${usb}:1.0`;
  const ttyDevice = viaPort ? `${iface}/${tty}` : iface; // usb-serial adds a port folder; cdc_acm does not
  mkdirSync(join(root, ttyDevice), { recursive: true });
  mkdirSync(join(root, "sys/bus/usb/drivers", driver), { recursive: true });
  link(`${ttyDevice}/driver`, `sys/bus/usb/drivers/${driver}`);
  mkdirSync(join(root, ttyDevice, "tty", tty), { recursive: true });
  link(`sys/class/tty/${tty}`, `${ttyDevice}/tty/${tty}`);
  link(`sys/class/tty/${tty}/device`, ttyDevice);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "hearth-sysfs-"));
  usbStick(
    "ttyUSB0",
    "1-1",
    {
      vendor: "10C4",
      product: "EA60",
      manufacturer: "ITead",
      product_: "Sonoff Zigbee 3.0 USB Dongle Plus",
      serial: "a1b2",
    },
    "cp210x",
    true,
  );
  usbStick(
    "ttyACM0",
    "1-2",
    {
      vendor: "1cf1",
      product: "0030",
      manufacturer: "dresden elektronik ingenieurtechnik GmbH",
      serial: "DE123",
    },
    "cdc_acm",
    false,
  );
  usbStick("ttyUSB1", "1-3", { vendor: "0403", product: "6001" }, "ftdi_sio", true);
  // A legacy 8250 slot with no UART (type 0), a UART with one, and a virtual console without a device.
  file("sys/devices/platform/serial8250/tty/ttyS1/type", "0");
  link("sys/class/tty/ttyS1", "sys/devices/platform/serial8250/tty/ttyS1");
  link("sys/class/tty/ttyS1/device", "sys/devices/platform/serial8250");
  file("sys/devices/platform/fe201000.serial/tty/ttyAMA0/type", "91");
  link("sys/class/tty/ttyAMA0", "sys/devices/platform/fe201000.serial/tty/ttyAMA0");
  link("sys/class/tty/ttyAMA0/device", "sys/devices/platform/fe201000.serial");
  mkdirSync(join(root, "sys/devices/virtual/tty/tty0"), { recursive: true });
  link("sys/class/tty/tty0", "sys/devices/virtual/tty/tty0");
  mkdirSync(join(root, "dev/serial/by-id"), { recursive: true });
  link("dev/serial/by-id/usb-ITead_Sonoff_Zigbee_3.0_USB_Dongle_Plus_a1b2-if00-port0", "dev/ttyUSB0");
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("listSerialPorts", () => {
  it("lists devices with their USB ids, strings, driver and by-id link, and skips virtual and empty ttys", async () => {
    const ports = await listSerialPorts({ root });
    expect(ports.map((p) => p.path)).toEqual([
      "/dev/ttyACM0",
      "/dev/ttyAMA0",
      "/dev/ttyUSB0",
      "/dev/ttyUSB1",
    ]);
    expect(ports[2]).toEqual({
      path: "/dev/ttyUSB0",
      byId: "/dev/serial/by-id/usb-ITead_Sonoff_Zigbee_3.0_USB_Dongle_Plus_a1b2-if00-port0",
      driver: "cp210x",
      vendorId: "10c4",
      productId: "ea60",
      manufacturer: "ITead",
      product: "Sonoff Zigbee 3.0 USB Dongle Plus",
      serialNumber: "a1b2",
      adapter: findKnownAdapter("10c4", "ea60"),
    });
    expect(ports[0]).toMatchObject({
      vendorId: "1cf1",
      productId: "0030",
      driver: "cdc_acm",
      adapter: { stack: "deconz" },
    });
    expect(ports[1]).toEqual({ path: "/dev/ttyAMA0" });
    expect(ports[3]).toMatchObject({ vendorId: "0403", productId: "6001" });
    expect(ports[3]?.adapter).toBeUndefined();
  });

  it("returns nothing for a root without sysfs", async () => {
    expect(await listSerialPorts({ root: join(root, "empty") })).toEqual([]);
  });

  it("feeds the serialport binding's list() in serialport's PortInfo shape", async () => {
    const list = await createBunSerialBinding({ root }).list();
    expect(list.find((p) => p.path === "/dev/ttyUSB0")).toMatchObject({
      manufacturer: "ITead",
      serialNumber: "a1b2",
      pnpId: "usb-ITead_Sonoff_Zigbee_3.0_USB_Dongle_Plus_a1b2-if00-port0",
      locationId: undefined,
      vendorId: "10c4",
      productId: "ea60",
    });
  });
});

describe("known adapters", () => {
  it("recognises the Zigbee sticks by VID:PID in any case, and nothing else", () => {
    expect(findKnownAdapter("0451", "16A8")?.stack).toBe("zstack");
    expect(findKnownAdapter("1A86", "55d4")).toMatchObject({ stack: "ember", generic: true });
    expect(findKnownAdapter("1cf1", "0030")?.generic).toBe(false);
    expect(findKnownAdapter("0403", "6001")).toBeUndefined();
    expect(findKnownAdapter(undefined, "6001")).toBeUndefined();
  });
});
