import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTimeZone, processTimeZone, systemTimeZone } from "../../../../src/kernel/util/time-zone.ts";

const root = mkdtempSync(join(tmpdir(), "hearth-tz-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// A fake tz database with the zones the cases name.
const zoneinfo = join(root, "zoneinfo");
for (const zone of [
  "Europe/Berlin",
  "America/Argentina/Buenos_Aires",
  "Etc/UTC",
  "Etc/GMT+1",
  "US/Eastern",
]) {
  mkdirSync(join(zoneinfo, zone, ".."), { recursive: true });
  writeFileSync(join(zoneinfo, zone), "TZif");
}
const intl = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
const none = join(root, "none");

function link(name: string, target: string): string {
  const p = join(root, name);
  symlinkSync(target, p);
  return p;
}

describe("systemTimeZone", () => {
  test("TZ names the zone, with or without glibc's leading ':' and posix/ or right/", () => {
    expect(systemTimeZone({ tz: "Europe/Berlin", zoneinfo })).toBe("Europe/Berlin");
    expect(systemTimeZone({ tz: ":America/Argentina/Buenos_Aires", zoneinfo })).toBe(
      "America/Argentina/Buenos_Aires",
    );
    expect(systemTimeZone({ tz: "Etc/GMT+1", zoneinfo })).toBe("Etc/GMT+1");
    expect(systemTimeZone({ tz: "posix/Europe/Berlin", zoneinfo })).toBe("Europe/Berlin");
    expect(systemTimeZone({ tz: ":right/Europe/Berlin", zoneinfo })).toBe("Europe/Berlin");
    // A link of the tz database keeps its name (ICU would say America/New_York): valid either way.
    expect(systemTimeZone({ tz: "US/Eastern", zoneinfo })).toBe("US/Eastern");
  });

  test("UTC's aliases read as UTC, as ICU reports them", () => {
    for (const alias of ["Etc/UTC", "Zulu", "GMT", "Etc/GMT", "Etc/GMT0", "Etc/Greenwich", "Universal"]) {
      expect(systemTimeZone({ tz: alias, zoneinfo })).toBe("UTC");
    }
  });

  test("a TZ that is a POSIX rule, names no zone file or names a folder is left to ICU", () => {
    expect(systemTimeZone({ tz: "CET-1CEST,M3.5.0,M10.5.0/3", zoneinfo })).toBe(intl);
    expect(systemTimeZone({ tz: "CET-1CEST", zoneinfo })).toBe(intl);
    expect(systemTimeZone({ tz: "Mars/Olympus_Mons", zoneinfo })).toBe(intl);
    expect(systemTimeZone({ tz: "../../etc/passwd", zoneinfo })).toBe(intl);
    expect(systemTimeZone({ tz: "America/Argentina", zoneinfo })).toBe(intl);
  });

  test("without TZ, the zone /etc/localtime links to, posix/ and right/ included", () => {
    const plain = link("lt-plain", "/usr/share/zoneinfo/Europe/Berlin");
    const posix = link("lt-posix", "../usr/share/zoneinfo/posix/Europe/Berlin");
    expect(systemTimeZone({ localtime: plain, zoneinfo })).toBe("Europe/Berlin");
    expect(systemTimeZone({ tz: "", localtime: posix, zoneinfo })).toBe("Europe/Berlin");
  });

  test("an /etc/localtime that is a copy, not a link, or none at all, is left to ICU", () => {
    const copy = join(root, "lt-copy");
    writeFileSync(copy, "TZif");
    expect(systemTimeZone({ localtime: copy, zoneinfo })).toBe(intl);
    expect(systemTimeZone({ localtime: none, zoneinfo })).toBe(intl);
    expect(systemTimeZone({ localtime: link("lt-elsewhere", "/somewhere/else"), zoneinfo })).toBe(intl);
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

  test("every name systemTimeZone can give from the real tz database is one ICU knows", () => {
    for (const tz of ["Europe/Berlin", "posix/Europe/Berlin", "US/Eastern", "Etc/GMT+1", "Etc/GMT", "Zulu"]) {
      const name = systemTimeZone({ tz });
      expect(() => new Intl.DateTimeFormat("en-US", { timeZone: name })).not.toThrow();
    }
  });
});
