import { HearthError } from "../../errors.ts";
import { SERVICE_NAME_SOURCE } from "../names/index.ts";

/** A service name taken apart. */
export interface ParsedServiceName {
  /** `<owner>.<action>`, the name without its version. */
  readonly baseName: string;
  readonly owner: string;
  readonly action: string;
  /** 1 when the name carries no version. */
  readonly version: number;
  /** Whether the name spelled its version (`v1.x.y`) or left it out (`x.y`). */
  readonly explicitVersion: boolean;
}

// Two segments are always `<owner>.<action>` (so an owner may be called `v2`); three segments need a
// `v<N>` prefix. N has no leading zero so that each version has exactly one spelling.
const NAME = new RegExp(SERVICE_NAME_SOURCE);

/** Parses `<owner>.<action>` or `v<N>.<owner>.<action>`; undefined when the name is not valid. */
export function parseServiceName(name: unknown): ParsedServiceName | undefined {
  if (typeof name !== "string") return undefined;
  const m = NAME.exec(name);
  if (m === null) return undefined;
  const [, v, owner = "", action = ""] = m;
  const version = v === undefined ? 1 : Number(v);
  if (!Number.isSafeInteger(version)) return undefined;
  return { baseName: `${owner}.${action}`, owner, action, version, explicitVersion: v !== undefined };
}

/** Like `parseServiceName`, but throws `SERVICE_INVALID_NAME`. */
export function parseServiceNameOrThrow(name: unknown): ParsedServiceName {
  const parsed = parseServiceName(name);
  if (parsed === undefined) {
    throw new HearthError(
      "SERVICE_INVALID_NAME",
      `Invalid service name ${JSON.stringify(String(name))}: expected "<owner>.<action>" or "v<N>.<owner>.<action>"`,
      { data: { name: typeof name === "string" ? name : String(name) } },
    );
  }
  return parsed;
}
