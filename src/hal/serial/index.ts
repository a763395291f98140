/**
 * Serial ports on Bun: a termios driver over bun:ffi (libc is bound when the first port opens, not
 * at import), a serialport-compatible binding for `@serialport/stream` and its parsers, port
 * listing with known Zigbee adapters, and a reconnecting opener for sticks that get unplugged.
 */

export { findKnownAdapter, KNOWN_SERIAL_ADAPTERS } from "./adapters.ts";
export type { BunBindingPortInfo, BunSerialBindingInterface, BunSerialBindingOptions } from "./binding.ts";
export { BunBindingPort, BunSerialBinding, createBunSerialBinding } from "./binding.ts";
export { openSerialPort } from "./bun-serial.ts";
export { listSerialPorts } from "./list.ts";
export type { ReconnectingOptions, ReconnectRetryPayload, ReconnectTimers } from "./reconnect.ts";
export { reconnecting } from "./reconnect.ts";
export { SerialError } from "./serial-error.ts";
export type {
  KnownSerialAdapter,
  ListSerialPortsOptions,
  ResolvedSerialOptions,
  SerialClosePayload,
  SerialFlushTarget,
  SerialLineStatus,
  SerialOpenOptions,
  SerialParity,
  SerialPort,
  SerialPortInfo,
  SerialSignals,
} from "./types.ts";
