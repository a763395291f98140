/**
 * The Linux GPIO character device's v2 uAPI (`linux/gpio.h`), as pure encode/decode functions over
 * DataView. Layouts are the kernel's: fixed-size, naturally aligned, little-endian on every board
 * Bun runs on (x86-64, arm64), and identical on both (the uAPI pads explicitly for that).
 * Offsets are checked against the header by test/unit/hal/gpio/gpiochip-abi.test.ts.
 */

import { HearthError } from "../../errors.ts";

export const GPIO_MAX_NAME_SIZE = 32;
export const GPIO_V2_LINES_MAX = 64;
export const GPIO_V2_LINE_NUM_ATTRS_MAX = 10;

export const SIZEOF = {
  gpiochip_info: 68,
  gpio_v2_line_attribute: 16,
  gpio_v2_line_config_attribute: 24,
  gpio_v2_line_config: 272,
  gpio_v2_line_request: 592,
  gpio_v2_line_info: 256,
  gpio_v2_line_event: 48,
  gpio_v2_line_values: 16,
} as const;

// linux/ioctl.h (asm-generic, used by x86-64 and arm64): nr 8 bits, type 8, size 14, dir 2.
const IOC_WRITE = 1;
const IOC_READ = 2;

function ioc(dir: number, type: number, nr: number, size: number): number {
  // >>> 0 keeps it an unsigned 32-bit number (the top bit is the READ direction bit).
  return ((dir << 30) | (size << 16) | (type << 8) | nr) >>> 0;
}
export const _IOR = (type: number, nr: number, size: number): number => ioc(IOC_READ, type, nr, size);
export const _IOWR = (type: number, nr: number, size: number): number =>
  ioc(IOC_READ | IOC_WRITE, type, nr, size);

const GPIO_IOC = 0xb4;
export const GPIO_GET_CHIPINFO_IOCTL = _IOR(GPIO_IOC, 0x01, SIZEOF.gpiochip_info);
export const GPIO_V2_GET_LINEINFO_IOCTL = _IOWR(GPIO_IOC, 0x05, SIZEOF.gpio_v2_line_info);
export const GPIO_V2_GET_LINE_IOCTL = _IOWR(GPIO_IOC, 0x07, SIZEOF.gpio_v2_line_request);
export const GPIO_V2_LINE_SET_CONFIG_IOCTL = _IOWR(GPIO_IOC, 0x0d, SIZEOF.gpio_v2_line_config);
export const GPIO_V2_LINE_GET_VALUES_IOCTL = _IOWR(GPIO_IOC, 0x0e, SIZEOF.gpio_v2_line_values);
export const GPIO_V2_LINE_SET_VALUES_IOCTL = _IOWR(GPIO_IOC, 0x0f, SIZEOF.gpio_v2_line_values);

/** enum gpio_v2_line_flag (bit numbers of a u64; all below 32, so plain numbers). */
export const LINE_FLAG = {
  USED: 1 << 0,
  ACTIVE_LOW: 1 << 1,
  INPUT: 1 << 2,
  OUTPUT: 1 << 3,
  EDGE_RISING: 1 << 4,
  EDGE_FALLING: 1 << 5,
  OPEN_DRAIN: 1 << 6,
  OPEN_SOURCE: 1 << 7,
  BIAS_PULL_UP: 1 << 8,
  BIAS_PULL_DOWN: 1 << 9,
  BIAS_DISABLED: 1 << 10,
  EVENT_CLOCK_REALTIME: 1 << 11,
  EVENT_CLOCK_HTE: 1 << 12,
} as const;

/** enum gpio_v2_line_attr_id */
export const LINE_ATTR_ID = { FLAGS: 1, OUTPUT_VALUES: 2, DEBOUNCE: 3 } as const;

/** enum gpio_v2_line_event_id */
export const LINE_EVENT_ID = { RISING_EDGE: 1, FALLING_EDGE: 2 } as const;

const LE = true;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

function needSize(buf: Uint8Array, size: number, what: string): void {
  if (buf.byteLength < size)
    throw new HearthError("INVALID_ARGUMENT", `${what} needs ${size} bytes, got ${buf.byteLength}`);
}

/** A NUL-terminated char[] field. */
function readCString(buf: Uint8Array, offset: number, size: number): string {
  const bytes = buf.subarray(offset, offset + size);
  const end = bytes.indexOf(0);
  return fromUtf8.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

function writeCString(buf: Uint8Array, offset: number, size: number, text: string): void {
  const bytes = utf8.encode(text).subarray(0, size - 1); // keep the terminating NUL
  buf.fill(0, offset, offset + size);
  buf.set(bytes, offset);
}

export interface ChipInfo {
  name: string;
  label: string;
  lines: number;
}

/** struct gpiochip_info { char name[32]; char label[32]; __u32 lines; } */
export function decodeChipInfo(buf: Uint8Array): ChipInfo {
  needSize(buf, SIZEOF.gpiochip_info, "gpiochip_info");
  return {
    name: readCString(buf, 0, GPIO_MAX_NAME_SIZE),
    label: readCString(buf, 32, GPIO_MAX_NAME_SIZE),
    lines: view(buf).getUint32(64, LE),
  };
}

/** An attribute as the kernel reports or takes it. */
export type LineAttribute =
  | { id: typeof LINE_ATTR_ID.FLAGS; flags: bigint }
  | { id: typeof LINE_ATTR_ID.OUTPUT_VALUES; values: bigint }
  | { id: typeof LINE_ATTR_ID.DEBOUNCE; debouncePeriodUs: number };

/** struct gpio_v2_line_attribute { __u32 id; __u32 padding; union { u64 flags; u64 values; u32 debounce_period_us; } } */
function encodeAttribute(dv: DataView, at: number, attr: LineAttribute): void {
  dv.setUint32(at, attr.id, LE);
  dv.setUint32(at + 4, 0, LE);
  dv.setBigUint64(at + 8, 0n, LE);
  if (attr.id === LINE_ATTR_ID.FLAGS) dv.setBigUint64(at + 8, attr.flags, LE);
  else if (attr.id === LINE_ATTR_ID.OUTPUT_VALUES) dv.setBigUint64(at + 8, attr.values, LE);
  else dv.setUint32(at + 8, attr.debouncePeriodUs, LE);
}

function decodeAttribute(dv: DataView, at: number): LineAttribute | undefined {
  const id = dv.getUint32(at, LE);
  if (id === LINE_ATTR_ID.FLAGS) return { id, flags: dv.getBigUint64(at + 8, LE) };
  if (id === LINE_ATTR_ID.OUTPUT_VALUES) return { id, values: dv.getBigUint64(at + 8, LE) };
  if (id === LINE_ATTR_ID.DEBOUNCE) return { id, debouncePeriodUs: dv.getUint32(at + 8, LE) };
  return undefined;
}

export interface LineConfig {
  /** Flags for every line without a FLAGS attribute of its own. */
  flags: number;
  /** Up to 10 attributes, each applied to the lines in `mask` (bit i = i-th requested line). */
  attrs: Array<{ attr: LineAttribute; mask: bigint }>;
}

/** struct gpio_v2_line_config { u64 flags; u32 num_attrs; u32 padding[5]; struct gpio_v2_line_config_attribute attrs[10]; } */
export function encodeLineConfig(buf: Uint8Array, config: LineConfig, base = 0): void {
  needSize(buf, base + SIZEOF.gpio_v2_line_config, "gpio_v2_line_config");
  if (config.attrs.length > GPIO_V2_LINE_NUM_ATTRS_MAX) {
    throw new HearthError("INVALID_ARGUMENT", `at most ${GPIO_V2_LINE_NUM_ATTRS_MAX} line attributes`);
  }
  buf.fill(0, base, base + SIZEOF.gpio_v2_line_config);
  const dv = view(buf);
  dv.setBigUint64(base, BigInt(config.flags), LE);
  dv.setUint32(base + 8, config.attrs.length, LE);
  config.attrs.forEach(({ attr, mask }, i) => {
    const at = base + 32 + i * SIZEOF.gpio_v2_line_config_attribute;
    encodeAttribute(dv, at, attr);
    dv.setBigUint64(at + 16, mask, LE);
  });
}

export function decodeLineConfig(buf: Uint8Array, base = 0): LineConfig {
  needSize(buf, base + SIZEOF.gpio_v2_line_config, "gpio_v2_line_config");
  const dv = view(buf);
  const n = Math.min(dv.getUint32(base + 8, LE), GPIO_V2_LINE_NUM_ATTRS_MAX);
  const attrs: LineConfig["attrs"] = [];
  for (let i = 0; i < n; i++) {
    const at = base + 32 + i * SIZEOF.gpio_v2_line_config_attribute;
    const attr = decodeAttribute(dv, at);
    if (attr !== undefined) attrs.push({ attr, mask: dv.getBigUint64(at + 16, LE) });
  }
  return { flags: Number(dv.getBigUint64(base, LE)), attrs };
}

export interface LineRequest {
  offsets: number[];
  consumer: string;
  config: LineConfig;
  /** 0 lets the kernel choose (16 events per line). */
  eventBufferSize: number;
}

const REQ_CONSUMER = 256;
const REQ_CONFIG = 288;
const REQ_NUM_LINES = 560;
const REQ_EVENT_BUFFER_SIZE = 564;
const REQ_FD = 588;

/**
 * struct gpio_v2_line_request { u32 offsets[64]; char consumer[32]; struct gpio_v2_line_config config;
 * u32 num_lines; u32 event_buffer_size; u32 padding[5]; s32 fd; }
 */
export function encodeLineRequest(req: LineRequest): Uint8Array {
  if (req.offsets.length === 0 || req.offsets.length > GPIO_V2_LINES_MAX) {
    throw new HearthError("INVALID_ARGUMENT", `a request takes 1-${GPIO_V2_LINES_MAX} lines`);
  }
  const buf = new Uint8Array(SIZEOF.gpio_v2_line_request);
  const dv = view(buf);
  req.offsets.forEach((offset, i) => {
    dv.setUint32(i * 4, offset, LE);
  });
  writeCString(buf, REQ_CONSUMER, GPIO_MAX_NAME_SIZE, req.consumer);
  encodeLineConfig(buf, req.config, REQ_CONFIG);
  dv.setUint32(REQ_NUM_LINES, req.offsets.length, LE);
  dv.setUint32(REQ_EVENT_BUFFER_SIZE, req.eventBufferSize, LE);
  dv.setInt32(REQ_FD, -1, LE);
  return buf;
}

/** The request as encoded (the kernel leaves it as it was, apart from `fd`). */
export function decodeLineRequest(buf: Uint8Array): LineRequest & { fd: number } {
  needSize(buf, SIZEOF.gpio_v2_line_request, "gpio_v2_line_request");
  const dv = view(buf);
  const n = Math.min(dv.getUint32(REQ_NUM_LINES, LE), GPIO_V2_LINES_MAX);
  return {
    offsets: Array.from({ length: n }, (_, i) => dv.getUint32(i * 4, LE)),
    consumer: readCString(buf, REQ_CONSUMER, GPIO_MAX_NAME_SIZE),
    config: decodeLineConfig(buf, REQ_CONFIG),
    eventBufferSize: dv.getUint32(REQ_EVENT_BUFFER_SIZE, LE),
    fd: dv.getInt32(REQ_FD, LE),
  };
}

/** The file descriptor the kernel wrote into a request after GPIO_V2_GET_LINE_IOCTL. */
export function requestFd(buf: Uint8Array): number {
  needSize(buf, SIZEOF.gpio_v2_line_request, "gpio_v2_line_request");
  return view(buf).getInt32(REQ_FD, LE);
}

export interface LineInfo {
  name: string;
  consumer: string;
  offset: number;
  flags: number;
  attrs: LineAttribute[];
}

/** A zeroed gpio_v2_line_info with `offset` set, as GPIO_V2_GET_LINEINFO_IOCTL takes it. */
export function encodeLineInfoQuery(offset: number): Uint8Array {
  const buf = new Uint8Array(SIZEOF.gpio_v2_line_info);
  view(buf).setUint32(64, offset, LE);
  return buf;
}

/**
 * struct gpio_v2_line_info { char name[32]; char consumer[32]; u32 offset; u32 num_attrs; u64 flags;
 * struct gpio_v2_line_attribute attrs[10]; u32 padding[4]; }
 */
export function decodeLineInfo(buf: Uint8Array): LineInfo {
  needSize(buf, SIZEOF.gpio_v2_line_info, "gpio_v2_line_info");
  const dv = view(buf);
  const n = Math.min(dv.getUint32(68, LE), GPIO_V2_LINE_NUM_ATTRS_MAX);
  const attrs: LineAttribute[] = [];
  for (let i = 0; i < n; i++) {
    const attr = decodeAttribute(dv, 80 + i * SIZEOF.gpio_v2_line_attribute);
    if (attr !== undefined) attrs.push(attr);
  }
  return {
    name: readCString(buf, 0, GPIO_MAX_NAME_SIZE),
    consumer: readCString(buf, 32, GPIO_MAX_NAME_SIZE),
    offset: dv.getUint32(64, LE),
    flags: Number(dv.getBigUint64(72, LE)),
    attrs,
  };
}

/** struct gpio_v2_line_values { u64 bits; u64 mask; } */
export function encodeLineValues(bits: bigint, mask: bigint): Uint8Array {
  const buf = new Uint8Array(SIZEOF.gpio_v2_line_values);
  const dv = view(buf);
  dv.setBigUint64(0, bits, LE);
  dv.setBigUint64(8, mask, LE);
  return buf;
}

export function decodeLineValues(buf: Uint8Array): { bits: bigint; mask: bigint } {
  needSize(buf, SIZEOF.gpio_v2_line_values, "gpio_v2_line_values");
  const dv = view(buf);
  return { bits: dv.getBigUint64(0, LE), mask: dv.getBigUint64(8, LE) };
}

export interface LineEvent {
  timestampNs: bigint;
  id: number;
  offset: number;
  seqno: number;
  lineSeqno: number;
}

/** struct gpio_v2_line_event { u64 timestamp_ns; u32 id; u32 offset; u32 seqno; u32 line_seqno; u32 padding[6]; } */
export function decodeLineEvent(buf: Uint8Array, at = 0): LineEvent {
  needSize(buf, at + SIZEOF.gpio_v2_line_event, "gpio_v2_line_event");
  const dv = view(buf);
  return {
    timestampNs: dv.getBigUint64(at, LE),
    id: dv.getUint32(at + 8, LE),
    offset: dv.getUint32(at + 12, LE),
    seqno: dv.getUint32(at + 16, LE),
    lineSeqno: dv.getUint32(at + 20, LE),
  };
}

/** The inverse of decodeLineEvent (tests and simulators feed events through pipes with it). */
export function encodeLineEvent(event: LineEvent): Uint8Array {
  const buf = new Uint8Array(SIZEOF.gpio_v2_line_event);
  const dv = view(buf);
  dv.setBigUint64(0, event.timestampNs, LE);
  dv.setUint32(8, event.id, LE);
  dv.setUint32(12, event.offset, LE);
  dv.setUint32(16, event.seqno, LE);
  dv.setUint32(20, event.lineSeqno, LE);
  return buf;
}
