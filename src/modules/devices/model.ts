/** The device record, its runtime state, the public view, and the input schemas of the services. */
import { z } from "zod";
import {
  CAPABILITIES,
  CAPABILITY_NAMES,
  type Capability,
  CapabilityInput,
  type CapabilityName,
  DEVICE_TYPES,
  type DeviceType,
} from "./capabilities.ts";

/** Storage namespaces: records durably, reported state deferred (it changes often; spare the SD card). */
export const RECORDS_NAMESPACE = "devices";
export const STATE_NAMESPACE = "devices.state";

/** What is kept durably: identity, names, area, capabilities. */
export interface DeviceRecord {
  id: string;
  name: string;
  type: DeviceType;
  capabilities: Capability[];
  owner: string;
  externalId: string;
  area: string | null;
  attributes: Record<string, unknown>;
  /** The device's own silence bound; null = the default for its kind. */
  availableTimeoutMs: number | null;
  /** What a user changed (a re-announce keeps them). */
  userSet: { name?: true; area?: true };
  createdAt: string;
  updatedAt: string;
}

/** What is kept deferred: the last reported and desired state, availability, last seen. */
export interface DeviceStateRecord {
  reported: Record<string, unknown>;
  desired: Record<string, unknown>;
  available: boolean;
  lastSeen: string | null;
}

/** The device as everyone sees it (API, state engine key `devices/<id>`, events). */
export interface DeviceView {
  id: string;
  name: string;
  type: DeviceType;
  capabilities: Capability[];
  owner: string;
  externalId: string;
  area: string | null;
  attributes: Record<string, unknown>;
  state: { desired: Record<string, unknown>; reported: Record<string, unknown>; pending: string[] };
  available: boolean;
  availableTimeoutMs: number;
  lastSeen: string | null;
  createdAt: string;
  updatedAt: string;
}

export const DEVICE_ID = /^[a-z0-9][a-z0-9-]{0,79}$/;
export const AREA = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const AREA_RULE = "an area of [a-z0-9_-], 1-64 chars, starting with a letter or digit";

export const DeviceId = z.string().regex(DEVICE_ID, "a device id of [a-z0-9-], 1-80 chars");
export const AreaName = z.string().regex(AREA, AREA_RULE);
const ExternalId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces");
const DisplayName = z.string().trim().min(1).max(128);
const Attributes = z.record(z.string().max(64), z.unknown()).refine((a) => Object.keys(a).length <= 64, {
  message: "at most 64 attributes",
});
const StateValues = z.record(z.string().max(64), z.unknown());

/**
 * A device record as restored from storage (`devices`). Unknown fields are dropped; a record that
 * does not fit is skipped at start (see `SkippedRecords`).
 */
export const StoredDeviceRecord = z
  .object({
    id: DeviceId,
    name: z.string().min(1).max(128),
    type: z.enum(DEVICE_TYPES),
    capabilities: z
      .array(
        z.object({
          name: z.enum(CAPABILITY_NAMES as [CapabilityName, ...CapabilityName[]]),
          kind: z.enum(["boolean", "number", "color", "action"]),
          commandable: z.boolean(),
          unit: z.string().optional(),
          min: z.number().finite().optional(),
          max: z.number().finite().optional(),
          actions: z.array(z.string()).optional(),
        }),
      )
      .max(32),
    owner: z.string().min(1).max(64),
    externalId: ExternalId,
    area: AreaName.nullable(),
    attributes: z.record(z.string(), z.unknown()),
    availableTimeoutMs: z.int().min(1000).max(2_147_483_647).nullable(),
    userSet: z.object({ name: z.literal(true).optional(), area: z.literal(true).optional() }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .superRefine((record, ctx) => {
    // A capability whose kind is not the vocabulary's would make every value check wrong.
    record.capabilities.forEach((cap, i) => {
      if (CAPABILITIES[cap.name].kind !== cap.kind)
        ctx.addIssue({
          code: "custom",
          path: ["capabilities", i, "kind"],
          message: "not the capability's kind",
        });
    });
  }) satisfies z.ZodType<DeviceRecord>;

/** A device's state row as restored from storage (`devices.state`); one that does not fit is dropped. */
export const StoredDeviceState = z.object({
  reported: StateValues,
  desired: StateValues,
  available: z.boolean(),
  lastSeen: z.string().nullable(),
}) satisfies z.ZodType<DeviceStateRecord>;

export const AnnounceParams = z.strictObject({
  externalId: ExternalId,
  name: DisplayName,
  type: z.enum(DEVICE_TYPES),
  capabilities: z.array(CapabilityInput).max(32),
  attributes: Attributes.optional(),
  /** The area the device is suggested for; a user's choice wins. */
  area: AreaName.nullable().optional(),
  availableTimeoutMs: z.int().min(1000).max(2_147_483_647).nullable().optional(),
});
export type AnnounceParams = z.infer<typeof AnnounceParams>;

/** A device named by its owner's id or by Hearth's. */
const Ref = z.union([z.strictObject({ id: DeviceId }), z.strictObject({ externalId: ExternalId })]);
const withRef = <T extends z.ZodRawShape>(shape: T) =>
  z.union([z.strictObject({ id: DeviceId, ...shape }), z.strictObject({ externalId: ExternalId, ...shape })]);

export const ReportParams = withRef({ state: StateValues });
export type ReportParams = z.infer<typeof ReportParams>;
export const SetAvailableParams = withRef({ available: z.boolean() });
export type SetAvailableParams = z.infer<typeof SetAvailableParams>;
export const ForgetParams = Ref;
export type ForgetParams = z.infer<typeof ForgetParams>;

export const ListParams = z.strictObject({
  area: AreaName.optional(),
  type: z.enum(DEVICE_TYPES).optional(),
  owner: z.string().max(64).optional(),
  capability: z.string().max(64).optional(),
});
export const GetParams = z.strictObject({ id: DeviceId });
export const UpdateParams = z.strictObject({
  id: DeviceId,
  name: DisplayName.optional(),
  area: AreaName.nullable().optional(),
});

/**
 * `{ id, changes }`, or (from HTTP, where the body is the changes) `{ id, ...changes }`. No capability
 * is named `id`, `area` or `changes`, so the two cannot be confused.
 */
export const CommandParams = z.looseObject({ id: DeviceId, changes: StateValues.optional() });
export const CommandAreaParams = z.looseObject({ area: AreaName, changes: StateValues.optional() });

/** The changes of a command, whichever shape it came in. */
export function changesOf(params: Record<string, unknown>, key: "id" | "area"): Record<string, unknown> {
  const { [key]: _named, changes, ...rest } = params;
  if (changes !== undefined) {
    if (Object.keys(rest).length > 0) return { ...(changes as Record<string, unknown>), ...rest };
    return changes as Record<string, unknown>;
  }
  return rest;
}

// Schemas for the OpenAPI document.
const CapabilitySchema = z.object({
  name: z.string(),
  kind: z.enum(["boolean", "number", "color", "action"]),
  commandable: z.boolean(),
  unit: z.string().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  actions: z.array(z.string()).optional(),
});
export const DeviceViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(DEVICE_TYPES),
  capabilities: z.array(CapabilitySchema),
  owner: z.string(),
  externalId: z.string(),
  area: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()),
  state: z.object({
    desired: z.record(z.string(), z.unknown()),
    reported: z.record(z.string(), z.unknown()),
    pending: z.array(z.string()),
  }),
  available: z.boolean(),
  availableTimeoutMs: z.int(),
  lastSeen: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const DeviceListSchema = z.object({ devices: z.array(DeviceViewSchema) });
export const AreasSchema = z.object({ areas: z.array(z.object({ area: z.string(), devices: z.int() })) });
export const AreaCommandResultSchema = z.object({
  area: z.string(),
  results: z.array(
    z.object({
      id: z.string(),
      ok: z.boolean(),
      code: z.string().optional(),
      message: z.string().optional(),
    }),
  ),
});

/** A stable, safe id from the owner and its own id: `zigbee-0x00158d0001a2b3c4`. */
export function slugId(owner: string, externalId: string): string {
  const slug = `${owner}-${externalId}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 72)
    .replace(/-+$/, "");
  return slug === "" ? "device" : slug;
}
