/**
 * The gpiochip driver without a GPIO chip: real libc calls through bun:ffi against /dev/null and a
 * pipe, and the mapping from open options to kernel flags. The driver against a real chip is
 * gpiochip.hw.test.ts (HEARTH_HW_TEST=1 on a Pi).
 */
import { afterEach, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createGpiochipGpio,
  drainEvents,
  ioctlError,
  lineConfigFor,
} from "../../../../src/hal/gpio/gpiochip.ts";
import { encodeLineEvent, LINE_FLAG, SIZEOF } from "../../../../src/hal/gpio/gpiochip-abi.ts";
import { ERRNO, F_GETFL, F_SETFL, loadLibc, O_NONBLOCK } from "../../../../src/hal/gpio/libc.ts";
import type { ResolvedOpenOptions } from "../../../../src/hal/gpio/options.ts";
import { hearthRejection } from "../../../helpers/errors.ts";

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("gpiochip driver on this machine (no chip)", () => {
  it("lists no chips in a folder without gpiochip devices, and refuses a line with GPIO_CHIP_NOT_FOUND", async () => {
    dir = mkdtempSync(join(tmpdir(), "hearth-dev-"));
    const gpio = await createGpiochipGpio({ devDir: dir });
    expect(gpio.driver).toBe("gpiochip");
    expect(await gpio.chips()).toEqual([]);
    await hearthRejection(gpio.open(17, { direction: "input" }), "GPIO_CHIP_NOT_FOUND");
  });

  it("turns a real ioctl failure into GPIO_IO_FAILED with errno (ENOTTY from /dev/null)", async () => {
    dir = mkdtempSync(join(tmpdir(), "hearth-dev-"));
    symlinkSync("/dev/null", join(dir, "gpiochip0"));
    const gpio = await createGpiochipGpio({ devDir: dir });
    const err = await hearthRejection(gpio.chips(), "GPIO_IO_FAILED");
    expect(err.data).toMatchObject({
      op: "GPIO_GET_CHIPINFO_IOCTL",
      errno: ERRNO.ENOTTY,
      errnoName: "ENOTTY",
    });
    expect(err.message).toContain("not a GPIO character device");
  });
});

describe("drainEvents", () => {
  it("reads every queued gpio_v2_line_event from a non-blocking fd, then stops at EAGAIN", async () => {
    const libc = await loadLibc();
    const ffi = await import("bun:ffi");
    const { pipe, write, close } = ffi.dlopen("libc.so.6", {
      pipe: { args: [ffi.FFIType.ptr], returns: ffi.FFIType.i32 },
      write: { args: [ffi.FFIType.i32, ffi.FFIType.ptr, ffi.FFIType.u64], returns: ffi.FFIType.i32 },
      close: { args: [ffi.FFIType.i32], returns: ffi.FFIType.i32 },
    }).symbols;
    const fds = new Int32Array(2);
    expect(pipe(fds)).toBe(0);
    const [rd, wr] = [fds[0] as number, fds[1] as number];
    try {
      expect(libc.fcntl(rd, F_SETFL, libc.fcntl(rd, F_GETFL, 0) | O_NONBLOCK)).toBe(0);
      const buf = new Uint8Array(4 * SIZEOF.gpio_v2_line_event);
      expect(drainEvents(libc, rd, buf)).toEqual([]);
      const events = Array.from({ length: 6 }, (_, i) => ({
        timestampNs: 1_000_000n * BigInt(i + 1),
        id: (i % 2) + 1,
        offset: 17,
        seqno: i + 1,
        lineSeqno: i + 1,
      }));
      for (const e of events) expect(write(wr, encodeLineEvent(e), SIZEOF.gpio_v2_line_event)).toBe(48);
      // 6 events, read 4 at a time: the loop must go round until EAGAIN.
      expect(drainEvents(libc, rd, buf)).toEqual(events);
      expect(drainEvents(libc, rd, buf)).toEqual([]);
    } finally {
      close(rd);
      close(wr);
    }
  });
});

describe("lineConfigFor", () => {
  const base: ResolvedOpenOptions = {
    direction: "input",
    edge: "none",
    bias: "as-is",
    debounceMs: 0,
    activeLow: false,
    initial: 0,
  };

  it("asks for an input with both edges, pull-up, active-low and a debounce in microseconds", () => {
    expect(
      lineConfigFor({ ...base, edge: "both", bias: "pull-up", activeLow: true, debounceMs: 20 }),
    ).toEqual({
      flags:
        LINE_FLAG.INPUT |
        LINE_FLAG.ACTIVE_LOW |
        LINE_FLAG.BIAS_PULL_UP |
        LINE_FLAG.EDGE_RISING |
        LINE_FLAG.EDGE_FALLING,
      attrs: [{ attr: { id: 3, debouncePeriodUs: 20_000 }, mask: 1n }],
    });
  });

  it("asks for an output with its initial value as an attribute, and maps each bias", () => {
    expect(lineConfigFor({ ...base, direction: "output", initial: 1, bias: "disabled" })).toEqual({
      flags: LINE_FLAG.OUTPUT | LINE_FLAG.BIAS_DISABLED,
      attrs: [{ attr: { id: 2, values: 1n }, mask: 1n }],
    });
    expect(lineConfigFor({ ...base, bias: "pull-down", edge: "falling" }).flags).toBe(
      LINE_FLAG.INPUT | LINE_FLAG.BIAS_PULL_DOWN | LINE_FLAG.EDGE_FALLING,
    );
  });
});

describe("ioctlError", () => {
  it("maps EBUSY to GPIO_LINE_BUSY and the rest to GPIO_IO_FAILED with a hint", () => {
    expect(ioctlError("GPIO_V2_GET_LINE_IOCTL", ERRNO.EBUSY, { offset: 4 }).code).toBe("GPIO_LINE_BUSY");
    const denied = ioctlError("open", ERRNO.EACCES, {});
    expect(denied.code).toBe("GPIO_IO_FAILED");
    expect(denied.message).toContain("group `gpio`");
    expect(ioctlError("x", 99, {}).data).toMatchObject({ errno: 99, errnoName: "errno 99" });
  });
});
