/** People, their trackers, their status, and the schemas of the presence services. */
import { z } from "zod";
import { DeviceId } from "../devices/model.ts";

/** Storage namespaces: people and their status durably, source reports deferred (re-reported often). */
export const PEOPLE_NAMESPACE = "presence";
export const STATUS_NAMESPACE = "presence.status";
export const SOURCES_NAMESPACE = "presence.sources";

/** The one capability that makes a device a presence tracker (see the README: why not `motion`). */
export const PRESENCE_CAPABILITY = "occupancy";

export const PERSON_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const SOURCE_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export const PersonId = z.string().regex(PERSON_ID, "a person id of [a-z0-9-], 1-64 chars");
export const SourceName = z
  .string()
  .regex(SOURCE_NAME, "a source name of [a-z0-9_.-], 1-64 chars, starting with a letter or digit");
const DisplayName = z.string().trim().min(1).max(128);
/** A day at most: a longer delay would hide a real departure. */
const AwayDelayMs = z.int().min(0).max(86_400_000);
const TtlMs = z.int().min(10).max(2_147_483_647);

export const DeviceTracker = z.strictObject({ type: z.literal("device"), device: DeviceId });
export const SourceTracker = z.strictObject({
  type: z.literal("source"),
  name: SourceName,
  /** How long a report counts (default `presence.sourceTtlMs`). */
  ttlMs: TtlMs.optional(),
});
export const Tracker = z.discriminatedUnion("type", [DeviceTracker, SourceTracker]);
export type Tracker = z.infer<typeof Tracker>;
const Trackers = z.array(Tracker).max(16);

/** `device:<id>` or `source:<name>`: a tracker's key in a person's `trackers` view. */
export function trackerKey(t: Tracker): string {
  return t.type === "device" ? `device:${t.device}` : `source:${t.name}`;
}

/** What is kept durably about a person. */
export interface PersonRecord {
  id: string;
  name: string;
  trackers: Tracker[];
  /** This person's away delay; null = `presence.awayDelayMs`. */
  awayDelayMs: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface Override {
  home: boolean;
  /** Wall-clock ms when it ends; null = until cleared. */
  untilMs: number | null;
  setAt: number;
}

/** What is kept durably about where a person is (so a restart neither flaps nor forgets an override). */
export interface StatusRecord {
  home: boolean;
  /** Wall-clock ms of the last change. */
  since: number;
  override: Override | null;
}

/** A source's last report, kept (deferred) until it expires. */
export interface SourceRecord {
  home: boolean;
  at: number;
  expiresAt: number;
}

// What is restored from storage at start; a document that does not fit is skipped (see
// `SkippedRecords`). Unknown fields are dropped.
export const StoredPerson = z.object({
  id: PersonId,
  name: DisplayName,
  trackers: Trackers,
  awayDelayMs: AwayDelayMs.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
}) satisfies z.ZodType<PersonRecord>;
export const StoredStatus = z.object({
  home: z.boolean(),
  since: z.int().min(0),
  override: z
    .object({ home: z.boolean(), untilMs: z.int().min(0).nullable(), setAt: z.int().min(0) })
    .nullable(),
}) satisfies z.ZodType<StatusRecord>;
export const StoredSource = z.object({
  home: z.boolean(),
  at: z.int().min(0),
  expiresAt: z.int().min(0),
}) satisfies z.ZodType<SourceRecord>;

/** A tracker as configured, with what it says now. */
export interface TrackerView {
  type: "device" | "source";
  device?: string;
  name?: string;
  ttlMs?: number;
  /** What this tracker says now: false when stale, unknown or unavailable. */
  home: boolean;
  /** Device trackers: whether the device is there and answering. */
  available?: boolean;
  /** Source trackers: when the last report came and when it stops counting (wall ms), or null. */
  at?: number | null;
  expiresAt?: number | null;
}

/** A person as everyone sees it: the API and the state key `presence/<id>`. */
export interface PersonView {
  id: string;
  name: string;
  awayDelayMs: number | null;
  home: boolean;
  /** Wall-clock ms of the last change of `home`. */
  since: number;
  /** Each tracker, by `device:<id>` / `source:<name>`, with its verdict. */
  trackers: Record<string, TrackerView>;
  override: Override | null;
  /** When the trackers said away but the away delay has not passed yet: when it will. */
  awayAt: number | null;
  createdAt: string;
  updatedAt: string;
}

export const CreatePersonParams = z.strictObject({
  /** Derived from the name when absent. */
  id: PersonId.optional(),
  name: DisplayName,
  trackers: Trackers.default([]),
  awayDelayMs: AwayDelayMs.nullable().optional(),
});
export type CreatePersonParams = z.infer<typeof CreatePersonParams>;

export const UpdatePersonBody = z.strictObject({
  name: DisplayName.optional(),
  trackers: Trackers.optional(),
  awayDelayMs: AwayDelayMs.nullable().optional(),
});
export const UpdatePersonParams = UpdatePersonBody.extend({ id: PersonId });
export type UpdatePersonParams = z.infer<typeof UpdatePersonParams>;

export const PersonIdParams = z.strictObject({ id: PersonId });

/** `untilMs` (epoch ms) or `forMs` (from now), never both; neither: until cleared. */
const overrideShapes = <T extends z.ZodRawShape>(extra: T) =>
  z.union([
    z.strictObject({
      ...extra,
      home: z.boolean(),
      /** Wall-clock ms (epoch) when the override ends; absent: until cleared. */
      untilMs: z.int().min(0).optional(),
    }),
    z.strictObject({
      ...extra,
      home: z.boolean(),
      /** How long from now the override lasts. */
      forMs: z.int().min(1).max(31_536_000_000),
    }),
  ]);
export const OverrideBody = overrideShapes({});
export const OverrideParams = overrideShapes({ personId: PersonId });
export type OverrideParams = z.infer<typeof OverrideParams>;
export const ClearOverrideParams = z.strictObject({ personId: PersonId });

export const ReportParams = z.strictObject({ tracker: SourceName, home: z.boolean() });
export type ReportParams = z.infer<typeof ReportParams>;

// Schemas for the OpenAPI document.
const TrackerViewSchema = z.object({
  type: z.enum(["device", "source"]),
  device: z.string().optional(),
  name: z.string().optional(),
  ttlMs: z.int().optional(),
  home: z.boolean(),
  available: z.boolean().optional(),
  at: z.int().nullable().optional(),
  expiresAt: z.int().nullable().optional(),
});
const OverrideSchema = z.object({ home: z.boolean(), untilMs: z.int().nullable(), setAt: z.int() });
export const PersonViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  awayDelayMs: z.int().nullable(),
  home: z.boolean(),
  since: z.int(),
  trackers: z.record(z.string(), TrackerViewSchema),
  override: OverrideSchema.nullable(),
  awayAt: z.int().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const PeopleSchema = z.object({ people: z.array(PersonViewSchema) });
export const PresenceSchema = z.object({
  anyoneHome: z.boolean(),
  people: z.array(
    z.object({ id: z.string(), name: z.string(), home: z.boolean(), since: z.int(), override: z.boolean() }),
  ),
});
export const ReportResultSchema = z.object({
  tracker: z.string(),
  home: z.boolean(),
  expiresAt: z.int(),
  people: z.array(z.object({ id: z.string(), home: z.boolean() })),
});

/** A safe id from a display name: "Anna Müller" → "anna-m-ller". */
export function slugPerson(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/, "");
  return slug === "" ? "person" : slug;
}
