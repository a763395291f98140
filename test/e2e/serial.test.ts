/**
 * The serial driver inside a `bun build --compile` binary: bun:ffi, the lazily imported libc
 * binding and the serialport binding must all be bundled and work with no node_modules around.
 * The entry (`serial-echo.ts`) is built once per target and talks to a socat pty pair: for this
 * machine, and for the Pi (`bun-linux-arm64`) run under qemu-user with the arm64 glibc, where
 * bun:ffi's `dlopen("libc.so.6")` must find the arm64 libc and the termios/ioctl layouts must hold.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type PtyPair, startPtyPair } from "../helpers/socat.ts";
import { toolAvailable } from "../helpers/tools.ts";
import { arm64Missing, arm64Runner, buildSerialEcho, EXPECTED, runSerialEcho } from "./serial-echo.ts";

const hasSocat = toolAvailable("socat");

describe.skipIf(!hasSocat)("serial in the compiled binary", () => {
  let dir: string;
  let binary: string;
  let pair: PtyPair;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hearth-serial-bin-"));
    binary = await buildSerialEcho(dir);
    pair = await startPtyPair();
  }, 120_000);

  afterAll(async () => {
    await pair?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("round-trips over a pty with the driver and SerialPortStream, then exits by itself", async () => {
    const run = await runSerialEcho([], binary, pair);
    expect(run.err).toBe("");
    expect(run.signal).toBeNull();
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toEqual({ ...EXPECTED, arch: process.arch });
  }, 30_000);
});

// Skipped with the reason on a machine without qemu; under CI (.ci/run installs qemu-user-static and
// libc6-arm64-cross) a missing emulator or libc fails instead, as toolAvailable does.
const armMissing = arm64Missing();
if (armMissing && process.env.CI === "true") throw new Error(`${armMissing}: required under CI`);
if (armMissing) console.warn(`skipping the arm64 serial round trip: ${armMissing}`);

describe.skipIf(!hasSocat || armMissing !== undefined)("serial in the arm64 (Pi) binary under qemu", () => {
  let dir: string;
  let binary: string;
  let pair: PtyPair;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hearth-serial-arm-"));
    binary = await buildSerialEcho(dir, "bun-linux-arm64");
    pair = await startPtyPair();
  }, 300_000);

  afterAll(async () => {
    await pair?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("round-trips over a pty as an arm64 process (cortex-a53, a Pi 3 / Zero 2 W core), then exits by itself", async () => {
    const run = await runSerialEcho(arm64Runner("cortex-a53"), binary, pair, 90_000);
    expect(run.err).toBe("");
    expect(run.signal).toBeNull();
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toEqual({ ...EXPECTED, arch: "arm64" });
  }, 120_000);
});
