/**
 * struct termios and the constants Hearth needs, for Linux glibc on x86-64 and arm64, with no FFI:
 * the driver fills a buffer with tcgetattr/cfmakeraw and this file sets the control bits.
 *
 * Checked against glibc 2.36's headers on both targets (/usr/include/x86_64-linux-gnu/bits/termios*.h
 * and /usr/aarch64-linux-gnu/include/bits/termios*.h are identical, as are asm-generic/ioctls.h):
 * struct termios is 60 bytes — four u32 flag words, c_line (u8), c_cc[32] (NCCS), c_ispeed and
 * c_ospeed (u32) at 52 and 56. The kernel's own struct is smaller; glibc translates. Not valid for
 * musl, alpha, mips, powerpc or sparc, whose values differ.
 */

export const TERMIOS_SIZE = 60;
export const TERMIOS_OFFSET = {
  iflag: 0,
  oflag: 4,
  cflag: 8,
  lflag: 12,
  line: 16,
  cc: 17,
  ispeed: 52,
  ospeed: 56,
} as const;
export const NCCS = 32;
export const VTIME = 5;
export const VMIN = 6;

/** c_cflag bits. */
export const CBAUD = 0o10017;
export const CSIZE = 0o60;
export const CS5 = 0o0;
export const CS6 = 0o20;
export const CS7 = 0o40;
export const CS8 = 0o60;
export const CSTOPB = 0o100;
export const CREAD = 0o200;
export const PARENB = 0o400;
export const PARODD = 0o1000;
export const HUPCL = 0o2000;
export const CLOCAL = 0o4000;
export const CMSPAR = 0x4000_0000;
export const CRTSCTS = 0x8000_0000;

/** c_iflag bits. */
export const IXON = 0o2000;
export const IXANY = 0o4000;
export const IXOFF = 0o10000;

/** tcsetattr / tcflush selectors. */
export const TCSANOW = 0;
export const TCIFLUSH = 0;
export const TCOFLUSH = 1;
export const TCIOFLUSH = 2;

/** ioctl requests (asm-generic/ioctls.h) and modem-line bits (asm-generic/termios.h). */
export const TIOCEXCL = 0x540c;
export const TIOCNXCL = 0x540d;
export const TIOCOUTQ = 0x5411;
export const TIOCMGET = 0x5415;
export const TIOCMBIS = 0x5416;
export const TIOCMBIC = 0x5417;
export const TIOCSBRK = 0x5427;
export const TIOCCBRK = 0x5428;
export const TIOCM_DTR = 0x002;
export const TIOCM_RTS = 0x004;
export const TIOCM_CTS = 0x020;
export const TIOCM_CAR = 0x040;
export const TIOCM_RNG = 0x080;
export const TIOCM_DSR = 0x100;

/** open(2) flags (identical on x86-64 and arm64) and flock(2) operations. */
export const O_RDWR = 0o2;
export const O_NOCTTY = 0o400;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

/** Baud rate → the `B*` speed_t value glibc's cfsetspeed takes (termios.h, termios-baud.h). */
export const BAUD_RATES: ReadonlyMap<number, number> = new Map([
  [50, 0o1],
  [75, 0o2],
  [110, 0o3],
  [134, 0o4],
  [150, 0o5],
  [200, 0o6],
  [300, 0o7],
  [600, 0o10],
  [1200, 0o11],
  [1800, 0o12],
  [2400, 0o13],
  [4800, 0o14],
  [9600, 0o15],
  [19200, 0o16],
  [38400, 0o17],
  [57600, 0o10001],
  [115200, 0o10002],
  [230400, 0o10003],
  [460800, 0o10004],
  [500000, 0o10005],
  [576000, 0o10006],
  [921600, 0o10007],
  [1000000, 0o10010],
  [1152000, 0o10011],
  [1500000, 0o10012],
  [2000000, 0o10013],
  [2500000, 0o10014],
  [3000000, 0o10015],
  [3500000, 0o10016],
  [4000000, 0o10017],
]);

const RATE_OF_SPEED = new Map([...BAUD_RATES].map(([rate, speed]) => [speed, rate]));

/** The line settings that live in a termios buffer. */
export interface LineSettings {
  dataBits: 5 | 6 | 7 | 8;
  parity: "none" | "even" | "odd" | "mark" | "space";
  stopBits: 1 | 2;
  rtscts: boolean;
  xon: boolean;
  xoff: boolean;
  xany: boolean;
  hupcl: boolean;
}

const SIZE_BITS = { 5: CS5, 6: CS6, 7: CS7, 8: CS8 } as const;

function view(buf: Uint8Array): DataView {
  if (buf.byteLength !== TERMIOS_SIZE) throw new RangeError(`termios buffer must be ${TERMIOS_SIZE} bytes`);
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Sets framing, parity, flow control and read behaviour on a buffer already passed through
 * cfmakeraw (which cleared echo, canonical mode, signals, parity checking and output processing).
 * The baud rate is left to cfsetspeed.
 */
export function applyLineSettings(buf: Uint8Array, s: LineSettings): void {
  const v = view(buf);
  let cflag = v.getUint32(TERMIOS_OFFSET.cflag, true);
  cflag &= ~(CSIZE | CSTOPB | PARENB | PARODD | CMSPAR | CRTSCTS | HUPCL);
  cflag |= SIZE_BITS[s.dataBits] | CLOCAL | CREAD;
  if (s.stopBits === 2) cflag |= CSTOPB;
  if (s.parity !== "none") cflag |= PARENB;
  if (s.parity === "odd" || s.parity === "mark") cflag |= PARODD;
  if (s.parity === "mark" || s.parity === "space") cflag |= CMSPAR;
  if (s.rtscts) cflag |= CRTSCTS;
  if (s.hupcl) cflag |= HUPCL;
  v.setUint32(TERMIOS_OFFSET.cflag, cflag >>> 0, true);

  let iflag = v.getUint32(TERMIOS_OFFSET.iflag, true) & ~(IXON | IXOFF | IXANY);
  if (s.xon) iflag |= IXON;
  if (s.xoff) iflag |= IXOFF;
  if (s.xany) iflag |= IXANY;
  v.setUint32(TERMIOS_OFFSET.iflag, iflag >>> 0, true);

  // The descriptor is non-blocking, so VMIN/VTIME only matter to someone who clears O_NONBLOCK:
  // make such a read wait for one byte, like serialport's binding does.
  buf[TERMIOS_OFFSET.cc + VMIN] = 1;
  buf[TERMIOS_OFFSET.cc + VTIME] = 0;
}

/** Reads the settings (and the baud rate from the CBAUD bits) back out of a termios buffer. */
export function decodeTermios(buf: Uint8Array): LineSettings & { baudRate: number | undefined } {
  const v = view(buf);
  const cflag = v.getUint32(TERMIOS_OFFSET.cflag, true);
  const iflag = v.getUint32(TERMIOS_OFFSET.iflag, true);
  const size = cflag & CSIZE;
  const dataBits = size === CS5 ? 5 : size === CS6 ? 6 : size === CS7 ? 7 : 8;
  let parity: LineSettings["parity"] = "none";
  if (cflag & PARENB) {
    const odd = (cflag & PARODD) !== 0;
    parity = cflag & CMSPAR ? (odd ? "mark" : "space") : odd ? "odd" : "even";
  }
  return {
    baudRate: RATE_OF_SPEED.get(cflag & CBAUD),
    dataBits,
    parity,
    stopBits: cflag & CSTOPB ? 2 : 1,
    rtscts: (cflag & CRTSCTS) !== 0,
    xon: (iflag & IXON) !== 0,
    xoff: (iflag & IXOFF) !== 0,
    xany: (iflag & IXANY) !== 0,
    hupcl: (cflag & HUPCL) !== 0,
  };
}
