/**
 * The system's time zone (what `location.timeZone` defaults to), found the way the C library finds
 * it: `TZ`, else the zone `/etc/localtime` links to, else `/etc/timezone`. Read from the file system
 * because the first use of `Intl.DateTimeFormat` loads ICU's zone data, which cost ~6 ms of every
 * start-up (x64, compiled binary) for a value most configurations never set. When none of them names
 * an IANA zone (a POSIX `TZ` such as `CET-1CEST`, no link), `Intl` decides, as before.
 */
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";

export interface TimeZoneSources {
  /** The `TZ` environment variable. */
  tz?: string | undefined;
  /** Where the localtime link is (default `/etc/localtime`). */
  localtime?: string;
  /** Debian's plain-text zone file (default `/etc/timezone`). */
  timezoneFile?: string;
  /** The tz database (default `/usr/share/zoneinfo`): a name without a file there is left to ICU. */
  zoneinfo?: string;
}

// An IANA Area/Location name: segments of letters, digits, '_', '+', '-' (Etc/GMT+1,
// America/Port-au-Prince). One-word names are left to ICU: a POSIX rule such as `CET-1CEST` looks
// like one.
const IANA = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){1,2}$/;
// What ICU reports for these is "UTC"; keep the default the same whichever way it was found.
const UTC_ALIASES = new Set([
  "UTC",
  "Etc/UTC",
  "Etc/UCT",
  "Etc/Universal",
  "Etc/Zulu",
  "UCT",
  "Universal",
  "Zulu",
]);

function named(candidate: string | undefined, zoneinfo: string): string | undefined {
  if (candidate === undefined) return undefined;
  const name = candidate.trim().replace(/^:/, "");
  if (UTC_ALIASES.has(name)) return "UTC";
  return IANA.test(name) && existsSync(join(zoneinfo, name)) ? name : undefined;
}

function fromLink(path: string, zoneinfo: string): string | undefined {
  try {
    const target = readlinkSync(path);
    const at = target.lastIndexOf("zoneinfo/");
    if (at < 0) return undefined;
    // zoneinfo/posix/Europe/Berlin and zoneinfo/right/… name the same zone.
    return named(target.slice(at + "zoneinfo/".length).replace(/^(posix|right)\//, ""), zoneinfo);
  } catch {
    return undefined;
  }
}

function fromFile(path: string, zoneinfo: string): string | undefined {
  try {
    return named(readFileSync(path, "utf8").split("\n")[0], zoneinfo);
  } catch {
    return undefined;
  }
}

export function systemTimeZone(sources: TimeZoneSources = { tz: process.env.TZ }): string {
  const {
    tz,
    localtime = "/etc/localtime",
    timezoneFile = "/etc/timezone",
    zoneinfo = "/usr/share/zoneinfo",
  } = sources;
  // A set but unusable TZ (a POSIX rule) means the C library does not read the files: ask ICU.
  if (tz !== undefined && tz !== "") return named(tz, zoneinfo) ?? intlTimeZone();
  return fromLink(localtime, zoneinfo) ?? fromFile(timezoneFile, zoneinfo) ?? intlTimeZone();
}

function intlTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

let system: string | undefined;

/** `systemTimeZone()` of this process, read once. */
export function processTimeZone(): string {
  system ??= systemTimeZone();
  return system;
}

/**
 * Whether `tz` is a time zone this runtime's ICU knows. The process's own zone is taken as known
 * without asking ICU (see above); any other name costs ICU's first load once.
 */
export function isTimeZone(tz: string): boolean {
  if (tz === processTimeZone()) return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
