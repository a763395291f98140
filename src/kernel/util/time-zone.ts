/**
 * The system's time zone (what `location.timeZone` defaults to), found the way the C library finds
 * it: `TZ`, else the zone `/etc/localtime` links to. Read from the file system because the first use
 * of `Intl.DateTimeFormat` loads ICU's zone data, which cost ~6 ms of every start-up (x64, compiled
 * binary) for a value most configurations never set. Whenever that is not clear-cut, `Intl` decides,
 * as before: a POSIX `TZ` such as `CET-1CEST`, a name with no zone file, an `/etc/localtime` that is a
 * copy rather than a link (ICU matches its contents), or none at all. The name is the tz database's
 * own: a link such as `US/Eastern` stays that (ICU would say `America/New_York`); UTC's aliases read
 * `UTC`, as ICU reports them.
 */
import { lstatSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";

export interface TimeZoneSources {
  /** The `TZ` environment variable. */
  tz?: string | undefined;
  /** Where the localtime link is (default `/etc/localtime`). */
  localtime?: string;
  /** The tz database (default `/usr/share/zoneinfo`): a name without a zone file there is left to ICU. */
  zoneinfo?: string;
}

// An IANA Area/Location name: segments of letters, digits, '_', '+', '-' (Etc/GMT+1,
// America/Port-au-Prince). One-word names are left to ICU: a POSIX rule such as `CET-1CEST` looks
// like one.
const IANA = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){1,2}$/;
// What ICU reports as "UTC" (checked against Bun's ICU): keep the default the same either way.
const UTC_ALIASES = new Set([
  "UTC",
  "Etc/UTC",
  "UCT",
  "Etc/UCT",
  "Universal",
  "Etc/Universal",
  "Zulu",
  "Etc/Zulu",
  "GMT",
  "Etc/GMT",
  "GMT0",
  "Etc/GMT0",
  "GMT+0",
  "Etc/GMT+0",
  "GMT-0",
  "Etc/GMT-0",
  "Greenwich",
  "Etc/Greenwich",
]);

function named(candidate: string, zoneinfo: string): string | undefined {
  // glibc's leading ':'; zoneinfo/posix/Europe/Berlin and zoneinfo/right/… name the same zone.
  const name = candidate
    .trim()
    .replace(/^:/, "")
    .replace(/^(posix|right)\//, "");
  if (UTC_ALIASES.has(name)) return "UTC";
  if (!IANA.test(name)) return undefined;
  try {
    return statSync(join(zoneinfo, name)).isFile() ? name : undefined;
  } catch {
    return undefined;
  }
}

function fromLink(path: string, zoneinfo: string): string | undefined {
  try {
    if (!lstatSync(path).isSymbolicLink()) return undefined;
    const target = readlinkSync(path);
    const at = target.lastIndexOf("zoneinfo/");
    return at < 0 ? undefined : named(target.slice(at + "zoneinfo/".length), zoneinfo);
  } catch {
    return undefined;
  }
}

export function systemTimeZone(sources: TimeZoneSources = { tz: process.env.TZ }): string {
  const { tz, localtime = "/etc/localtime", zoneinfo = "/usr/share/zoneinfo" } = sources;
  if (tz !== undefined && tz !== "") return named(tz, zoneinfo) ?? intlTimeZone();
  return fromLink(localtime, zoneinfo) ?? intlTimeZone();
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
