import { describe, expect, it } from "bun:test";
import { silentLogger } from "../../../src/kernel/log/index.ts";
import { sdNotify, sockaddrUn, startWatchdog, watchdogIntervalMs } from "../../../src/platform/systemd.ts";
import { fakeNotifySocket } from "../../helpers/notify-socket.ts";

describe("sd_notify", () => {
  it("does nothing and says so when not under systemd", async () => {
    expect(await sdNotify("READY=1", {})).toBe(false);
  });

  it("delivers a message to a notify socket at a filesystem path", async () => {
    const sock = await fakeNotifySocket();
    try {
      expect(await sdNotify("READY=1\nSTATUS=running", { NOTIFY_SOCKET: sock.path })).toBe(true);
      expect(await sock.waitFor((m) => m.startsWith("READY=1"))).toBe("READY=1\nSTATUS=running");
    } finally {
      sock.close();
    }
  });

  it("delivers a message to an abstract notify socket (@name)", async () => {
    const sock = await fakeNotifySocket({ abstract: true });
    try {
      expect(await sdNotify("STOPPING=1", { NOTIFY_SOCKET: sock.path })).toBe(true);
      expect(await sock.waitFor((m) => m === "STOPPING=1")).toBe("STOPPING=1");
    } finally {
      sock.close();
    }
  });

  it("reports failure when nothing listens on the socket", async () => {
    expect(await sdNotify("READY=1", { NOTIFY_SOCKET: "/nonexistent/notify.sock" })).toBe(false);
  });

  it("encodes sockaddr_un with the family and a NUL-terminated path, or an exact abstract name", () => {
    const fs = sockaddrUn("/run/x");
    if (fs === undefined) throw new Error("a short path fits");
    expect(fs.len).toBe(2 + 6 + 1);
    expect([...fs.addr.slice(0, 2)]).toEqual([1, 0]);
    const ab = sockaddrUn("@y");
    if (ab === undefined) throw new Error("a short name fits");
    expect(ab.len).toBe(2 + 1 + 1);
    expect(ab.addr[2]).toBe(0);
    expect(String.fromCharCode(ab.addr[3] ?? 0)).toBe("y");
  });

  it("sends nothing and says so, without throwing, when NOTIFY_SOCKET is too long to address", async () => {
    const long = `/run/${"x".repeat(200)}`;
    expect(sockaddrUn(long)).toBeUndefined();
    expect(await sdNotify("READY=1", { NOTIFY_SOCKET: long })).toBe(false);
  });
});

describe("watchdog", () => {
  it("reads WatchdogSec from WATCHDOG_USEC, only for this process", () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000" })).toBe(30_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: String(process.pid) })).toBe(30_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "1" })).toBeUndefined();
    expect(watchdogIntervalMs({})).toBeUndefined();
  });

  it("pings while healthy and withholds pings while unhealthy", async () => {
    const sock = await fakeNotifySocket();
    let healthy = true;
    const stop = startWatchdog({
      healthy: async () => healthy,
      logger: silentLogger(),
      env: { NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: "40000" },
    });
    try {
      await sock.waitFor((m) => m === "WATCHDOG=1");
      healthy = false;
      await Bun.sleep(60); // let a ping already in flight land
      const before = sock.messages.length;
      await Bun.sleep(200);
      expect(sock.messages.length).toBe(before);
      healthy = true;
      await sock.waitFor((_m) => sock.messages.length > before);
    } finally {
      stop();
      sock.close();
    }
  });
});
