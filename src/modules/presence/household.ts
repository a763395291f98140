/**
 * Who is home. A person's trackers are read from the state engine: a device tracker from the devices
 * module's `devices/<id>` view (home while the device is available and reports `occupancy: true`), a
 * source tracker from `presence/_source/<name>`, set by `presence.report` with a TTL, so a report
 * that is not renewed expires by itself (no polling). Arrival counts at once; departure waits the
 * away delay; an override beats the trackers until it ends. People and their status are durable,
 * source reports deferred; everything is restored on start.
 */
import { errorMessage, HearthError } from "../../errors.ts";
import type { Logger } from "../../kernel/log/types.ts";
import type { JsonObject } from "../../kernel/storage/types.ts";
import type { Kernel } from "../../kernel/types.ts";
import { type Clock, MAX_TIMER_MS } from "../../kernel/util/index.ts";
import type { DeviceView } from "../devices/index.ts";
import { SkippedRecords } from "../stored-records.ts";
import {
  type CreatePersonParams,
  type Override,
  type OverrideParams,
  PEOPLE_NAMESPACE,
  type PersonRecord,
  type PersonView,
  PRESENCE_CAPABILITY,
  SOURCES_NAMESPACE,
  type SourceRecord,
  STATUS_NAMESPACE,
  type StatusRecord,
  StoredPerson,
  StoredSource,
  StoredStatus,
  slugPerson,
  type Tracker,
  type TrackerView,
  trackerKey,
  type UpdatePersonParams,
} from "./model.ts";

export interface HouseholdOptions {
  kernel: Kernel;
  log: Logger;
  clock: Clock;
  awayDelayMs: number;
  sourceTtlMs: number;
}

/** Why a person's `home` changed (in `presence.changed`). */
export type ChangeReason = "tracker" | "away_delay" | "override" | "override_cleared" | "override_expired";

interface Person {
  record: PersonRecord;
  status: StatusRecord;
  awayAt: number | null;
  awayTimer: unknown;
  overrideTimer: unknown;
}

type Issue = { path: (string | number)[]; message: string };

export const ANYONE_HOME_KEY = "presence/anyone_home";
const personKey = (id: string) => `presence/${id}`;
const SOURCE_PREFIX = "presence/_source/";
const sourceKey = (name: string) => `${SOURCE_PREFIX}${name}`;

export class Household {
  readonly #k: Kernel;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #o: HouseholdOptions;
  readonly #people = new Map<string, Person>();
  /** Last report of each source still within its TTL (the state key is the deadline). */
  readonly #sources = new Map<string, SourceRecord>();
  #anyoneHome = false;
  #stopped = false;
  readonly #skipped: SkippedRecords;

  constructor(options: HouseholdOptions) {
    this.#k = options.kernel;
    this.#log = options.log;
    this.#clock = options.clock;
    this.#o = options;
    this.#skipped = new SkippedRecords(options.log);
  }

  /**
   * Restores people, their status and the sources' last reports still within their TTL. A person
   * that does not fit is skipped (kept in storage for repair, counted); a status or source report
   * that does not fit is dropped from memory (the person starts away, the source silent).
   */
  async load(): Promise<void> {
    const storage = this.#k.storage;
    const [people, statuses, sources] = await Promise.all([
      storage.query(PEOPLE_NAMESPACE, {}),
      storage.query(STATUS_NAMESPACE, {}),
      storage.query(SOURCES_NAMESPACE, {}),
    ]);
    const statusOf = new Map(statuses.map((s) => [s.key, s.value]));
    const now = this.#clock.now();
    for (const { key, value } of people) {
      const record = this.#skipped.parse(StoredPerson, PEOPLE_NAMESPACE, key, value, (r) =>
        r.id === key ? undefined : ["id"],
      );
      if (record === undefined) continue;
      const row = statusOf.get(record.id);
      const stored =
        row === undefined ? undefined : this.#skipped.parse(StoredStatus, STATUS_NAMESPACE, key, row);
      const status = stored ?? { home: false, since: now, override: null };
      this.#people.set(record.id, {
        record,
        status,
        awayAt: null,
        awayTimer: undefined,
        overrideTimer: undefined,
      });
    }
    const stale: string[] = [];
    for (const { key, value } of sources) {
      const s = this.#skipped.parse(StoredSource, SOURCES_NAMESPACE, key, value);
      if (s === undefined) continue;
      const left = s.expiresAt - now;
      if (left <= 0) stale.push(key);
      else {
        this.#sources.set(key, s);
        this.#k.state.set(
          sourceKey(key),
          { home: s.home, at: s.at },
          { ttlMs: Math.min(left, MAX_TIMER_MS) },
        );
      }
    }
    if (stale.length > 0) await storage.batchDelete(SOURCES_NAMESPACE, stale);
    // What was known at shutdown, until start() re-evaluates it (with everyone subscribed).
    for (const p of this.#people.values()) this.#publishView(p);
    this.#anyoneHome = [...this.#people.values()].some((p) => p.status.home);
    this.#k.state.set(ANYONE_HOME_KEY, this.#anyoneHome);
  }

  /** Watches the trackers. Returns what undoes it. */
  wire(): () => void {
    const unwatchDevices = this.#k.state.watch("devices/*", (change) => {
      const id = change.key.slice("devices/".length);
      for (const p of this.#people.values()) {
        if (p.record.trackers.some((t) => t.type === "device" && t.device === id))
          this.#evaluate(p, "tracker");
      }
    });
    const unwatchSources = this.#k.state.watch(`${SOURCE_PREFIX}*`, (change) => {
      const name = change.key.slice(SOURCE_PREFIX.length);
      if (change.reason === "expired" || change.reason === "deleted") {
        this.#sources.delete(name);
        if (change.reason === "expired") {
          void this.#k.storage
            .delete(SOURCES_NAMESPACE, name)
            .catch((err: unknown) =>
              this.#log.error(
                { source: name, err: errorMessage(err) },
                "could not drop an expired source report",
              ),
            );
        }
      }
      for (const p of this.#people.values()) {
        if (p.record.trackers.some((t) => t.type === "source" && t.name === name))
          this.#evaluate(p, "tracker");
      }
    });
    return () => {
      unwatchDevices();
      unwatchSources();
    };
  }

  /** Re-evaluates everyone against the trackers and arms the override deadlines (after every module registered). */
  start(): void {
    for (const p of this.#people.values()) {
      this.#armOverride(p);
      this.#evaluate(p, "tracker");
    }
    this.#updateAnyone(undefined);
  }

  stop(): void {
    this.#stopped = true;
    for (const p of this.#people.values()) this.#disarm(p);
  }

  stats(): { people: number; home: number; sources: number; skipped: string | undefined } {
    let home = 0;
    for (const p of this.#people.values()) if (p.status.home) home++;
    return {
      people: this.#people.size,
      home,
      sources: this.#sources.size,
      skipped: this.#skipped.describe(),
    };
  }

  // ---- people ----

  list(): PersonView[] {
    return [...this.#people.values()].map((p) => this.view(p)).sort((a, b) => a.id.localeCompare(b.id));
  }

  get(id: string): PersonView {
    return this.view(this.#byId(id));
  }

  summary() {
    return {
      anyoneHome: this.#anyoneHome,
      people: this.list().map((p) => ({
        id: p.id,
        name: p.name,
        home: p.home,
        since: p.since,
        override: p.override !== null,
      })),
    };
  }

  async create(input: CreatePersonParams): Promise<PersonView> {
    let id = input.id;
    if (id !== undefined && this.#people.has(id)) {
      throw new HearthError("PRESENCE_PERSON_EXISTS", `A person "${id}" exists already`, { data: { id } });
    }
    id ??= this.#freeId(slugPerson(input.name));
    this.#checkTrackers(input.trackers);
    const at = new Date(this.#clock.now()).toISOString();
    const record: PersonRecord = {
      id,
      name: input.name,
      trackers: input.trackers,
      awayDelayMs: input.awayDelayMs ?? null,
      createdAt: at,
      updatedAt: at,
    };
    const status: StatusRecord = { home: false, since: this.#clock.now(), override: null };
    await this.#k.storage.transaction(async (tx) => {
      await tx.set(PEOPLE_NAMESPACE, id, json(record));
      await tx.set(STATUS_NAMESPACE, id, json(status));
    });
    // An id given explicitly replaces a record skipped at start: the user chose it.
    this.#skipped.replaced(PEOPLE_NAMESPACE, id);
    const person: Person = { record, status, awayAt: null, awayTimer: undefined, overrideTimer: undefined };
    this.#people.set(id, person);
    this.#log.info({ person: id, trackers: record.trackers.length }, "person added");
    this.#publishView(person);
    this.#evaluate(person, "tracker");
    return this.view(person);
  }

  async update(input: UpdatePersonParams): Promise<PersonView> {
    const person = this.#byId(input.id);
    if (input.trackers !== undefined) this.#checkTrackers(input.trackers);
    const next: PersonRecord = {
      ...person.record,
      ...(input.name === undefined ? {} : { name: input.name }),
      ...(input.trackers === undefined ? {} : { trackers: input.trackers }),
      ...(input.awayDelayMs === undefined ? {} : { awayDelayMs: input.awayDelayMs }),
      updatedAt: new Date(this.#clock.now()).toISOString(),
    };
    await this.#k.storage.set(PEOPLE_NAMESPACE, next.id, json(next));
    person.record = next;
    // A changed delay applies to a departure under way too.
    if (person.awayTimer !== undefined) this.#cancelAway(person);
    this.#publishView(person);
    this.#evaluate(person, "tracker");
    return this.view(person);
  }

  async remove(id: string): Promise<void> {
    const person = this.#byId(id);
    await this.#k.storage.transaction(async (tx) => {
      await tx.delete(PEOPLE_NAMESPACE, id);
      await tx.delete(STATUS_NAMESPACE, id);
    });
    this.#disarm(person);
    this.#people.delete(id);
    this.#k.state.delete(personKey(id));
    this.#log.info({ person: id }, "person removed");
    this.#updateAnyone(id);
  }

  // ---- overrides and reports ----

  async override(input: OverrideParams): Promise<PersonView> {
    const person = this.#byId(input.personId);
    const now = this.#clock.now();
    const untilMs = "forMs" in input ? now + input.forMs : (input.untilMs ?? null);
    if (untilMs !== null && untilMs <= now) {
      throw invalid([{ path: ["untilMs"], message: "untilMs must be in the future" }]);
    }
    const override: Override = { home: input.home, untilMs, setAt: now };
    await this.#saveStatus(person, { override });
    this.#log.info({ person: person.record.id, home: input.home, untilMs }, "presence overridden");
    this.#armOverride(person);
    this.#evaluate(person, "override");
    return this.view(person);
  }

  async clearOverride(personId: string): Promise<PersonView> {
    const person = this.#byId(personId);
    if (person.status.override !== null) await this.#endOverride(person, "override_cleared");
    return this.view(person);
  }

  /** A named source says home or away; it counts for its TTL. */
  async report(name: string, home: boolean) {
    const people = [...this.#people.values()].filter((p) =>
      p.record.trackers.some((t) => t.type === "source" && t.name === name),
    );
    if (people.length === 0) {
      throw new HearthError("NOT_FOUND", `No person is tracked by source "${name}"`, {
        data: { tracker: name },
      });
    }
    const ttlMs = this.#ttlOf(name);
    const at = this.#clock.now();
    const record: SourceRecord = { home, at, expiresAt: at + ttlMs };
    await this.#k.storage.set(SOURCES_NAMESPACE, name, json(record), { deferred: true });
    this.#sources.set(name, record);
    // The watcher re-evaluates the people this source tracks.
    this.#k.state.set(sourceKey(name), { home, at }, { ttlMs });
    return {
      tracker: name,
      home,
      expiresAt: record.expiresAt,
      people: people.map((p) => ({ id: p.record.id, home: p.status.home })),
    };
  }

  view(p: Person): PersonView {
    const trackers: Record<string, TrackerView> = {};
    for (const t of p.record.trackers) trackers[trackerKey(t)] = this.#trackerView(t);
    const r = p.record;
    return {
      id: r.id,
      name: r.name,
      awayDelayMs: r.awayDelayMs,
      home: p.status.home,
      since: p.status.since,
      trackers,
      override: p.status.override,
      awayAt: p.awayAt,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    };
  }

  // ---- internals ----

  #trackerView(t: Tracker): TrackerView {
    if (t.type === "device") {
      const device = this.#k.state.get<DeviceView>(`devices/${t.device}`);
      const available = device?.available === true;
      return {
        type: "device",
        device: t.device,
        home: available && device?.state.reported[PRESENCE_CAPABILITY] === true,
        available,
      };
    }
    const live = this.#k.state.has(sourceKey(t.name)) ? this.#sources.get(t.name) : undefined;
    return {
      type: "source",
      name: t.name,
      ...(t.ttlMs === undefined ? {} : { ttlMs: t.ttlMs }),
      home: live?.home === true,
      at: live?.at ?? null,
      expiresAt: live?.expiresAt ?? null,
    };
  }

  /**
   * Decides where a person is. The override wins while it lasts; otherwise any tracker at home means
   * home at once, and none means away once the away delay has passed (an override ending or being set
   * takes effect at once: someone chose that moment).
   */
  #evaluate(p: Person, reason: ChangeReason): void {
    if (this.#stopped) return;
    const o = p.status.override;
    const trackersHome = p.record.trackers.some((t) => this.#trackerView(t).home);
    const wanted = o !== null ? o.home : trackersHome;
    if (wanted) this.#cancelAway(p);
    if (wanted === p.status.home) {
      if (!wanted) this.#cancelAway(p);
      this.#publishView(p);
      return;
    }
    if (wanted || reason !== "tracker") {
      this.#change(p, wanted, reason);
      return;
    }
    const delay = p.record.awayDelayMs ?? this.#o.awayDelayMs;
    if (delay === 0) {
      this.#change(p, false, reason);
      return;
    }
    if (p.awayTimer === undefined) {
      p.awayAt = this.#clock.now() + delay;
      p.awayTimer = this.#clock.setTimeout(() => {
        p.awayTimer = undefined;
        p.awayAt = null;
        if (this.#people.get(p.record.id) !== p) return;
        this.#evaluate(p, "away_delay");
      }, delay);
    }
    this.#publishView(p);
  }

  #change(p: Person, home: boolean, reason: ChangeReason): void {
    this.#cancelAway(p);
    const status: StatusRecord = { ...p.status, home, since: this.#clock.now() };
    p.status = status;
    void this.#k.storage
      .set(STATUS_NAMESPACE, p.record.id, json(status))
      .catch((err: unknown) =>
        this.#log.error({ person: p.record.id, err: errorMessage(err) }, "could not save a person's status"),
      );
    this.#publishView(p);
    this.#log.info({ person: p.record.id, home, reason }, home ? "person arrived" : "person left");
    void this.#k.bus.publishOrdered("presence.changed", {
      personId: p.record.id,
      name: p.record.name,
      home,
      since: status.since,
      reason,
    });
    this.#updateAnyone(p.record.id);
  }

  #updateAnyone(personId: string | undefined): void {
    const anyone = [...this.#people.values()].some((p) => p.status.home);
    if (anyone === this.#anyoneHome) return;
    this.#anyoneHome = anyone;
    this.#k.state.set(ANYONE_HOME_KEY, anyone);
    const home = [...this.#people.values()].filter((p) => p.status.home).map((p) => p.record.id);
    void this.#k.bus.publishOrdered(anyone ? "presence.home_occupied" : "presence.home_empty", {
      ...(personId === undefined ? {} : { personId }),
      people: home,
    });
  }

  #cancelAway(p: Person): void {
    if (p.awayTimer !== undefined) this.#clock.clearTimeout(p.awayTimer);
    p.awayTimer = undefined;
    p.awayAt = null;
  }

  #armOverride(p: Person): void {
    if (p.overrideTimer !== undefined) this.#clock.clearTimeout(p.overrideTimer);
    p.overrideTimer = undefined;
    const until = p.status.override?.untilMs;
    if (until === undefined || until === null) return;
    const left = until - this.#clock.now();
    if (left <= 0) {
      void this.#endOverride(p, "override_expired");
      return;
    }
    // Beyond a timer's range, wake up at its end and look again.
    p.overrideTimer = this.#clock.setTimeout(
      () => {
        p.overrideTimer = undefined;
        if (this.#stopped || this.#people.get(p.record.id) !== p) return;
        this.#armOverride(p);
      },
      Math.min(left, MAX_TIMER_MS),
    );
  }

  /**
   * A cleared override is saved before it counts (the caller hears of a failed write); an expired one
   * counts at once and is saved after (its time has come whatever the disk says).
   */
  async #endOverride(p: Person, reason: "override_cleared" | "override_expired"): Promise<void> {
    if (p.overrideTimer !== undefined) this.#clock.clearTimeout(p.overrideTimer);
    p.overrideTimer = undefined;
    const status = { ...p.status, override: null };
    if (reason === "override_cleared") await this.#saveStatus(p, { override: null });
    else {
      p.status = status;
      void this.#k.storage
        .set(STATUS_NAMESPACE, p.record.id, json(status))
        .catch((err: unknown) =>
          this.#log.error(
            { person: p.record.id, err: errorMessage(err) },
            "could not save an expired override",
          ),
        );
    }
    this.#log.info({ person: p.record.id, reason }, "presence override ended");
    this.#evaluate(p, reason);
  }

  /**
   * Saves `patch` over the person's status, then applies it to the status as it is *then*: a tracker
   * may have moved `home` on during the write, and that must not be rolled back to the snapshot.
   */
  async #saveStatus(p: Person, patch: Partial<StatusRecord>): Promise<void> {
    const written = { ...p.status, ...patch };
    await this.#k.storage.set(STATUS_NAMESPACE, p.record.id, json(written));
    const current = { ...p.status, ...patch };
    p.status = current;
    if (current.home !== written.home || current.since !== written.since) {
      void this.#k.storage
        .set(STATUS_NAMESPACE, p.record.id, json(current))
        .catch((err: unknown) =>
          this.#log.error(
            { person: p.record.id, err: errorMessage(err) },
            "could not save a presence status",
          ),
        );
    }
  }

  #disarm(p: Person): void {
    this.#cancelAway(p);
    if (p.overrideTimer !== undefined) this.#clock.clearTimeout(p.overrideTimer);
    p.overrideTimer = undefined;
  }

  /** The shortest TTL among the trackers naming this source (the strictest wins), or the default. */
  #ttlOf(name: string): number {
    let ttl: number | undefined;
    for (const p of this.#people.values()) {
      for (const t of p.record.trackers) {
        if (t.type === "source" && t.name === name && t.ttlMs !== undefined)
          ttl = Math.min(ttl ?? t.ttlMs, t.ttlMs);
      }
    }
    return ttl ?? this.#o.sourceTtlMs;
  }

  /** Device trackers must name a known device with an occupancy capability; no tracker twice. */
  #checkTrackers(trackers: Tracker[]): void {
    const issues: Issue[] = [];
    const seen = new Set<string>();
    trackers.forEach((t, i) => {
      const key = trackerKey(t);
      if (seen.has(key)) issues.push({ path: ["trackers", i], message: `tracker ${key} is listed twice` });
      seen.add(key);
      if (t.type !== "device") return;
      const device = this.#k.state.get<DeviceView>(`devices/${t.device}`);
      if (device === undefined) {
        issues.push({ path: ["trackers", i, "device"], message: `no device "${t.device}"` });
      } else if (!device.capabilities.some((c) => c.name === PRESENCE_CAPABILITY)) {
        issues.push({
          path: ["trackers", i, "device"],
          message: `device "${t.device}" has no ${PRESENCE_CAPABILITY} capability`,
        });
      }
    });
    if (issues.length > 0) throw invalid(issues);
  }

  #publishView(p: Person): void {
    this.#k.state.set(personKey(p.record.id), this.view(p));
  }

  #freeId(base: string): string {
    // An id made from a name never lands on a record skipped at start (it would overwrite it).
    const taken = (id: string) => this.#people.has(id) || this.#skipped.has(PEOPLE_NAMESPACE, id);
    if (!taken(base)) return base;
    for (let n = 2; ; n++) {
      const id = `${base.slice(0, 58)}-${n}`;
      if (!taken(id)) return id;
    }
  }

  #byId(id: string): Person {
    const p = this.#people.get(id);
    if (p === undefined) throw new HearthError("NOT_FOUND", `No person "${id}"`, { data: { id } });
    return p;
  }
}

function invalid(issues: Issue[]): HearthError {
  return new HearthError(
    "VALIDATION_FAILED",
    `Invalid person input: ${issues.map((i) => i.message).join("; ")}`,
    {
      data: { issues },
    },
  );
}

/** Records are plain JSON by construction (validated input, strings, numbers, booleans). */
function json(value: PersonRecord | StatusRecord | SourceRecord): JsonObject {
  return value as unknown as JsonObject;
}
