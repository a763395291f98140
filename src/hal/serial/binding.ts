/**
 * serialport's binding interface (`@serialport/bindings-interface` 1.2) over the Bun driver, so
 * `@serialport/stream`'s SerialPortStream and the `@serialport/parser-*` packages (and libraries
 * built on them, such as zigbee-herdsman) run on Bun without `@serialport/bindings-cpp`.
 */
import type {
  BindingInterface,
  BindingPortInterface,
  OpenOptions,
  PortInfo,
  PortStatus,
  SetOptions,
  UpdateOptions,
} from "@serialport/bindings-interface";
import { HearthError } from "../../errors.ts";
import { openSerialPort } from "./bun-serial.ts";
import { listSerialPorts } from "./list.ts";
import { SerialError } from "./serial-error.ts";
import type { KnownSerialAdapter, SerialOpenOptions, SerialPort } from "./types.ts";

/** serialport's PortInfo plus what Hearth's listing knows. */
export interface BunBindingPortInfo extends PortInfo {
  byId: string | undefined;
  adapter: KnownSerialAdapter | undefined;
}

export interface BunSerialBindingOptions {
  /** Filesystem root for `list()` (tests use a fake tree). Default `/`. */
  root?: string;
  /** Opens a port (default: the Bun driver). */
  open?: (options: SerialOpenOptions) => Promise<SerialPort>;
}

export type BunSerialBindingInterface = BindingInterface<BunBindingPort, OpenOptions, BunBindingPortInfo>;

const OPEN_KEYS = [
  "path",
  "baudRate",
  "dataBits",
  "lock",
  "stopBits",
  "parity",
  "rtscts",
  "xon",
  "xoff",
  "xany",
  "hupcl",
] as const;

/**
 * One open port as serialport sees it. `isOpen` stays true after a disconnect until `close()`:
 * SerialPortStream reacts to the failed read by calling `close()` and then emits `close` with a
 * DisconnectedError — it would skip that if the port already looked closed.
 */
export class BunBindingPort implements BindingPortInterface {
  readonly openOptions: Required<OpenOptions>;
  readonly port: SerialPort;
  #open = true;

  constructor(port: SerialPort, openOptions: Required<OpenOptions>) {
    this.port = port;
    this.openOptions = openOptions;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  async close(): Promise<void> {
    this.#open = false;
    await this.port.close();
  }

  async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    if (!Buffer.isBuffer(buffer) || !Number.isInteger(offset) || !Number.isInteger(length) || offset < 0) {
      throw new HearthError("INVALID_ARGUMENT", "read(buffer, offset, length) needs a Buffer and integers");
    }
    if (length < 1 || offset + length > buffer.length) {
      throw new HearthError(
        "INVALID_ARGUMENT",
        `read: offset ${offset} + length ${length} is outside the buffer`,
      );
    }
    const chunk = await this.port.read(length);
    buffer.set(chunk, offset);
    return { buffer, bytesRead: chunk.byteLength };
  }

  write(buffer: Buffer): Promise<void> {
    if (!Buffer.isBuffer(buffer)) {
      return Promise.reject(new HearthError("INVALID_ARGUMENT", "write(buffer) needs a Buffer"));
    }
    return this.port.write(buffer);
  }

  update(options: UpdateOptions): Promise<void> {
    return this.port.update({ baudRate: options?.baudRate });
  }

  /** serialport passes every flag (its defaults: dtr and rts on, brk off); cts and dsr are inputs and ignored. */
  set(options: SetOptions): Promise<void> {
    return this.port.setSignals({ dtr: options.dtr, rts: options.rts, brk: options.brk });
  }

  async get(): Promise<PortStatus> {
    const { cts, dsr, dcd } = await this.port.getSignals();
    return { cts, dsr, dcd };
  }

  async getBaudRate(): Promise<{ baudRate: number }> {
    return { baudRate: await this.port.getBaudRate() };
  }

  flush(): Promise<void> {
    return this.port.flush("both");
  }

  drain(): Promise<void> {
    return this.port.drain();
  }
}

/**
 * Creates a serialport binding over the Bun driver.
 *
 * @example
 * import { SerialPortStream } from "@serialport/stream";
 * import { ReadlineParser } from "@serialport/parser-readline";
 * const port = new SerialPortStream({ binding: BunSerialBinding, path: "/dev/ttyACM0", baudRate: 115200 });
 * port.pipe(new ReadlineParser()).on("data", (line) => console.log(line));
 */
export function createBunSerialBinding(options: BunSerialBindingOptions = {}): BunSerialBindingInterface {
  const open = options.open ?? openSerialPort;
  return {
    async list() {
      const ports = await listSerialPorts(options.root === undefined ? {} : { root: options.root });
      return ports.map((p) => ({
        path: p.path,
        manufacturer: p.manufacturer,
        serialNumber: p.serialNumber,
        pnpId: p.byId?.slice("/dev/serial/by-id/".length),
        locationId: undefined,
        vendorId: p.vendorId,
        productId: p.productId,
        byId: p.byId,
        adapter: p.adapter,
      }));
    },
    async open(openOptions) {
      if (openOptions === null || typeof openOptions !== "object") {
        throw new SerialError("SERIAL_CONFIG_INVALID", "open(options) needs an options object", { path: "" });
      }
      // Pick the settings serialport defines: callers pass extra keys (autoOpen, highWaterMark …).
      const picked = Object.fromEntries(
        OPEN_KEYS.filter((k) => openOptions[k] !== undefined).map((k) => [k, openOptions[k]]),
      ) as unknown as SerialOpenOptions;
      const port = await open(picked);
      const o = port.options;
      return new BunBindingPort(port, {
        path: o.path,
        baudRate: o.baudRate,
        dataBits: o.dataBits,
        lock: o.lock,
        stopBits: o.stopBits,
        parity: o.parity,
        rtscts: o.rtscts,
        xon: o.xon,
        xoff: o.xoff,
        xany: o.xany,
        hupcl: o.hupcl,
      });
    },
  };
}

/** The binding over the Bun driver and the real `/sys` and `/dev`. */
export const BunSerialBinding: BunSerialBindingInterface = createBunSerialBinding();
