import { describe, expect, it } from "bun:test";
import { resolveSerialOptions } from "../../../../src/hal/serial/options.ts";
import {
  applyLineSettings,
  BAUD_RATES,
  CLOCAL,
  CMSPAR,
  CREAD,
  CRTSCTS,
  CS7,
  CS8,
  CSIZE,
  CSTOPB,
  decodeTermios,
  HUPCL,
  IXOFF,
  IXON,
  PARENB,
  PARODD,
  TERMIOS_OFFSET,
  TERMIOS_SIZE,
  VMIN,
  VTIME,
} from "../../../../src/hal/serial/termios.ts";
import { hearthRejection } from "../../../helpers/errors.ts";

const base = {
  dataBits: 8,
  parity: "none",
  stopBits: 1,
  rtscts: false,
  xon: false,
  xoff: false,
  xany: false,
  hupcl: false,
} as const;

function cflagOf(buf: Uint8Array): number {
  return new DataView(buf.buffer).getUint32(TERMIOS_OFFSET.cflag, true);
}

describe("termios layout (glibc, x86-64 and arm64)", () => {
  it("matches struct termios: 60 bytes, c_cc[32] at 17, speeds at 52 and 56", () => {
    expect(TERMIOS_SIZE).toBe(60);
    expect(TERMIOS_OFFSET).toEqual({
      iflag: 0,
      oflag: 4,
      cflag: 8,
      lflag: 12,
      line: 16,
      cc: 17,
      ispeed: 52,
      ospeed: 56,
    });
    expect(TERMIOS_OFFSET.cc + 32 + 3).toBe(TERMIOS_OFFSET.ispeed); // c_cc[32] then 3 bytes of padding
  });

  it("uses the header values for the speeds and flags", () => {
    expect(BAUD_RATES.get(9600)).toBe(0o15);
    expect(BAUD_RATES.get(115200)).toBe(0o10002);
    expect(BAUD_RATES.get(230400)).toBe(0o10003);
    expect(BAUD_RATES.get(460800)).toBe(0o10004);
    expect(BAUD_RATES.get(921600)).toBe(0o10007);
    expect(CRTSCTS).toBe(0x80000000);
    expect(CMSPAR).toBe(0x40000000);
  });
});

describe("applyLineSettings / decodeTermios", () => {
  it("sets 8N1, CLOCAL|CREAD and VMIN=1/VTIME=0 and clears what was there", () => {
    const buf = new Uint8Array(TERMIOS_SIZE);
    new DataView(buf.buffer).setUint32(TERMIOS_OFFSET.cflag, CSTOPB | PARENB | CRTSCTS | CS7 | 0o15, true);
    applyLineSettings(buf, base);
    const cflag = cflagOf(buf);
    expect(cflag & CSIZE).toBe(CS8);
    expect(cflag & (CSTOPB | PARENB | CRTSCTS | HUPCL)).toBe(0);
    expect(cflag & (CLOCAL | CREAD)).toBe(CLOCAL | CREAD);
    expect(cflag & 0o10017).toBe(0o15); // the speed bits are left to cfsetspeed
    expect(buf[TERMIOS_OFFSET.cc + VMIN]).toBe(1);
    expect(buf[TERMIOS_OFFSET.cc + VTIME]).toBe(0);
  });

  it("encodes 7E2 with RTS/CTS, XON/XOFF and HUPCL, and decodes it back", () => {
    const buf = new Uint8Array(TERMIOS_SIZE);
    applyLineSettings(buf, {
      ...base,
      dataBits: 7,
      parity: "even",
      stopBits: 2,
      rtscts: true,
      xon: true,
      xoff: true,
      hupcl: true,
    });
    const cflag = cflagOf(buf);
    expect(cflag & (PARENB | PARODD | CSTOPB | CRTSCTS | HUPCL)).toBe(PARENB | CSTOPB | CRTSCTS | HUPCL);
    expect(new DataView(buf.buffer).getUint32(TERMIOS_OFFSET.iflag, true) & (IXON | IXOFF)).toBe(
      IXON | IXOFF,
    );
    expect(decodeTermios(buf)).toMatchObject({
      dataBits: 7,
      parity: "even",
      stopBits: 2,
      rtscts: true,
      xon: true,
      xoff: true,
      hupcl: true,
    });
  });

  it("round-trips every parity and data size", () => {
    for (const parity of ["none", "even", "odd", "mark", "space"] as const) {
      for (const dataBits of [5, 6, 7, 8] as const) {
        const buf = new Uint8Array(TERMIOS_SIZE);
        applyLineSettings(buf, { ...base, parity, dataBits });
        expect(decodeTermios(buf)).toMatchObject({ parity, dataBits });
      }
    }
  });

  it("decodes the baud rate from the CBAUD bits", () => {
    const buf = new Uint8Array(TERMIOS_SIZE);
    new DataView(buf.buffer).setUint32(TERMIOS_OFFSET.cflag, 0o10004 | CS8, true);
    expect(decodeTermios(buf).baudRate).toBe(460800);
  });
});

describe("resolveSerialOptions", () => {
  it("fills serialport's defaults", () => {
    expect(resolveSerialOptions({ path: "/dev/ttyUSB0" })).toEqual({
      path: "/dev/ttyUSB0",
      baudRate: 115200,
      dataBits: 8,
      parity: "none",
      stopBits: 1,
      rtscts: false,
      xon: false,
      xoff: false,
      xany: false,
      hupcl: true,
      lock: true,
    });
  });

  it("refuses unknown keys, relative paths and non-standard rates with every issue named", async () => {
    const err = await hearthRejection(
      (async () =>
        resolveSerialOptions({ path: "ttyUSB0", baudRate: 250000, dataBits: 9, bogus: 1 } as never))(),
      "SERIAL_CONFIG_INVALID",
    );
    const paths = (err.data as { issues: { path: string }[] }).issues.map((i) => i.path).sort();
    expect(paths).toEqual(["", "baudRate", "dataBits", "path"]);
  });
});
