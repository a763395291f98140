import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTimeZone, processTimeZone, systemTimeZone } from "../../../../src/kernel/util/time-zone.ts";

const root = mkdtempSync(join(tmpdir(), "hearth-tz-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// A fake tz database with the zones the cases name.
const zoneinfo = join(root, "zoneinfo");
for (const zone of ["Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/UTC", "Etc/GMT+1"]) {
  mkdirSync(join(zoneinfo, zone, ".."), { recursive: true });
  writeFileSync(join(zoneinfo, zone), "TZif");
}
const intl = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

function link(name: string, target: string): string {
  const p = join(root, name);
  symlinkSync(target, p);
  return p;
}

describe("systemTimeZone", () => {
  test("TZ names the zone, with or without glibc's leading ':'", () => {
    expect(systemTimeZone({ tz: "Europe/Berlin", zoneinfo })).toBe("Europe/Berlin");
    expect(systemTimeZone({ tz: ":America/Argentina/Buenos_Aires", zoneinfo })).toBe(
      "America/Argentina/Buenos_Aires",
    );
    expect(systemTimeZone({ tz: "Etc/GMT+1", zoneinfo })).toBe("Etc/GMT+1");
  });

  test("UTC's aliases read as UTC, as ICU reports them", () => {
    expect(systemTimeZone({ tz: "Etc/UTC", zoneinfo })).toBe("UTC");
    expect(systemTimeZone({ tz: "Zulu", zoneinfo })).toBe("UTC");
  });

  test("a TZ that is a POSIX rule or names no zone file is left to ICU", () => {
    expect(systemTimeZone({ tz: "CET-1CEST,M3.5.0,M10.5.0/3", zoneinfo })).toBe(intl);
    expect(systemTimeZone({ tz: "CET-1CEST", zoneinfo })).toBe(intl);
    expect(systemTimeZone({ tz: "Mars/Olympus_Mons", zoneinfo })).toBe(intl);
    expect(systemTimeZone({ tz: "../../etc/passwd", zoneinfo })).toBe(intl);
  });

  test("without TZ, the zone /etc/localtime links to, posix/ and right/ included", () => {
    const plain = link("lt-plain", "/usr/share/zoneinfo/Europe/Berlin");
    const posix = link("lt-posix", "../usr/share/zoneinfo/posix/Europe/Berlin");
    expect(systemTimeZone({ localtime: plain, zoneinfo, timezoneFile: join(root, "none") })).toBe(
      "Europe/Berlin",
    );
    expect(systemTimeZone({ tz: "", localtime: posix, zoneinfo, timezoneFile: join(root, "none") })).toBe(
      "Europe/Berlin",
    );
  });

  test("then Debian's /etc/timezone, then ICU", () => {
    const file = join(root, "timezone");
    writeFileSync(file, "Europe/Berlin\n");
    const notALink = join(root, "timezone");
    expect(systemTimeZone({ localtime: notALink, timezoneFile: file, zoneinfo })).toBe("Europe/Berlin");
    expect(
      systemTimeZone({ localtime: join(root, "none"), timezoneFile: join(root, "none"), zoneinfo }),
    ).toBe(intl);
  });

  test("on this machine it agrees with ICU", () => {
    expect(processTimeZone()).toBe(intl);
  });
});

describe("isTimeZone", () => {
  test("ICU decides for any zone but the process's own", () => {
    expect(isTimeZone(processTimeZone())).toBe(true);
    expect(isTimeZone("Europe/Berlin")).toBe(true);
    expect(isTimeZone("Mars/Olympus_Mons")).toBe(false);
    expect(isTimeZone("")).toBe(false);
  });
});
