/**
 * A device as the registry holds it in memory (its record, reported and desired state, what is
 * pending), with the small pure helpers the registry's paths share.
 */
import { HearthError } from "../../errors.ts";
import type { JsonObject } from "../../kernel/storage/types.ts";
import { type Capability, checkValue } from "./capabilities.ts";
import type { DeviceRecord, DeviceStateRecord } from "./model.ts";

export interface Pending {
  value: unknown;
  /** The command that asked for it (a later command on the same key replaces it). */
  command: number;
}

export interface Device {
  record: DeviceRecord;
  reported: Record<string, unknown>;
  desired: Record<string, unknown>;
  pending: Map<string, Pending>;
  available: boolean;
  lastSeen: string | null;
}

export const viewKey = (id: string) => `devices/${id}`;
export const aliveKey = (id: string) => `devices/${id}/alive`;

/** What the device wants for `key` is again what it last said (nothing confirmed the change). */
export function revertDesired(device: Device, key: string): void {
  const reported = device.reported[key];
  if (reported === undefined) delete device.desired[key];
  else device.desired[key] = reported;
}

/** What is wrong with a command's changes for this device: unknown, read-only, or a bad value. */
export function commandIssues(
  record: DeviceRecord,
  changes: Record<string, unknown>,
): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const keys = Object.keys(changes);
  if (keys.length === 0) issues.push({ path: ["changes"], message: "no changes given" });
  for (const key of keys) {
    const cap = capOf(record, key);
    if (cap === undefined) {
      issues.push({ path: [key], message: `"${key}" is not a capability of device "${record.id}"` });
    } else if (!cap.commandable) {
      issues.push({ path: [key], message: `"${key}" is reported by the device and cannot be commanded` });
    } else {
      const problem = checkValue(cap, changes[key]);
      if (problem !== undefined) issues.push({ path: [key], message: `${key}: ${problem}` });
    }
  }
  return issues;
}

/** What is wrong with a report's state for this device: an unknown capability or a bad value. */
export function reportIssues(
  record: DeviceRecord,
  state: Record<string, unknown>,
): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  for (const [key, value] of Object.entries(state)) {
    const cap = capOf(record, key);
    if (cap === undefined)
      issues.push({ path: ["state", key], message: `"${key}" is not a capability of this device` });
    else {
      const problem = checkValue(cap, value);
      if (problem !== undefined) issues.push({ path: ["state", key], message: `${key}: ${problem}` });
    }
  }
  return issues;
}

export function extKey(owner: string, externalId: string): string {
  return `${owner}\u0000${externalId}`;
}

export function capOf(record: DeviceRecord, key: string): Capability | undefined {
  return record.capabilities.find((c) => c.name === key);
}

export function stripTimes(r: DeviceRecord): Omit<DeviceRecord, "createdAt" | "updatedAt"> {
  const { createdAt: _c, updatedAt: _u, ...rest } = r;
  return rest;
}

export function invalid(issues: { path: (string | number)[]; message: string }[]): HearthError {
  return new HearthError(
    "VALIDATION_FAILED",
    `Invalid device input: ${issues.map((i) => i.message).join("; ")}`,
    {
      data: { issues },
    },
  );
}

/** Records are plain JSON by construction (validated input, strings, numbers, booleans). */
export function json(value: DeviceRecord | DeviceStateRecord): JsonObject {
  return value as unknown as JsonObject;
}
