/** The part of ZCL the simulated devices speak: the frame header, typed attribute values, global commands. */
import type { Reader, Writer } from "./frame.ts";

export const ZclType = {
  BOOL: 0x10,
  BITMAP8: 0x18,
  BITMAP16: 0x19,
  UINT8: 0x20,
  UINT16: 0x21,
  UINT24: 0x22,
  UINT32: 0x23,
  UINT48: 0x25,
  INT8: 0x28,
  INT16: 0x29,
  ENUM8: 0x30,
  ENUM16: 0x31,
  CHAR_STR: 0x42,
  IEEE: 0xf0,
} as const;

export type ZclValue = number | string | boolean;

export const Global = {
  READ: 0x00,
  READ_RSP: 0x01,
  WRITE: 0x02,
  WRITE_RSP: 0x04,
  CONFIGURE_REPORTING: 0x06,
  CONFIGURE_REPORTING_RSP: 0x07,
  REPORT: 0x0a,
  DEFAULT_RSP: 0x0b,
} as const;

export const Status = { SUCCESS: 0x00, UNSUP_COMMAND: 0x81, UNSUPPORTED_ATTRIBUTE: 0x86 } as const;

export interface ZclHeader {
  /** 0 = global, 1 = cluster-specific. */
  frameType: number;
  manufacturerCode: number | undefined;
  /** True for server-to-client. */
  fromServer: boolean;
  disableDefaultResponse: boolean;
  tsn: number;
  command: number;
}

export function readHeader(r: Reader): ZclHeader {
  const fc = r.u8();
  const manufacturerCode = fc & 0x04 ? r.u16() : undefined;
  return {
    frameType: fc & 0x03,
    manufacturerCode,
    fromServer: (fc & 0x08) !== 0,
    disableDefaultResponse: (fc & 0x10) !== 0,
    tsn: r.u8(),
    command: r.u8(),
  };
}

/** A frame from a device (server to client), default responses disabled. */
export function writeHeader(w: Writer, frameType: number, tsn: number, command: number): Writer {
  return w
    .u8(frameType | 0x08 | 0x10)
    .u8(tsn)
    .u8(command);
}

export function readValue(r: Reader, type: number): ZclValue {
  switch (type) {
    case ZclType.BOOL:
      return r.u8() !== 0;
    case ZclType.BITMAP8:
    case ZclType.UINT8:
    case ZclType.ENUM8:
      return r.u8();
    case ZclType.INT8:
      return r.i8();
    case ZclType.BITMAP16:
    case ZclType.UINT16:
    case ZclType.ENUM16:
      return r.u16();
    case ZclType.INT16:
      return r.i16();
    case ZclType.UINT24:
      return r.u16() + r.u8() * 0x10000;
    case ZclType.UINT32:
      return r.u32();
    case ZclType.UINT48:
      return r.u32() + r.u16() * 0x1_0000_0000;
    case ZclType.CHAR_STR:
      return new TextDecoder().decode(r.bytes(r.u8()));
    case ZclType.IEEE:
      return r.ieee();
    default:
      throw new RangeError(`unsupported ZCL type 0x${type.toString(16)}`);
  }
}

export function writeValue(w: Writer, type: number, value: ZclValue): Writer {
  const n = typeof value === "boolean" ? (value ? 1 : 0) : typeof value === "number" ? value : 0;
  switch (type) {
    case ZclType.BOOL:
    case ZclType.BITMAP8:
    case ZclType.UINT8:
    case ZclType.ENUM8:
      return w.u8(n);
    case ZclType.INT8:
      return w.i8(n);
    case ZclType.BITMAP16:
    case ZclType.UINT16:
    case ZclType.ENUM16:
      return w.u16(n);
    case ZclType.INT16:
      return w.i16(n);
    case ZclType.UINT24:
      return w.u24(n);
    case ZclType.UINT32:
      return w.u32(n);
    case ZclType.UINT48:
      return w.u48(n);
    case ZclType.CHAR_STR: {
      const b = new TextEncoder().encode(String(value));
      return w.u8(b.length).bytes(b);
    }
    case ZclType.IEEE:
      return w.ieee(String(value));
    default:
      throw new RangeError(`unsupported ZCL type 0x${type.toString(16)}`);
  }
}
