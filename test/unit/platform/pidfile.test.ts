import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HearthError } from "../../../src/errors.ts";
import { acquirePidFile, PID_FILE, runningPid } from "../../../src/platform/pidfile.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hearth-pid-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("the data folder pid file", () => {
  it("records this process and removes the file on release", () => {
    const release = acquirePidFile(dir);
    expect(runningPid(dir)).toBe(process.pid);
    release();
    expect(existsSync(join(dir, PID_FILE))).toBe(false);
  });

  it("refuses a second owner while a live process holds the folder", async () => {
    const sleeper = Bun.spawn(["sleep", "30"]);
    try {
      const stat = readFileSync(`/proc/${sleeper.pid}/stat`, "utf8");
      const started = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
      writeFileSync(join(dir, PID_FILE), `${sleeper.pid} ${started}\n`);
      expect(runningPid(dir)).toBe(sleeper.pid);
      let err: unknown;
      try {
        acquirePidFile(dir);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(HearthError);
      expect((err as HearthError).code).toBe("DATA_DIR_IN_USE");
      expect((err as HearthError).message).toContain(String(sleeper.pid));
    } finally {
      sleeper.kill();
      await sleeper.exited;
    }
  });

  it("replaces a stale file left by a process that is gone", async () => {
    const gone = Bun.spawn(["true"]);
    await gone.exited;
    writeFileSync(join(dir, PID_FILE), `${gone.pid} 12345\n`);
    expect(runningPid(dir)).toBeUndefined();
    const release = acquirePidFile(dir);
    expect(runningPid(dir)).toBe(process.pid);
    release();
  });

  it("does not mistake a reused pid (different start time) for Hearth", () => {
    writeFileSync(join(dir, PID_FILE), `${process.pid} 1\n`);
    expect(runningPid(dir)).toBeUndefined();
  });

  it("ignores a garbled file", () => {
    writeFileSync(join(dir, PID_FILE), "not a pid");
    expect(runningPid(dir)).toBeUndefined();
  });
});
