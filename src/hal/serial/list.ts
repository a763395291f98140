/**
 * Serial port listing from sysfs and udev's /dev/serial/by-id links, with no udevadm and no addon.
 * The root is injectable so tests can build a fake tree.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { findKnownAdapter } from "./adapters.ts";
import type { ListSerialPortsOptions, SerialPortInfo } from "./types.ts";

function readText(file: string): string | undefined {
  try {
    const text = readFileSync(file, "utf8").trim();
    return text === "" ? undefined : text;
  } catch {
    return undefined;
  }
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function real(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** tty name → `/dev/serial/by-id/…` link naming it (the first one, sorted). */
function byIdLinks(root: string): Map<string, string> {
  const dir = join(root, "dev/serial/by-id");
  const out = new Map<string, string>();
  for (const link of entries(dir)) {
    try {
      const target = basename(resolve(dir, readlinkSync(join(dir, link))));
      if (!out.has(target)) out.set(target, join("/dev/serial/by-id", link));
    } catch {
      // Not a link: udev only makes links here.
    }
  }
  return out;
}

/** The USB device above a tty's device folder: the nearest ancestor with an `idVendor` file. */
function usbDevice(device: string, sysRoot: string): Partial<SerialPortInfo> {
  for (let dir = device; dir.startsWith(sysRoot) && dir !== sysRoot; dir = dirname(dir)) {
    const vendorId = readText(join(dir, "idVendor"));
    if (vendorId === undefined) continue;
    return {
      vendorId: vendorId.toLowerCase(),
      productId: readText(join(dir, "idProduct"))?.toLowerCase(),
      manufacturer: readText(join(dir, "manufacturer")),
      product: readText(join(dir, "product")),
      serialNumber: readText(join(dir, "serial")),
    };
  }
  return {};
}

/**
 * Lists serial devices: every `/sys/class/tty/<name>` backed by a device (so not virtual consoles
 * or ptys), except legacy 8250 slots with no UART behind them (`type` 0). USB devices carry vendor
 * and product ids, manufacturer, product and serial number; known Zigbee sticks are named.
 *
 * @example
 * for (const p of await listSerialPorts()) console.log(p.byId ?? p.path, p.adapter?.name ?? "");
 */
export async function listSerialPorts(options: ListSerialPortsOptions = {}): Promise<SerialPortInfo[]> {
  const root = resolve(options.root ?? "/");
  const sysRoot = join(root, "sys");
  const classDir = join(sysRoot, "class/tty");
  const byId = byIdLinks(root);
  const ports: SerialPortInfo[] = [];
  for (const name of entries(classDir)) {
    const device = real(join(classDir, name, "device"));
    if (device === undefined) continue;
    if (readText(join(classDir, name, "type")) === "0") continue;
    const driverLink = join(device, "driver");
    const driver = existsSync(driverLink) ? real(driverLink) : undefined;
    const usb = usbDevice(device, sysRoot);
    const info: SerialPortInfo = { path: `/dev/${name}` };
    const link = byId.get(name);
    if (link) info.byId = link;
    if (driver) info.driver = basename(driver);
    for (const [key, value] of Object.entries(usb) as [keyof SerialPortInfo, string | undefined][]) {
      if (value !== undefined) (info as unknown as Record<string, string>)[key] = value;
    }
    const adapter = findKnownAdapter(info.vendorId, info.productId);
    if (adapter) info.adapter = adapter;
    ports.push(info);
  }
  return ports;
}
