/**
 * A fake `/sys/class/tty` + `/dev/serial/by-id` tree with one USB serial stick, as
 * `listSerialPorts({ root })` reads it (USB device → interface → tty, with a driver link).
 */
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";

export function addUsbStick(
  root: string,
  stick: { tty: string; vendor: string; product: string; manufacturer: string; name: string; driver: string },
): void {
  const file = (path: string, text: string) => {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), `${text}\n`);
  };
  const link = (path: string, target: string) => {
    mkdirSync(join(root, path, ".."), { recursive: true });
    const parent = realpathSync(join(root, path, ".."));
    symlinkSync(relative(parent, join(realpathSync(root), target)), join(parent, basename(path)));
  };
  const dev = "sys/devices/pci0000:00/0000:00:14.0/usb1/1-1";
  file(`${dev}/idVendor`, stick.vendor);
  file(`${dev}/idProduct`, stick.product);
  file(`${dev}/manufacturer`, stick.manufacturer);
  file(`${dev}/product`, stick.name);
  const ttyDevice = `${dev}/1-1:1.0/${stick.tty}`;
  mkdirSync(join(root, ttyDevice, "tty", stick.tty), { recursive: true });
  mkdirSync(join(root, "sys/bus/usb/drivers", stick.driver), { recursive: true });
  link(`${ttyDevice}/driver`, `sys/bus/usb/drivers/${stick.driver}`);
  link(`sys/class/tty/${stick.tty}`, `${ttyDevice}/tty/${stick.tty}`);
  link(`sys/class/tty/${stick.tty}/device`, ttyDevice);
  const byId = `usb-${stick.manufacturer}_${stick.name.replaceAll(" ", "_")}-if00-port0`;
  mkdirSync(join(root, "dev/serial/by-id"), { recursive: true });
  mkdirSync(join(root, "dev"), { recursive: true });
  symlinkSync(`../../${stick.tty}`, join(root, "dev/serial/by-id", byId));
}
