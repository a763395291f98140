/**
 * ZNP (Z-Stack Monitor and Test) frames on a serial line: `FE | LEN | CMD0 | CMD1 | DATA | FCS`,
 * `LEN` = length of DATA (≤ 250), `FCS` = XOR of LEN, CMD0, CMD1 and DATA, `CMD0 = type << 5 | subsystem`.
 */

export const SOF = 0xfe;
export const MAX_DATA = 250;

export enum FrameType {
  POLL = 0,
  SREQ = 1,
  AREQ = 2,
  SRSP = 3,
}

export enum Subsystem {
  RPC_ERROR = 0,
  SYS = 1,
  MAC = 2,
  AF = 4,
  ZDO = 5,
  SAPI = 6,
  UTIL = 7,
  APP_CNF = 15,
}

export interface ZnpFrame {
  type: number;
  subsystem: number;
  command: number;
  data: Uint8Array;
}

function fcs(bytes: Uint8Array, from: number, to: number): number {
  let x = 0;
  for (let i = from; i < to; i++) x ^= bytes[i] as number;
  return x;
}

/** Encodes one frame; throws RangeError when DATA is longer than 250 bytes. */
export function encodeFrame(frame: ZnpFrame): Uint8Array {
  const len = frame.data.length;
  if (len > MAX_DATA) throw new RangeError(`ZNP frame data is ${len} bytes (max ${MAX_DATA})`);
  const out = new Uint8Array(len + 5);
  out[0] = SOF;
  out[1] = len;
  out[2] = ((frame.type & 0x07) << 5) | (frame.subsystem & 0x1f);
  out[3] = frame.command & 0xff;
  out.set(frame.data, 4);
  out[len + 4] = fcs(out, 1, len + 4);
  return out;
}

export interface ParserStats {
  frames: number;
  /** Frames dropped for a bad checksum or an impossible length. */
  badFrames: number;
  /** Bytes skipped while looking for a start of frame. */
  skippedBytes: number;
}

/**
 * Incremental parser: feed it chunks as they arrive (several frames in one chunk, a frame split over
 * chunks, garbage between frames); it never throws on input. A frame with a bad checksum is dropped
 * and the search restarts one byte after its SOF, so a stray `FE` in garbage cannot swallow a real frame.
 */
export class FrameParser {
  #buf = new Uint8Array(0);
  readonly stats: ParserStats = { frames: 0, badFrames: 0, skippedBytes: 0 };

  push(chunk: Uint8Array): ZnpFrame[] {
    const merged = new Uint8Array(this.#buf.length + chunk.length);
    merged.set(this.#buf, 0);
    merged.set(chunk, this.#buf.length);
    const out: ZnpFrame[] = [];
    let i = 0;
    while (i < merged.length) {
      if (merged[i] !== SOF) {
        i++;
        this.stats.skippedBytes++;
        continue;
      }
      if (i + 1 >= merged.length) break;
      const len = merged[i + 1] as number;
      if (len > MAX_DATA) {
        this.stats.badFrames++;
        i++;
        continue;
      }
      if (i + len + 5 > merged.length) break;
      const end = i + len + 4;
      if (fcs(merged, i + 1, end) !== merged[end]) {
        this.stats.badFrames++;
        i++;
        continue;
      }
      const cmd0 = merged[i + 2] as number;
      out.push({
        type: cmd0 >> 5,
        subsystem: cmd0 & 0x1f,
        command: merged[i + 3] as number,
        data: merged.slice(i + 4, end),
      });
      this.stats.frames++;
      i = end + 1;
    }
    this.#buf = merged.slice(i);
    return out;
  }
}

/** Little-endian reader over frame data; reads past the end throw RangeError (a truncated request). */
export class Reader {
  #view: DataView;
  #bytes: Uint8Array;
  offset = 0;
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get remaining(): number {
    return this.#bytes.length - this.offset;
  }
  #need(n: number): void {
    if (this.offset + n > this.#bytes.length) throw new RangeError("truncated");
  }
  u8(): number {
    this.#need(1);
    return this.#view.getUint8(this.offset++);
  }
  i8(): number {
    this.#need(1);
    return this.#view.getInt8(this.offset++);
  }
  u16(): number {
    this.#need(2);
    const v = this.#view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }
  i16(): number {
    this.#need(2);
    const v = this.#view.getInt16(this.offset, true);
    this.offset += 2;
    return v;
  }
  u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.#need(n);
    const v = this.#bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }
  /** An IEEE address as `0x` + 16 hex digits (little-endian on the wire). */
  ieee(): string {
    return `0x${Buffer.from(this.bytes(8)).reverse().toString("hex")}`;
  }
}

/** Little-endian writer for frame data. */
export class Writer {
  #out: number[] = [];
  u8(v: number): this {
    this.#out.push(v & 0xff);
    return this;
  }
  i8(v: number): this {
    return this.u8(v < 0 ? v + 0x100 : v);
  }
  u16(v: number): this {
    return this.u8(v).u8(v >> 8);
  }
  i16(v: number): this {
    return this.u16(v < 0 ? v + 0x10000 : v);
  }
  u24(v: number): this {
    return this.u16(v & 0xffff).u8(v >>> 16);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  u48(v: number): this {
    return this.u32(v % 0x1_0000_0000).u16(Math.floor(v / 0x1_0000_0000));
  }
  bytes(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.#out.push((b[i] as number) & 0xff);
    return this;
  }
  ieee(addr: string): this {
    return this.bytes(Buffer.from(addr.replace(/^0x/, "").padStart(16, "0"), "hex").reverse());
  }
  done(): Uint8Array {
    return Uint8Array.from(this.#out);
  }
}
