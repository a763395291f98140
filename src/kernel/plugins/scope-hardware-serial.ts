import { realpathSync } from "node:fs";
import {
  createBunSerialBinding,
  listSerialPorts,
  openSerialPort,
  SerialError,
  type SerialOpenOptions,
  type SerialPort,
} from "../../hal/serial/index.ts";
import type { PluginSerial } from "../../sdk/types.ts";
import type { ScopeLife } from "./scope-life.ts";

/**
 * Which plugin holds which serial device, process-wide (a device is a process-wide thing: two
 * runtimes in one process share it too). Keyed by the resolved path, so `/dev/serial/by-id/…` and
 * the `/dev/ttyUSB0` it points to are one device.
 */
const HOLDERS = new Map<string, string>();

function deviceKey(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

export interface SerialScopeOptions {
  /** Opens a port (default: the Bun driver); tests inject a fake. */
  open?: (options: SerialOpenOptions) => Promise<SerialPort>;
}

/**
 * `ctx.hardware.serial`: ports opened through it (directly or through its serialport binding) are
 * the plugin's, closed when its load ends; a device held by one plugin is refused to another with
 * SERIAL_PORT_BUSY naming the holder.
 */
export function scopedSerial(
  life: ScopeLife,
  options: SerialScopeOptions = {},
): { api: PluginSerial; close(): Promise<void> } {
  const { plugin } = life;
  const openDriver = options.open ?? openSerialPort;
  const ports = new Set<SerialPort>();
  const holds = new Map<SerialPort, string>();

  const open = async (openOptions: SerialOpenOptions): Promise<SerialPort> => {
    life.live();
    const path = typeof openOptions?.path === "string" ? openOptions.path : "";
    const key = deviceKey(path);
    const holder = HOLDERS.get(key);
    if (holder !== undefined) {
      throw new SerialError(
        "SERIAL_PORT_BUSY",
        `Serial port ${path} is held by plugin "${holder}"${holder === plugin ? " (opened twice)" : ""}`,
        { path, data: { holder, plugin } },
      );
    }
    HOLDERS.set(key, plugin);
    let port: SerialPort;
    try {
      port = await openDriver(openOptions);
    } catch (err) {
      HOLDERS.delete(key);
      throw err;
    }
    if (life.disposed) {
      // The load ended while the device was opening: nobody is left to close it.
      HOLDERS.delete(key);
      await port.close().catch(() => undefined);
      life.live();
    }
    ports.add(port);
    holds.set(port, key);
    void port.closed.then(() => {
      ports.delete(port);
      if (HOLDERS.get(key) === plugin) HOLDERS.delete(key);
    });
    return port;
  };

  const api: PluginSerial = Object.freeze({
    open,
    list() {
      life.live();
      return listSerialPorts();
    },
    binding: createBunSerialBinding({ open }),
  });

  return {
    api,
    /**
     * Closes every port the plugin opened and frees its devices before resolving, so the next load
     * of the plugin (a reload) or another plugin can open them at once.
     */
    async close() {
      await Promise.all(
        [...ports].map(async (port) => {
          await port.close().catch(() => undefined);
          const key = holds.get(port);
          if (key !== undefined && HOLDERS.get(key) === plugin) HOLDERS.delete(key);
          ports.delete(port);
        }),
      );
    },
  };
}
