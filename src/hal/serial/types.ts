/**
 * The serial port contract: what a driver gives its users (plugins, the serialport-compatible
 * binding, the reconnect helper). One driver today, `bun-serial.ts` (termios through bun:ffi).
 */

/** Parity as termios knows it; `mark`/`space` use CMSPAR (stick parity). */
export type SerialParity = "none" | "even" | "odd" | "mark" | "space";

/** What `openSerialPort` accepts; validated with zod, defaults filled in. */
export interface SerialOpenOptions {
  /** Device path, e.g. `/dev/ttyUSB0` or (stable across replugs) `/dev/serial/by-id/usb-…`. */
  path: string;
  /** A standard Linux rate (50 … 4000000, e.g. 9600, 115200, 230400, 460800). Default 115200. */
  baudRate?: number;
  /** Default 8. */
  dataBits?: 5 | 6 | 7 | 8;
  /** Default "none". */
  parity?: SerialParity;
  /** Default 1. Linux has no 1.5 stop bits. */
  stopBits?: 1 | 2;
  /** RTS/CTS hardware flow control. Default false. */
  rtscts?: boolean;
  /** XON/XOFF software flow control: on output (`xon`), on input (`xoff`), any byte restarts output (`xany`). */
  xon?: boolean;
  xoff?: boolean;
  xany?: boolean;
  /** Drop DTR when the last descriptor closes. Default true. */
  hupcl?: boolean;
  /** Exclusive open (TIOCEXCL and flock): a second opener gets SERIAL_PORT_BUSY. Default true. */
  lock?: boolean;
}

/** The options a port was opened with, defaults filled in. */
export type ResolvedSerialOptions = Required<SerialOpenOptions>;

/** Payload of a port's `close` event. */
export interface SerialClosePayload {
  /** True when the device went away (read/write error or end of file), false after `close()`. */
  disconnected: boolean;
  /** Why it went away: an errno name (`EIO`, `ENODEV`, `ENXIO`) or `EOF` (hang-up); absent after `close()`. */
  code?: string;
}

/** Output modem lines and break; absent keys are left as they are. */
export interface SerialSignals {
  dtr?: boolean;
  rts?: boolean;
  brk?: boolean;
}

/** All modem lines as the driver reports them (TIOCMGET). */
export interface SerialLineStatus {
  dtr: boolean;
  rts: boolean;
  cts: boolean;
  dsr: boolean;
  dcd: boolean;
  ri: boolean;
}

/** Which queue `flush` discards. */
export type SerialFlushTarget = "input" | "output" | "both";

/** An open serial port. Every method rejects with SERIAL_PORT_CLOSED (`canceled: true`) once closed. */
export interface SerialPort extends AsyncIterable<Uint8Array> {
  readonly path: string;
  readonly options: Readonly<ResolvedSerialOptions>;
  readonly isOpen: boolean;
  /** Settles once with the close payload (after `close()` or a disconnect). */
  readonly closed: Promise<SerialClosePayload>;
  /**
   * Resolves with at least one and at most `maxBytes` bytes. Reads are served one at a time in call
   * order. A disconnect rejects it with SERIAL_DISCONNECTED and closes the port.
   */
  read(maxBytes?: number): Promise<Uint8Array>;
  /** Resolves once every byte was handed to the kernel; concurrent writes are queued in call order. */
  write(data: Uint8Array | string): Promise<void>;
  /** Resolves once queued writes are written and the kernel's output queue is empty. */
  drain(): Promise<void>;
  /** Discards received-but-unread and/or written-but-unsent data. */
  flush(target?: SerialFlushTarget): Promise<void>;
  /** Changes the baud rate of the open port. */
  update(options: { baudRate: number }): Promise<void>;
  /** The baud rate the kernel reports for the port. */
  getBaudRate(): Promise<number>;
  /** Sets DTR/RTS/break. Rejects with SERIAL_UNSUPPORTED where the device has no modem lines (a pty). */
  setSignals(signals: SerialSignals): Promise<void>;
  /** Reads all modem lines. Rejects with SERIAL_UNSUPPORTED where the device has none (a pty). */
  getSignals(): Promise<SerialLineStatus>;
  /** Closes the port; idempotent. Pending reads, writes and drains reject with `canceled: true`. */
  close(): Promise<void>;
  /** Subscribes to the `close` event; returns the unsubscribe function. A listener that throws is ignored. */
  on(event: "close", listener: (payload: SerialClosePayload) => void): () => void;
}

/** A known adapter recognised by its USB vendor and product id. */
export interface KnownSerialAdapter {
  vendorId: string;
  productId: string;
  /** What it is, for people reading `hearth ports`. */
  name: string;
  /** Radio protocol it usually speaks. */
  protocol: "zigbee";
  /** Firmware family (the zigbee-herdsman adapter type): TI Z-Stack, Silicon Labs EmberZNet, deCONZ. */
  stack: "zstack" | "ember" | "deconz";
  /**
   * True when the id belongs to a generic USB-UART bridge chip (CP210x, CH9102): other devices use it
   * too, so it is a hint, not proof.
   */
  generic: boolean;
}

/** One serial device found by `listSerialPorts`. */
export interface SerialPortInfo {
  /** `/dev/<name>`. */
  path: string;
  /** The stable `/dev/serial/by-id/…` link to the same device, when udev made one. */
  byId?: string;
  /** Four lower-case hex digits, from the USB device. */
  vendorId?: string;
  productId?: string;
  manufacturer?: string;
  product?: string;
  serialNumber?: string;
  /** Kernel driver (`cp210x`, `ch341-uart`, `cdc_acm`, `ftdi_sio`, `uart-pl011`…). */
  driver?: string;
  /** Set when the vendor and product id are in the known-adapter table. */
  adapter?: KnownSerialAdapter;
}

/** Options of `listSerialPorts`. */
export interface ListSerialPortsOptions {
  /** Filesystem root holding `sys/class/tty` and `dev/serial/by-id` (tests use a fake tree). Default `/`. */
  root?: string;
}
